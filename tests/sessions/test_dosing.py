"""Dose calculation (clinical protocol §2): tables over sessions.dosing, no database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clinic.protocol import DEFAULT_PROTOCOL, Dosing, Protocol, Route, RouteDosing, Screening, WeightPolicy
from sessions.dosing import (
    DoseInputError,
    DoseRequest,
    DoseResult,
    adjusted_body_weight_kg,
    calculate_dose,
    ideal_body_weight_kg,
)

D = Decimal
IDEAL_POLICY = Protocol(dosing=Dosing(obese_weight_policy=WeightPolicy.IDEAL))


def request(**changes: Any) -> DoseRequest:
    fields: dict[str, Any] = {
        "route": "iv",
        "weight_kg": D("82.4"),
        "height_cm": D("178"),
        "sex_at_birth": "male",
    }
    fields.update(changes)
    return DoseRequest(**fields)


def dose(protocol: Protocol = DEFAULT_PROTOCOL, **changes: Any) -> DoseResult:
    return calculate_dose(request(**changes), protocol)


def with_route(route: Route, **changes: Any) -> Protocol:
    """The default protocol with one route's settings replaced, bypassing validation where a test needs it."""
    routes = dict(DEFAULT_PROTOCOL.dosing.routes)
    routes[route] = RouteDosing.model_construct(**{**routes[route].model_dump(), **changes})
    dosing = Dosing.model_construct(**{**dict(DEFAULT_PROTOCOL.dosing), "routes": routes})
    return Protocol.model_construct(**{**dict(DEFAULT_PROTOCOL), "dosing": dosing})


# --- the worked example -------------------------------------------------------------------------------------


def test_worked_example_of_section_2() -> None:
    result = dose(mg_per_kg=D("0.5"), duration_min=40, bag_volume_ml=D("100"))

    assert result.route is Route.IV
    assert result.bmi == D("26.0")
    assert result.dosing_weight_kg == D("82.4")
    assert result.weight_basis == "actual"
    assert result.mg_per_kg == D("0.5")
    assert result.dose_mg == D("41.2")
    assert result.rate_mg_per_min == D("1.03")
    assert result.pump_rate_ml_per_h == D("150.0")
    assert result.duration_min == 40
    assert result.bag_volume_ml == D("100")
    assert result.draw_volume_ml is None
    assert result.warnings == ()
    assert result.requires_override is False
    assert result.override_reasons == ()
    assert result.steps == (
        "BMI 26.0 = 82.4 kg / (1.78 m)²",
        "Dosing weight 82.4 kg (actual: BMI below 30)",
        "Dose 41.2 mg = 0.5 mg/kg x 82.4 kg",
        "Rate 1.03 mg/min = 41.2 mg / 40 min",
        "Pump rate 150.0 mL/h = 100 mL / 40 min x 60",
    )


def test_iv_defaults_are_the_protocols() -> None:
    result = dose()
    assert (result.mg_per_kg, result.duration_min, result.bag_volume_ml) == (D("0.5"), 40, D("100"))
    assert result.dose_mg == D("41.2")


# --- body weights -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("height_cm", "sex", "expected_kg"),
    [
        (D("178"), "male", D("73.2")),  # 70.08 in: 50.0 + 2.3 x 10.08 = 73.18
        (D("160"), "female", D("52.4")),  # 62.99 in: 45.5 + 2.3 x 2.99 = 52.38
        (D("180"), "male", D("75.0")),  # 70.87 in: 50.0 + 2.3 x 10.87 = 74.99
        (D("230"), "male", D("120.3")),  # 90.55 in: 50.0 + 2.3 x 30.55 = 120.27
        (D("152.4"), "female", D("45.5")),  # exactly 60 in: nothing added
        (D("150"), "female", D("45.5")),  # below 60 in: clamped at the base, not reduced
        (D("120"), "male", D("50.0")),
    ],
)
def test_devine_ideal_body_weight(height_cm: Decimal, sex: Any, expected_kg: Decimal) -> None:
    assert ideal_body_weight_kg(height_cm, sex, DEFAULT_PROTOCOL.dosing) == expected_kg


@pytest.mark.parametrize(
    ("actual_kg", "ideal_kg", "expected_kg"),
    [
        (D("115"), D("73.2"), D("89.9")),  # 73.2 + 0.4 x 41.8 = 89.92
        (D("100"), D("52.4"), D("71.4")),  # 52.4 + 0.4 x 47.6 = 71.44
        (D("97.2"), D("75.0"), D("83.9")),  # 75.0 + 0.4 x 22.2 = 83.88
        (D("75.25"), D("75.0"), D("75.1")),  # 75.0 + 0.4 x 0.25 = 75.10
        (D("75.125"), D("75.0"), D("75.1")),  # 75.05 rounds half up
    ],
)
def test_adjusted_body_weight(actual_kg: Decimal, ideal_kg: Decimal, expected_kg: Decimal) -> None:
    assert adjusted_body_weight_kg(actual_kg, ideal_kg, DEFAULT_PROTOCOL.dosing) == expected_kg


# --- dose tables --------------------------------------------------------------------------------------------

DOSE_TABLE = [
    # id, protocol, request changes, bmi, ideal, adjusted, dosing weight, basis, dose
    ("bmi_below_30", DEFAULT_PROTOCOL, {}, "26.0", "73.2", "76.9", "82.4", "actual", "41.2"),
    (
        "bmi_29_9_actual",
        DEFAULT_PROTOCOL,
        {"weight_kg": D("96.9"), "height_cm": D("180")},
        "29.9",
        "75.0",
        "83.8",
        "96.9",
        "actual",
        "48.5",  # 48.45 half up
    ),
    (
        "bmi_30_0_adjusted",
        DEFAULT_PROTOCOL,
        {"weight_kg": D("97.2"), "height_cm": D("180")},
        "30.0",
        "75.0",
        "83.9",
        "83.9",
        "adjusted",
        "42.0",  # 41.95 half up
    ),
    (
        "bmi_30_0_ideal",
        IDEAL_POLICY,
        {"weight_kg": D("97.2"), "height_cm": D("180")},
        "30.0",
        "75.0",
        "83.9",
        "75.0",
        "ideal",
        "37.5",
    ),
    (
        "obese_male_adjusted",
        DEFAULT_PROTOCOL,
        {"weight_kg": D("115")},
        "36.3",
        "73.2",
        "89.9",
        "89.9",
        "adjusted",
        "45.0",
    ),
    (
        "obese_male_ideal",
        IDEAL_POLICY,
        {"weight_kg": D("115")},
        "36.3",
        "73.2",
        "89.9",
        "73.2",
        "ideal",
        "36.6",
    ),
    (
        "obese_female_adjusted",
        DEFAULT_PROTOCOL,
        {"weight_kg": D("100"), "height_cm": D("160"), "sex_at_birth": "female"},
        "39.1",
        "52.4",
        "71.4",
        "71.4",
        "adjusted",
        "35.7",
    ),
    (
        "obese_female_ideal",
        IDEAL_POLICY,
        {"weight_kg": D("100"), "height_cm": D("160"), "sex_at_birth": "female"},
        "39.1",
        "52.4",
        "71.4",
        "52.4",
        "ideal",
        "26.2",
    ),
    (
        "short_obese_adjusted_capped_at_actual",
        DEFAULT_PROTOCOL,
        {"weight_kg": D("45"), "height_cm": D("120"), "sex_at_birth": "female"},
        "31.3",
        "45.5",
        "45.3",
        "45",
        "actual",
        "22.5",
    ),
    (
        "short_obese_ideal_capped_at_actual",
        IDEAL_POLICY,
        {"weight_kg": D("45"), "height_cm": D("120"), "sex_at_birth": "female"},
        "31.3",
        "45.5",
        "45.3",
        "45",
        "actual",
        "22.5",
    ),
    (
        "im_weight_based",
        DEFAULT_PROTOCOL,
        {"route": "im", "weight_kg": D("70"), "height_cm": D("175"), "mg_per_kg": D("0.4")},
        "22.9",
        "70.5",
        "70.3",
        "70",
        "actual",
        "28.0",
    ),
    (
        "im_obese_adjusted",
        DEFAULT_PROTOCOL,
        {"route": Route.IM, "weight_kg": D("115")},
        "36.3",
        "73.2",
        "89.9",
        "89.9",
        "adjusted",
        "45.0",
    ),
]


@pytest.mark.parametrize(
    ("protocol", "changes", "bmi", "ideal", "adjusted", "dosing_weight", "basis", "dose_mg"),
    [pytest.param(*row[1:], id=row[0]) for row in DOSE_TABLE],
)
def test_dose_table(
    protocol: Protocol,
    changes: dict[str, Any],
    bmi: str,
    ideal: str,
    adjusted: str,
    dosing_weight: str,
    basis: str,
    dose_mg: str,
) -> None:
    result = dose(protocol, **changes)
    assert result.bmi == D(bmi)
    assert result.ideal_body_weight_kg == D(ideal)
    assert result.adjusted_body_weight_kg == D(adjusted)
    assert result.dosing_weight_kg == D(dosing_weight)
    assert result.weight_basis == basis
    assert result.dose_mg == D(dose_mg)


def test_steps_show_the_adjusted_weight_calculation() -> None:
    assert dose(weight_kg=D("115")).steps[:5] == (
        "BMI 36.3 = 115 kg / (1.78 m)²",
        "Ideal body weight 73.2 kg (Devine, male) = 50.0 kg + 2.3 kg x 10.08 in over 60 in (178 cm / 2.54 = 70.08 in)",
        "Adjusted body weight 89.9 kg = 73.2 kg + 0.4 x (115 kg - 73.2 kg)",
        "Dosing weight 89.9 kg (adjusted: BMI 30 or above, the protocol doses on adjusted body weight)",
        "Dose 45.0 mg = 0.5 mg/kg x 89.9 kg",
    )


def test_steps_show_the_ideal_weight_policy_without_an_adjusted_step() -> None:
    steps = dose(IDEAL_POLICY, weight_kg=D("115")).steps
    assert not any(step.startswith("Adjusted") for step in steps)
    assert "Dosing weight 73.2 kg (ideal: BMI 30 or above, the protocol doses on ideal body weight)" in steps


def test_steps_explain_the_short_patient_floor_and_the_actual_weight_cap() -> None:
    steps = dose(IDEAL_POLICY, weight_kg=D("45"), height_cm=D("120"), sex_at_birth="female").steps
    assert steps[1] == (
        "Ideal body weight 45.5 kg (Devine, female) = base 45.5 kg: 120 cm / 2.54 = 47.24 in, "
        "not over 60 in, so nothing is added"
    )
    assert steps[2] == (
        "Dosing weight 45 kg (actual: the ideal body weight 45.5 kg is above the actual weight, "
        "and the dose is never based on more than the actual weight)"
    )


# --- infusion, pump and draw --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "rate", "pump", "draw"),
    [
        ({"duration_min": 35}, "1.18", "171.4", None),  # 41.2 / 35 = 1.177; 100 / 35 x 60 = 171.43
        ({"duration_min": 120, "bag_volume_ml": D("250")}, "0.34", "125.0", None),
        ({"duration_min": 20, "bag_volume_ml": D("50")}, "2.06", "150.0", None),
        ({"concentration_mg_per_ml": D("10")}, "1.03", "150.0", "4.12"),
        ({"concentration_mg_per_ml": D("30")}, "1.03", "150.0", "1.37"),  # 1.3733
        ({"concentration_mg_per_ml": D("8")}, "1.03", "150.0", "5.15"),  # 5.15 exactly
        ({"mg_per_kg": D("0.45"), "concentration_mg_per_ml": D("50")}, "0.93", "150.0", "0.74"),  # 37.1 mg
    ],
)
def test_iv_rate_pump_and_draw(changes: dict[str, Any], rate: str, pump: str, draw: str | None) -> None:
    result = dose(**changes)
    assert result.rate_mg_per_min == D(rate)
    assert result.pump_rate_ml_per_h == D(pump)
    assert result.draw_volume_ml == (None if draw is None else D(draw))


def test_draw_volume_rounds_half_up_to_0_01_ml() -> None:
    # 0.5 mg/kg x 70.1 kg = 35.05 -> 35.1 mg; 35.1 / 20 = 1.755 -> 1.76 mL
    result = dose(route="im", weight_kg=D("70.1"), concentration_mg_per_ml=D("20"))
    assert (result.dose_mg, result.draw_volume_ml) == (D("35.1"), D("1.76"))
    assert result.steps[-1] == "Draw 1.76 mL = 35.1 mg / 20 mg/mL"


def test_im_has_no_rate_pump_or_duration() -> None:
    result = dose(route="im", concentration_mg_per_ml=D("50"))
    assert (result.rate_mg_per_min, result.pump_rate_ml_per_h, result.bag_volume_ml) == (None, None, None)
    assert result.duration_min is None
    assert result.draw_volume_ml == D("0.82")


# --- fixed routes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected_mg", "override"),
    [
        pytest.param({}, "56", False, id="default_56"),
        pytest.param({"dose_mg": D("28")}, "28", False, id="28_allowed"),
        pytest.param({"dose_mg": D("84")}, "84", False, id="84_allowed"),
        pytest.param({"dose_mg": D("56.0")}, "56", False, id="56_point_0_allowed"),
        pytest.param({"age": 64, "first_dose": True}, "56", False, id="age_64_first_dose_56"),
        pytest.param({"age": 65, "first_dose": True}, "28", False, id="age_65_first_dose_28"),
        pytest.param({"age": 80, "first_dose": True}, "28", False, id="age_80_first_dose_28"),
        pytest.param({"age": 65, "first_dose": False}, "56", False, id="age_65_later_dose_56"),
        pytest.param({"age": 65, "first_dose": True, "dose_mg": D("28")}, "28", False, id="age_65_prescribed_28"),
        pytest.param({"age": 65, "first_dose": True, "dose_mg": D("56")}, "56", True, id="age_65_first_56_override"),
        pytest.param({"age": 64, "first_dose": True, "dose_mg": D("84")}, "84", False, id="age_64_first_84"),
        pytest.param({"first_dose": False}, "56", False, id="age_not_needed_after_day_1"),
    ],
)
def test_esketamine_doses(changes: dict[str, Any], expected_mg: str, override: bool) -> None:
    result = dose(route="esketamine", **changes)
    assert result.dose_mg == D(expected_mg)
    assert result.requires_override is override
    assert len(result.override_reasons) == int(override)


def test_esketamine_older_adult_first_dose_step_and_override_reason() -> None:
    default = dose(route="esketamine", age=70, first_dose=True)
    assert default.steps[-1] == "Dose 28 mg (first esketamine nasal spray dose at age 65 or over)"
    raised = dose(route="esketamine", age=70, first_dose=True, dose_mg=D("84"))
    assert raised.override_reasons == (
        "A first esketamine nasal spray dose at age 70 starts at 28 mg (age 65 or over): "
        "84 mg needs prescriber override",
    )


def test_fixed_routes_have_no_weight_basis_rate_or_mg_per_kg() -> None:
    result = dose(route="esketamine")
    assert result.bmi == D("26.0")
    none_fields = (
        result.dosing_weight_kg,
        result.weight_basis,
        result.ideal_body_weight_kg,
        result.adjusted_body_weight_kg,
        result.mg_per_kg,
        result.rate_mg_per_min,
        result.pump_rate_ml_per_h,
        result.bag_volume_ml,
        result.draw_volume_ml,
        result.duration_min,
    )
    assert none_fields == (None,) * 10
    assert result.steps == (
        "BMI 26.0 = 82.4 kg / (1.78 m)²",
        "Dose 56 mg (protocol default for the esketamine nasal spray)",
    )


@pytest.mark.parametrize(
    ("dose_mg", "expected_mg"),
    [(None, "100.0"), (D("25"), "25.0"), (D("300"), "300.0"), (D("112.5"), "112.5")],
)
def test_sublingual_doses_and_hold_time(dose_mg: Decimal | None, expected_mg: str) -> None:
    result = dose(route="sublingual", dose_mg=dose_mg, first_dose=True)
    assert result.dose_mg == D(expected_mg)
    assert str(result.dose_mg) == expected_mg
    assert result.duration_min == 15
    assert result.steps[-1] == "Hold time 15 min (protocol)"
    assert result.requires_override is False


# --- warnings and overrides ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "mg_per_kg", "warned"),
    [
        ("iv", D("0.75"), False),
        ("iv", D("0.76"), True),
        ("iv", D("1.0"), True),
        ("im", D("0.76"), False),  # the protocol sets no warning threshold for IM
    ],
)
def test_mg_per_kg_warning(route: str, mg_per_kg: Decimal, warned: bool) -> None:
    result = dose(route=route, mg_per_kg=mg_per_kg)
    assert bool(result.warnings) is warned
    assert result.requires_override is False


def test_warning_message_names_the_threshold() -> None:
    assert dose(mg_per_kg=D("0.76")).warnings == (
        "0.76 mg/kg is above 0.75 mg/kg for the IV infusion: check the prescription",
    )


@pytest.mark.parametrize(
    ("route", "weight_kg", "dose_mg", "override"),
    [
        ("iv", D("100"), "100.0", False),
        ("iv", D("100.1"), "100.1", True),
        ("iv", D("100.05"), "100.1", True),  # 100.05 mg rounds half up to 100.1
        ("iv", D("100.04"), "100.0", False),
        ("im", D("100"), "100.0", False),
        ("im", D("100.1"), "100.1", True),
    ],
)
def test_single_dose_above_100_mg_needs_override(route: str, weight_kg: Decimal, dose_mg: str, override: bool) -> None:
    result = dose(route=route, weight_kg=weight_kg, height_cm=D("190"), mg_per_kg=D("1.0"))
    assert result.dose_mg == D(dose_mg)
    assert result.requires_override is override
    assert result.override_reasons == (
        (
            f"A single {'IV infusion' if route == 'iv' else 'IM injection'} dose of {dose_mg} mg is above "
            "100 mg: prescriber override required",
        )
        if override
        else ()
    )


# --- refused input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "refused_field"),
    [
        pytest.param({"weight_kg": D("30"), "height_cm": D("150")}, None, id="weight_30"),
        pytest.param({"weight_kg": D("29.9"), "height_cm": D("150")}, "weight_kg", id="weight_29_9"),
        pytest.param({"weight_kg": D("250"), "height_cm": D("200")}, None, id="weight_250"),
        pytest.param({"weight_kg": D("250.1"), "height_cm": D("200")}, "weight_kg", id="weight_250_1"),
        pytest.param({"height_cm": D("120"), "weight_kg": D("40")}, None, id="height_120"),
        pytest.param({"height_cm": D("119.9"), "weight_kg": D("40")}, "height_cm", id="height_119_9"),
        pytest.param({"height_cm": D("230")}, None, id="height_230"),
        pytest.param({"height_cm": D("230.1")}, "height_cm", id="height_230_1"),
        pytest.param({"mg_per_kg": D("0.1")}, None, id="iv_0_1_mg_per_kg"),
        pytest.param({"mg_per_kg": D("0.09")}, "mg_per_kg", id="iv_0_09_mg_per_kg"),
        pytest.param({"mg_per_kg": D("1.0")}, None, id="iv_1_0_mg_per_kg"),
        pytest.param({"mg_per_kg": D("1.01")}, "mg_per_kg", id="iv_1_01_mg_per_kg"),
        pytest.param({"route": "im", "mg_per_kg": D("0.1")}, None, id="im_0_1_mg_per_kg"),
        pytest.param({"route": "im", "mg_per_kg": D("0.09")}, "mg_per_kg", id="im_0_09_mg_per_kg"),
        pytest.param({"route": "im", "mg_per_kg": D("1.0")}, None, id="im_1_0_mg_per_kg"),
        pytest.param({"route": "im", "mg_per_kg": D("1.01")}, "mg_per_kg", id="im_1_01_mg_per_kg"),
        pytest.param({"duration_min": 20}, None, id="duration_20"),
        pytest.param({"duration_min": 19}, "duration_min", id="duration_19"),
        pytest.param({"duration_min": 120}, None, id="duration_120"),
        pytest.param({"duration_min": 121}, "duration_min", id="duration_121"),
        pytest.param({"route": "esketamine", "dose_mg": D("28")}, None, id="esketamine_28"),
        pytest.param({"route": "esketamine", "dose_mg": D("56")}, None, id="esketamine_56"),
        pytest.param({"route": "esketamine", "dose_mg": D("84")}, None, id="esketamine_84"),
        pytest.param({"route": "esketamine", "dose_mg": D("50")}, "dose_mg", id="esketamine_50"),
        pytest.param({"route": "esketamine", "dose_mg": D("112")}, "dose_mg", id="esketamine_112"),
        pytest.param({"route": "sublingual", "dose_mg": D("25")}, None, id="sublingual_25"),
        pytest.param({"route": "sublingual", "dose_mg": D("24.9")}, "dose_mg", id="sublingual_24_9"),
        pytest.param({"route": "sublingual", "dose_mg": D("300")}, None, id="sublingual_300"),
        pytest.param({"route": "sublingual", "dose_mg": D("300.1")}, "dose_mg", id="sublingual_300_1"),
    ],
)
def test_limit_edges(changes: dict[str, Any], refused_field: str | None) -> None:
    if refused_field is None:
        assert dose(**changes).dose_mg > 0
        return
    with pytest.raises(DoseInputError) as raised:
        dose(**changes)
    assert raised.value.field == refused_field


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"route": "oral"},
            "route",
            "is not one the protocol knows: choose the IV infusion, IM injection, sublingual lozenge, "
            "esketamine nasal spray",
        ),
        ({"sex_at_birth": "x"}, "sex_at_birth", "must be female or male on the patient's record"),
        ({"age": -1}, "age", "cannot be below 0"),
        (
            {"route": "sublingual", "mg_per_kg": D("1")},
            "mg_per_kg",
            "is not used: the sublingual lozenge is a fixed dose in mg, so give the dose in mg",
        ),
        (
            {"route": "esketamine", "mg_per_kg": D("0.5")},
            "mg_per_kg",
            "is not used: the esketamine nasal spray is a fixed dose in mg, so give the dose in mg",
        ),
        (
            {"dose_mg": D("40")},
            "dose_mg",
            "is not used: the IV infusion is dosed in mg/kg of weight, so give the mg/kg",
        ),
        ({"route": "im", "dose_mg": D("40")}, "dose_mg", None),
        (
            {"route": "im", "duration_min": 5},
            "duration_min",
            "is not used: the IM injection is not an infusion",
        ),
        ({"route": "sublingual", "duration_min": 15}, "duration_min", None),
        (
            {"route": "esketamine", "bag_volume_ml": D("100")},
            "bag_volume_ml",
            "is not used: the esketamine nasal spray is not an infusion",
        ),
        (
            {"route": "sublingual", "concentration_mg_per_ml": D("10")},
            "concentration_mg_per_ml",
            "is not used: the sublingual lozenge is not drawn up from a vial",
        ),
        ({"route": "esketamine", "concentration_mg_per_ml": D("10")}, "concentration_mg_per_ml", None),
        ({"bag_volume_ml": D("0")}, "bag_volume_ml", "must be more than 0"),
        ({"bag_volume_ml": D("-100")}, "bag_volume_ml", "must be more than 0"),
        ({"concentration_mg_per_ml": D("0")}, "concentration_mg_per_ml", "must be more than 0"),
        ({"concentration_mg_per_ml": D("-10")}, "concentration_mg_per_ml", None),
        ({"mg_per_kg": D("0")}, "mg_per_kg", "must be more than 0"),
        ({"duration_min": 0}, "duration_min", "must be more than 0"),
        ({"weight_kg": D("-82")}, "weight_kg", "must be more than 0"),
        ({"weight_kg": D("NaN")}, "weight_kg", "must be a number"),
        ({"mg_per_kg": D("Infinity")}, "mg_per_kg", "must be a number"),
        ({"route": "sublingual", "dose_mg": D("0")}, "dose_mg", "must be more than 0"),
        ({"weight_kg": D("29.9")}, "weight_kg", "Weight 29.9 kg is below the minimum of 30 kg"),
        ({"height_cm": D("230.1")}, "height_cm", "Height 230.1 cm is above the maximum of 230 cm"),
        (
            {"mg_per_kg": D("1.01")},
            "mg_per_kg",
            "IV infusion dose 1.01 mg/kg is above the maximum of 1.0 mg/kg",
        ),
        ({"duration_min": 19}, "duration_min", "Infusion duration 19 min is below the minimum of 20 min"),
        (
            {"route": "esketamine", "dose_mg": D("50")},
            "dose_mg",
            "of the esketamine nasal spray is 28, 56, 84 mg only (50 mg is not one of them)",
        ),
        (
            {"route": "sublingual", "dose_mg": D("100.05")},
            "dose_mg",
            "is given to the nearest 0.1 mg (100.05 mg is not)",
        ),
        (
            {"route": "esketamine", "first_dose": True},
            "age",
            "needed for a first esketamine nasal spray dose: from age 65 it starts at 28 mg",
        ),
    ],
)
def test_refused_requests_name_the_field(changes: dict[str, Any], field: str, message: str | None) -> None:
    with pytest.raises(DoseInputError) as raised:
        dose(**changes)
    assert raised.value.field == field
    assert isinstance(raised.value, ValueError)
    if message is not None:
        assert raised.value.message == message
        assert str(raised.value) == f"{field}: {message}"


def test_route_accepts_the_enum_and_its_value() -> None:
    assert dose(route=Route.IV) == dose(route="iv")


# --- the protocol, not the code, holds the numbers ----------------------------------------------------------


def test_changed_protocol_moves_the_obesity_threshold() -> None:
    changes: dict[str, Any] = {"weight_kg": D("97.2"), "height_cm": D("180")}  # BMI 30.0
    assert dose(**changes).weight_basis == "adjusted"
    raised = Protocol(dosing=Dosing(obese_bmi_at_or_above=D("30.1")))
    result = dose(raised, **changes)
    assert (result.weight_basis, result.dose_mg) == ("actual", D("48.6"))
    assert result.steps[1] == "Dosing weight 97.2 kg (actual: BMI below 30.1)"


def test_changed_protocol_moves_limits_warning_and_override() -> None:
    protocol = with_route(
        Route.IV,
        max_mg_per_kg=D("1.2"),
        warn_above_mg_per_kg=D("1.1"),
        override_above_mg=D("80"),
        min_duration_min=10,
    )
    result = dose(protocol, mg_per_kg=D("1.1"), duration_min=10)
    assert result.dose_mg == D("90.6")
    assert result.warnings == ()
    assert result.requires_override is True
    assert result.pump_rate_ml_per_h == D("600.0")
    assert dose(protocol, mg_per_kg=D("1.2")).warnings != ()


def test_changed_protocol_moves_weight_limits_and_older_adult_age() -> None:
    protocol = Protocol(dosing=Dosing(weight_min_kg=D("40")), screening=Screening(older_adult_age=70))
    with pytest.raises(DoseInputError, match="minimum of 40 kg"):
        dose(protocol, weight_kg=D("39.9"), height_cm=D("150"))
    assert dose(protocol, route="esketamine", age=69, first_dose=True).dose_mg == D("56")
    assert dose(protocol, route="esketamine", age=70, first_dose=True).dose_mg == D("28")


def test_changed_protocol_devine_and_adjusted_constants() -> None:
    protocol = Protocol(dosing=Dosing(adjusted_weight_factor=D("0.3"), ibw_base_male_kg=D("52")))
    result = dose(protocol, weight_kg=D("115"))
    # IBW 52 + 23.18 = 75.2; ABW 75.2 + 0.3 x 39.8 = 87.14
    assert (result.ideal_body_weight_kg, result.adjusted_body_weight_kg) == (D("75.2"), D("87.1"))


def test_changed_default_bag_volume() -> None:
    assert dose(Protocol(dosing=Dosing(default_bag_volume_ml=D("50")))).pump_rate_ml_per_h == D("75.0")


@pytest.mark.parametrize(
    ("route", "changes", "request_changes", "field", "message"),
    [
        (Route.IV, {"default_mg_per_kg": None}, {}, "mg_per_kg", "default mg/kg for the IV infusion"),
        (
            Route.SUBLINGUAL,
            {"default_mg": None},
            {"route": "sublingual"},
            "dose_mg",
            "default dose for the sublingual",
        ),
        (Route.IV, {"default_duration_min": None}, {}, "duration_min", "default infusion duration"),
    ],
)
def test_a_protocol_without_a_default_requires_the_value(
    route: Route, changes: dict[str, Any], request_changes: dict[str, Any], field: str, message: str
) -> None:
    protocol = with_route(route, **changes)
    with pytest.raises(DoseInputError) as raised:
        dose(protocol, **request_changes)
    assert raised.value.field == field
    assert raised.value.message.startswith(f"required: the protocol sets no {message}")


def test_a_route_without_limits_accepts_any_positive_value() -> None:
    protocol = with_route(
        Route.IV, min_mg_per_kg=None, max_mg_per_kg=None, min_duration_min=None, max_duration_min=None
    )
    result = dose(protocol, mg_per_kg=D("2"), duration_min=300)
    assert (result.dose_mg, result.duration_min) == (D("164.8"), 300)
