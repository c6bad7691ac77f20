"""Ketamine and esketamine dose calculation (clinical protocol §2, "Dose calculation").

Pure Python, no Django import. `calculate_dose` takes a `DoseRequest` and the clinic's `Protocol` and returns
a frozen `DoseResult` holding every intermediate value and the calculation in words (`steps`), so that a nurse
can check it by hand and the session record can reproduce it. Input outside the protocol's limits raises
`DoseInputError`, naming the request field so that a form or the API can point at it.

Every clinical number comes from the protocol. The only constants here are the rounding precisions that
section 2 states (dose to 0.1 mg, IV rate to 0.01 mg/min, pump rate to 0.1 mL/h, draw volume to 0.01 mL) and
unit conversions.

Decisions where section 2 leaves room:

- BMI is rounded to one decimal (`clinic.measures.bmi`) before it is compared with `obese_bmi_at_or_above`, so
  a BMI of 29.95 counts as 30.0.
- Ideal body weight (Devine) adds nothing at or below `ibw_base_height_in` (60 in): the formula is not
  extended downwards, the sex's base weight is the floor. For very short patients that floor can exceed the
  actual weight; the dose then uses the actual weight ("never dose on more than the actual weight").
- Ideal and adjusted body weight are rounded to 0.1 kg, half up; the adjusted weight is computed from the
  rounded ideal weight and the dose from the rounded dosing weight, so that every step can be recomputed from
  the numbers it shows. The actual weight is used as entered: rounding it could put it above what the patient
  weighs.
- Ideal, adjusted and dosing weight are reported for the mg/kg routes only; fixed-dose routes report BMI, but
  their dosing weight, weight basis and mg/kg are None.
- A field that does not apply to the route is refused, never silently ignored: mg_per_kg for a fixed-dose
  route, dose_mg for a weight-based route, duration or bag volume for anything but the IV infusion, a
  concentration for a route that is not drawn up from a vial (sublingual lozenge, esketamine device).
- A prescribed fixed dose finer than 0.1 mg is refused rather than rounded.
- Esketamine: on the first dose at or above `screening.older_adult_age` the default is the route's
  `older_adult_first_dose_mg` (28 mg); prescribing more is possible but needs a prescriber override. The age
  is required to calculate an esketamine first dose.
- The override reasons (single dose above `override_above_mg`, older-adult esketamine first dose above the
  start dose) are kept apart from the warnings (mg/kg above `warn_above_mg_per_kg`): a warning is shown, an
  override must be cleared by a prescriber with a reason.
- The rate in mg/min is computed from the rounded dose; a sublingual dose reports the protocol's hold time as
  its `duration_min`; IM and esketamine have no duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from clinic.measures import bmi, round_half_up
from clinic.protocol import Dosing, Protocol, Route, RouteDosing, WeightPolicy

__all__ = [
    "DOSE_QUANTUM_MG",
    "DRAWN_UP_ROUTES",
    "DRAW_QUANTUM_ML",
    "INFUSION_ROUTES",
    "PUMP_QUANTUM_ML_PER_H",
    "RATE_QUANTUM_MG_PER_MIN",
    "ROUTE_LABELS",
    "WEIGHT_QUANTUM_KG",
    "DoseInputError",
    "DoseRequest",
    "DoseResult",
    "SexAtBirth",
    "WeightBasis",
    "adjusted_body_weight_kg",
    "calculate_dose",
    "ideal_body_weight_kg",
]

SexAtBirth = Literal["female", "male"]
WeightBasis = Literal["actual", "ideal", "adjusted"]

# Rounding precisions stated by section 2 ("Rounding"); weights to 0.1 kg is this module's choice.
WEIGHT_QUANTUM_KG = Decimal("0.1")
DOSE_QUANTUM_MG = Decimal("0.1")
RATE_QUANTUM_MG_PER_MIN = Decimal("0.01")
PUMP_QUANTUM_ML_PER_H = Decimal("0.1")
DRAW_QUANTUM_ML = Decimal("0.01")
_INCH_DISPLAY_QUANTUM = Decimal("0.01")
_CM_PER_M = Decimal(100)
_MIN_PER_H = 60

# Facts about the routes, not clinic policy: only IV runs through a pump, only IV and IM are drawn up.
INFUSION_ROUTES: frozenset[Route] = frozenset({Route.IV})
DRAWN_UP_ROUTES: frozenset[Route] = frozenset({Route.IV, Route.IM})

ROUTE_LABELS: dict[Route, str] = {
    Route.IV: "IV infusion",
    Route.IM: "IM injection",
    Route.SUBLINGUAL: "sublingual lozenge",
    Route.ESKETAMINE: "esketamine nasal spray",
}

_SEXES: tuple[SexAtBirth, ...] = ("female", "male")
_POSITIVE_FIELDS = (
    "weight_kg",
    "height_cm",
    "mg_per_kg",
    "dose_mg",
    "duration_min",
    "bag_volume_ml",
    "concentration_mg_per_ml",
)


class DoseInputError(ValueError):
    """A dose request the protocol refuses. `field` names the `DoseRequest` field ("weight_kg", ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class DoseRequest:
    """What the prescriber asks for. mg/kg routes (IV, IM) take `mg_per_kg`, fixed routes (sublingual,
    esketamine) take `dose_mg`; None means the protocol's default for the route."""

    route: Route | str
    weight_kg: Decimal
    height_cm: Decimal
    sex_at_birth: SexAtBirth
    mg_per_kg: Decimal | None = None
    dose_mg: Decimal | None = None
    duration_min: int | None = None
    bag_volume_ml: Decimal | None = None
    concentration_mg_per_ml: Decimal | None = None
    age: int | None = None
    first_dose: bool = False


@dataclass(frozen=True, slots=True)
class DoseResult:
    """A calculated dose with its intermediate values. None where a value does not apply to the route."""

    route: Route
    dose_mg: Decimal
    dosing_weight_kg: Decimal | None
    weight_basis: WeightBasis | None
    bmi: Decimal
    ideal_body_weight_kg: Decimal | None
    adjusted_body_weight_kg: Decimal | None
    mg_per_kg: Decimal | None
    rate_mg_per_min: Decimal | None
    pump_rate_ml_per_h: Decimal | None
    bag_volume_ml: Decimal | None
    draw_volume_ml: Decimal | None
    duration_min: int | None
    warnings: tuple[str, ...]
    requires_override: bool
    override_reasons: tuple[str, ...]
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Weights:
    ideal_kg: Decimal
    adjusted_kg: Decimal
    dosing_kg: Decimal
    basis: WeightBasis


def ideal_body_weight_kg(height_cm: Decimal, sex_at_birth: SexAtBirth, dosing: Dosing) -> Decimal:
    """Devine ideal body weight, to 0.1 kg half up (clinical protocol §2, "Dosing weight"): the
    sex's base weight plus `ibw_kg_per_inch_over_base` for every inch over `ibw_base_height_in`; nothing is
    added (or taken away) at or below the base height."""
    base = dosing.ibw_base_male_kg if sex_at_birth == "male" else dosing.ibw_base_female_kg
    inches_over = max(Decimal(0), height_cm / dosing.cm_per_inch - dosing.ibw_base_height_in)
    return round_half_up(base + dosing.ibw_kg_per_inch_over_base * inches_over, WEIGHT_QUANTUM_KG)


def adjusted_body_weight_kg(actual_kg: Decimal, ideal_kg: Decimal, dosing: Dosing) -> Decimal:
    """Adjusted body weight IBW + factor x (actual - IBW), to 0.1 kg half up (clinical protocol §2)."""
    return round_half_up(ideal_kg + dosing.adjusted_weight_factor * (actual_kg - ideal_kg), WEIGHT_QUANTUM_KG)


def calculate_dose(request: DoseRequest, protocol: Protocol) -> DoseResult:
    """Calculate a dose under the protocol (clinical protocol §2, "Dose calculation").

    Raises `DoseInputError` for anything the protocol refuses: weight or height outside the limits, mg/kg or a
    fixed dose outside the route's range or allowed list, an IV duration outside its range, a non-positive
    volume or concentration, a field that does not apply to the route, an unknown route.
    """
    dosing = protocol.dosing
    route = _route(request.route)
    config = dosing.routes[route]
    _check_request(request, route, config, dosing)

    body_mass_index = bmi(request.weight_kg, request.height_cm)
    height_m = request.height_cm / _CM_PER_M
    steps = [f"BMI {body_mass_index} = {_num(request.weight_kg)} kg / ({_num(height_m)} m)²"]
    warnings: list[str] = []
    override_reasons: list[str] = []
    label = ROUTE_LABELS[route]

    weights: _Weights | None = None
    mg_per_kg: Decimal | None = None
    if config.basis == "mg_per_kg":
        weights = _dosing_weight(request, body_mass_index, dosing, steps)
        mg_per_kg = _mg_per_kg(request, route, config)
        dose = round_half_up(mg_per_kg * weights.dosing_kg, DOSE_QUANTUM_MG)
        steps.append(f"Dose {dose} mg = {_num(mg_per_kg)} mg/kg x {_num(weights.dosing_kg)} kg")
        if config.warn_above_mg_per_kg is not None and mg_per_kg > config.warn_above_mg_per_kg:
            warnings.append(
                f"{_num(mg_per_kg)} mg/kg is above {_num(config.warn_above_mg_per_kg)} mg/kg for the "
                f"{label}: check the prescription"
            )
    else:
        dose = _fixed_dose(request, route, config, protocol, steps, override_reasons)

    if config.override_above_mg is not None and dose > config.override_above_mg:
        override_reasons.append(
            f"A single {label} dose of {dose} mg is above {_num(config.override_above_mg)} mg: "
            "prescriber override required"
        )

    duration_min = config.hold_min
    rate: Decimal | None = None
    pump_rate: Decimal | None = None
    bag_volume: Decimal | None = None
    if route in INFUSION_ROUTES:
        duration_min = _infusion_duration(request, config)
        bag_volume = dosing.default_bag_volume_ml if request.bag_volume_ml is None else request.bag_volume_ml
        rate = round_half_up(dose / duration_min, RATE_QUANTUM_MG_PER_MIN)
        pump_rate = round_half_up(bag_volume / duration_min * _MIN_PER_H, PUMP_QUANTUM_ML_PER_H)
        steps.append(f"Rate {rate} mg/min = {dose} mg / {duration_min} min")
        steps.append(f"Pump rate {pump_rate} mL/h = {_num(bag_volume)} mL / {duration_min} min x {_MIN_PER_H}")
    elif duration_min is not None:
        steps.append(f"Hold time {duration_min} min (protocol)")

    draw_volume: Decimal | None = None
    concentration = request.concentration_mg_per_ml
    if concentration is not None:
        draw_volume = round_half_up(dose / concentration, DRAW_QUANTUM_ML)
        steps.append(f"Draw {draw_volume} mL = {dose} mg / {_num(concentration)} mg/mL")

    return DoseResult(
        route=route,
        dose_mg=dose,
        dosing_weight_kg=None if weights is None else weights.dosing_kg,
        weight_basis=None if weights is None else weights.basis,
        bmi=body_mass_index,
        ideal_body_weight_kg=None if weights is None else weights.ideal_kg,
        adjusted_body_weight_kg=None if weights is None else weights.adjusted_kg,
        mg_per_kg=mg_per_kg,
        rate_mg_per_min=rate,
        pump_rate_ml_per_h=pump_rate,
        bag_volume_ml=bag_volume,
        draw_volume_ml=draw_volume,
        duration_min=duration_min,
        warnings=tuple(warnings),
        requires_override=bool(override_reasons),
        override_reasons=tuple(override_reasons),
        steps=tuple(steps),
    )


def _route(value: Route | str) -> Route:
    try:
        return Route(value)
    except ValueError:
        known = ", ".join(ROUTE_LABELS[r] for r in Route)
        raise DoseInputError("route", f"is not one the protocol knows: choose the {known}") from None


def _check_request(request: DoseRequest, route: Route, config: RouteDosing, dosing: Dosing) -> None:
    label = ROUTE_LABELS[route]
    if request.sex_at_birth not in _SEXES:
        raise DoseInputError("sex_at_birth", "must be female or male on the patient's record")
    if request.age is not None and request.age < 0:
        raise DoseInputError("age", "cannot be below 0")
    if config.basis == "fixed_mg" and request.mg_per_kg is not None:
        raise DoseInputError("mg_per_kg", f"is not used: the {label} is a fixed dose in mg, so give the dose in mg")
    if config.basis == "mg_per_kg" and request.dose_mg is not None:
        raise DoseInputError("dose_mg", f"is not used: the {label} is dosed in mg/kg of weight, so give the mg/kg")
    if route not in INFUSION_ROUTES:
        if request.duration_min is not None:
            raise DoseInputError("duration_min", f"is not used: the {label} is not an infusion")
        if request.bag_volume_ml is not None:
            raise DoseInputError("bag_volume_ml", f"is not used: the {label} is not an infusion")
    if route not in DRAWN_UP_ROUTES and request.concentration_mg_per_ml is not None:
        raise DoseInputError("concentration_mg_per_ml", f"is not used: the {label} is not drawn up from a vial")
    for field in _POSITIVE_FIELDS:
        value = getattr(request, field)
        if isinstance(value, Decimal) and not value.is_finite():
            raise DoseInputError(field, "must be a number")
        if value is not None and value <= 0:
            raise DoseInputError(field, "must be more than 0")
    _check_range("weight_kg", request.weight_kg, dosing.weight_min_kg, dosing.weight_max_kg, "kg", "Weight")
    _check_range("height_cm", request.height_cm, dosing.height_min_cm, dosing.height_max_cm, "cm", "Height")


def _check_range(
    field: str,
    value: Decimal | int,
    low: Decimal | int | None,
    high: Decimal | int | None,
    unit: str,
    what: str,
) -> None:
    if low is not None and value < low:
        raise DoseInputError(field, f"{what} {_num(value)} {unit} is below the minimum of {_num(low)} {unit}")
    if high is not None and value > high:
        raise DoseInputError(field, f"{what} {_num(value)} {unit} is above the maximum of {_num(high)} {unit}")


def _dosing_weight(request: DoseRequest, body_mass_index: Decimal, dosing: Dosing, steps: list[str]) -> _Weights:
    """Section 2, "Dosing weight": actual weight below the obesity BMI, else ideal or adjusted weight by the
    protocol's policy, never more than the actual weight."""
    actual = request.weight_kg
    ideal = ideal_body_weight_kg(request.height_cm, request.sex_at_birth, dosing)
    adjusted = adjusted_body_weight_kg(actual, ideal, dosing)
    threshold = _num(dosing.obese_bmi_at_or_above)
    if body_mass_index < dosing.obese_bmi_at_or_above:
        steps.append(f"Dosing weight {_num(actual)} kg (actual: BMI below {threshold})")
        return _Weights(ideal, adjusted, actual, "actual")

    steps.append(_ideal_weight_step(request, ideal, dosing))
    basis: WeightBasis
    if dosing.obese_weight_policy is WeightPolicy.IDEAL:
        chosen, basis = ideal, "ideal"
    else:
        steps.append(
            f"Adjusted body weight {adjusted} kg = {ideal} kg + {_num(dosing.adjusted_weight_factor)} x "
            f"({_num(actual)} kg - {ideal} kg)"
        )
        chosen, basis = adjusted, "adjusted"
    if chosen > actual:
        steps.append(
            f"Dosing weight {_num(actual)} kg (actual: the {basis} body weight {chosen} kg is above the "
            "actual weight, and the dose is never based on more than the actual weight)"
        )
        return _Weights(ideal, adjusted, actual, "actual")
    steps.append(
        f"Dosing weight {chosen} kg ({basis}: BMI {threshold} or above, the protocol doses on {basis} body weight)"
    )
    return _Weights(ideal, adjusted, chosen, basis)


def _ideal_weight_step(request: DoseRequest, ideal: Decimal, dosing: Dosing) -> str:
    sex = request.sex_at_birth
    base = dosing.ibw_base_male_kg if sex == "male" else dosing.ibw_base_female_kg
    height_in = request.height_cm / dosing.cm_per_inch
    shown_in = round_half_up(height_in, _INCH_DISPLAY_QUANTUM)
    conversion = f"{_num(request.height_cm)} cm / {_num(dosing.cm_per_inch)} = {shown_in} in"
    base_in = _num(dosing.ibw_base_height_in)
    if height_in > dosing.ibw_base_height_in:
        over = round_half_up(height_in - dosing.ibw_base_height_in, _INCH_DISPLAY_QUANTUM)
        return (
            f"Ideal body weight {ideal} kg (Devine, {sex}) = {_num(base)} kg + "
            f"{_num(dosing.ibw_kg_per_inch_over_base)} kg x {over} in over {base_in} in ({conversion})"
        )
    return (
        f"Ideal body weight {ideal} kg (Devine, {sex}) = base {_num(base)} kg: {conversion}, "
        f"not over {base_in} in, so nothing is added"
    )


def _mg_per_kg(request: DoseRequest, route: Route, config: RouteDosing) -> Decimal:
    mg_per_kg = config.default_mg_per_kg if request.mg_per_kg is None else request.mg_per_kg
    if mg_per_kg is None:
        raise DoseInputError("mg_per_kg", f"required: the protocol sets no default mg/kg for the {ROUTE_LABELS[route]}")
    _check_range(
        "mg_per_kg",
        mg_per_kg,
        config.min_mg_per_kg,
        config.max_mg_per_kg,
        "mg/kg",
        f"{_capitalized(ROUTE_LABELS[route])} dose",
    )
    return mg_per_kg


def _fixed_dose(
    request: DoseRequest,
    route: Route,
    config: RouteDosing,
    protocol: Protocol,
    steps: list[str],
    override_reasons: list[str],
) -> Decimal:
    label = ROUTE_LABELS[route]
    older_adult_age = protocol.screening.older_adult_age
    start_dose: Decimal | None = None
    if request.first_dose and config.older_adult_first_dose_mg is not None:
        if request.age is None:
            raise DoseInputError(
                "age",
                f"needed for a first {label} dose: from age {older_adult_age} it starts at "
                f"{_num(config.older_adult_first_dose_mg)} mg",
            )
        if request.age >= older_adult_age:
            start_dose = config.older_adult_first_dose_mg

    if request.dose_mg is not None:
        dose = request.dose_mg
        if dose != round_half_up(dose, DOSE_QUANTUM_MG):
            raise DoseInputError("dose_mg", f"is given to the nearest {DOSE_QUANTUM_MG} mg ({_num(dose)} mg is not)")
        steps.append(f"Dose {_num(dose)} mg (prescribed)")
    elif start_dose is not None:
        dose = start_dose
        steps.append(f"Dose {_num(dose)} mg (first {label} dose at age {older_adult_age} or over)")
    elif config.default_mg is not None:
        dose = config.default_mg
        steps.append(f"Dose {_num(dose)} mg (protocol default for the {label})")
    else:
        raise DoseInputError("dose_mg", f"required: the protocol sets no default dose for the {label}")

    if config.allowed_mg and dose not in config.allowed_mg:
        allowed = ", ".join(_num(mg) for mg in config.allowed_mg)
        raise DoseInputError("dose_mg", f"of the {label} is {allowed} mg only ({_num(dose)} mg is not one of them)")
    _check_range("dose_mg", dose, config.min_mg, config.max_mg, "mg", f"{_capitalized(label)} dose")
    if start_dose is not None and dose > start_dose:
        override_reasons.append(
            f"A first {label} dose at age {request.age} starts at {_num(start_dose)} mg "
            f"(age {older_adult_age} or over): {_num(dose)} mg needs prescriber override"
        )
    return round_half_up(dose, DOSE_QUANTUM_MG)


def _infusion_duration(request: DoseRequest, config: RouteDosing) -> int:
    duration = config.default_duration_min if request.duration_min is None else request.duration_min
    if duration is None:
        raise DoseInputError("duration_min", "required: the protocol sets no default infusion duration")
    _check_range("duration_min", duration, config.min_duration_min, config.max_duration_min, "min", "Infusion duration")
    return duration


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _num(value: Decimal | int) -> str:
    """A number as a nurse reads it: no exponent, no trailing zeros beyond what was entered."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)
