"""The clinic's protocol settings: every threshold, code-adjacent number and formula constant the software uses.

Pure Python (pydantic, no Django). The defaults are the clinical protocol, section by section (docs/clinical-protocol.md
lists every setting with its source); a clinic changes them by saving a new ProtocolVersion, whose JSON is validated
by `Protocol.model_validate`. Rule modules receive a `Protocol` (or one of its sections) as a value and never read a
number from anywhere else.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PositiveInt = Annotated[int, Field(ge=0)]
Mg = Annotated[Decimal, Field(ge=0, decimal_places=2)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- Section 5: instruments -------------------------------------------------------------------------------------


class Band(_Frozen):
    """A severity band: totals from `low` to `high` inclusive are called `name`."""

    name: str
    low: int
    high: int


class InstrumentScale(_Frozen):
    items: Annotated[int, Field(ge=1)]
    item_min: int = 0
    item_max: int
    bands: tuple[Band, ...] = ()

    @model_validator(mode="after")
    def _bands_cover_range_without_gaps(self) -> Self:
        if not self.bands:
            return self
        expected_low = self.items * self.item_min if self.items else 0
        ordered = sorted(self.bands, key=lambda b: b.low)
        for band in ordered:
            if band.low != expected_low:
                raise ValueError(f"band {band.name!r} starts at {band.low}, expected {expected_low}")
            if band.high < band.low:
                raise ValueError(f"band {band.name!r} ends before it starts")
            expected_low = band.high + 1
        return self


def _bands(*spec: tuple[str, int, int]) -> tuple[Band, ...]:
    return tuple(Band(name=n, low=lo, high=hi) for n, lo, hi in spec)


class Instruments(_Frozen):
    phq9: InstrumentScale = InstrumentScale(
        items=9,
        item_max=3,
        bands=_bands(
            ("minimal", 0, 4),
            ("mild", 5, 9),
            ("moderate", 10, 14),
            ("moderately_severe", 15, 19),
            ("severe", 20, 27),
        ),
    )
    phq9_suicidal_ideation_item_above: int = 0
    gad7: InstrumentScale = InstrumentScale(
        items=7,
        item_max=3,
        bands=_bands(("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21)),
    )
    qids_sr16: InstrumentScale = InstrumentScale(
        items=16,
        item_max=3,
        bands=_bands(
            ("none", 0, 5), ("mild", 6, 10), ("moderate", 11, 15), ("severe", 16, 20), ("very_severe", 21, 27)
        ),
    )
    madrs: InstrumentScale = InstrumentScale(
        items=10,
        item_max=6,
        bands=_bands(("normal", 0, 6), ("mild", 7, 19), ("moderate", 20, 34), ("severe", 35, 60)),
    )
    cadss6: InstrumentScale = InstrumentScale(items=6, item_max=4)
    aldrete: InstrumentScale = InstrumentScale(items=5, item_max=2)
    aldrete_discharge_min: int = 9


# --- Section 1: intake screening --------------------------------------------------------------------------------


class Screening(_Frozen):
    validity_days: PositiveInt = 180
    recent_cardiac_event_days: PositiveInt = 180
    recent_stroke_days: PositiveInt = 180
    substance_use_active_days: PositiveInt = 90
    substance_use_remission_min_days: PositiveInt = 365
    bp_absolute_systolic_above: PositiveInt = 180
    bp_absolute_diastolic_above: PositiveInt = 110
    bp_relative_systolic_above: PositiveInt = 140
    bp_relative_diastolic_above: PositiveInt = 90
    bmi_relative_above: Decimal = Decimal("35.0")
    benzodiazepine_high_dose_above_mg_per_day: Decimal = Decimal("8")
    min_failed_antidepressant_trials: PositiveInt = 2
    older_adult_age: PositiveInt = 65
    cssrs_lookback_days: PositiveInt = 30
    override_reason_min_chars: Annotated[int, Field(ge=1, title="A prescriber's override reason needs at least")] = 20


# --- Section 2: dose calculation --------------------------------------------------------------------------------


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    SUBLINGUAL = "sublingual"
    ESKETAMINE = "esketamine"


class WeightPolicy(StrEnum):
    ADJUSTED = "adjusted"
    IDEAL = "ideal"


class RouteDosing(_Frozen):
    """How one route is dosed. `basis` mg_per_kg uses the *_mg_per_kg fields, fixed_mg the *_mg fields."""

    basis: Literal["mg_per_kg", "fixed_mg"]
    default_mg_per_kg: Decimal | None = None
    min_mg_per_kg: Decimal | None = None
    max_mg_per_kg: Decimal | None = None
    warn_above_mg_per_kg: Decimal | None = None
    default_mg: Decimal | None = None
    min_mg: Decimal | None = None
    max_mg: Decimal | None = None
    allowed_mg: tuple[Decimal, ...] = ()
    older_adult_first_dose_mg: Decimal | None = None
    default_duration_min: PositiveInt | None = None
    min_duration_min: PositiveInt | None = None
    max_duration_min: PositiveInt | None = None
    hold_min: PositiveInt | None = None
    override_above_mg: Decimal | None = None
    observation_min: PositiveInt = 30

    @model_validator(mode="after")
    def _basis_has_its_numbers(self) -> Self:
        needed: tuple[str, ...]
        if self.basis == "mg_per_kg":
            needed = ("default_mg_per_kg", "min_mg_per_kg", "max_mg_per_kg")
        else:
            needed = ("default_mg",)
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"basis {self.basis} needs {', '.join(missing)}")
        return self


class Dosing(_Frozen):
    weight_min_kg: Decimal = Decimal("30")
    weight_max_kg: Decimal = Decimal("250")
    height_min_cm: Decimal = Decimal("120")
    height_max_cm: Decimal = Decimal("230")
    obese_bmi_at_or_above: Decimal = Decimal("30")
    obese_weight_policy: WeightPolicy = WeightPolicy.ADJUSTED
    ibw_base_male_kg: Decimal = Decimal("50.0")
    ibw_base_female_kg: Decimal = Decimal("45.5")
    ibw_kg_per_inch_over_base: Decimal = Decimal("2.3")
    ibw_base_height_in: Decimal = Decimal("60")
    cm_per_inch: Decimal = Decimal("2.54")
    adjusted_weight_factor: Decimal = Decimal("0.4")
    default_bag_volume_ml: Decimal = Decimal("100")
    routes: dict[Route, RouteDosing] = {
        Route.IV: RouteDosing(
            basis="mg_per_kg",
            default_mg_per_kg=Decimal("0.5"),
            min_mg_per_kg=Decimal("0.1"),
            max_mg_per_kg=Decimal("1.0"),
            warn_above_mg_per_kg=Decimal("0.75"),
            default_duration_min=40,
            min_duration_min=20,
            max_duration_min=120,
            override_above_mg=Decimal("100"),
            observation_min=30,
        ),
        Route.IM: RouteDosing(
            basis="mg_per_kg",
            default_mg_per_kg=Decimal("0.5"),
            min_mg_per_kg=Decimal("0.1"),
            max_mg_per_kg=Decimal("1.0"),
            override_above_mg=Decimal("100"),
            observation_min=30,
        ),
        Route.SUBLINGUAL: RouteDosing(
            basis="fixed_mg",
            default_mg=Decimal("100"),
            min_mg=Decimal("25"),
            max_mg=Decimal("300"),
            hold_min=15,
            observation_min=60,
        ),
        Route.ESKETAMINE: RouteDosing(
            basis="fixed_mg",
            default_mg=Decimal("56"),
            allowed_mg=(Decimal("28"), Decimal("56"), Decimal("84")),
            older_adult_first_dose_mg=Decimal("28"),
            observation_min=120,
        ),
    }

    @model_validator(mode="after")
    def _every_route_configured(self) -> Self:
        missing = [r.value for r in Route if r not in self.routes]
        if missing:
            raise ValueError(f"routes missing: {', '.join(missing)}")
        return self


# --- Section 3: course and scheduling ---------------------------------------------------------------------------


class CourseTemplate(_Frozen):
    label: str
    route: Route
    sessions: Annotated[int, Field(ge=1)]
    sessions_per_week: Annotated[int, Field(ge=1)]
    within_days: Annotated[int, Field(ge=1)] | None = None
    integration_within_hours: PositiveInt = 72
    max_sessions_rolling_7_days: Annotated[int, Field(ge=1)] | None = None
    phases: tuple[tuple[int, int], ...] = ()
    """For tapering templates: (weeks, sessions per week) pairs, in order."""


class Scheduling(_Frozen):
    min_interval_hours: PositiveInt = 48
    max_sessions_rolling_7_days: Annotated[int, Field(ge=1)] = 2
    turnover_min: PositiveInt = 15
    integration_min_duration_min: PositiveInt = 60
    integration_max_duration_min: PositiveInt = 90
    templates: dict[str, CourseTemplate] = {
        "standard_induction": CourseTemplate(
            label="Standard induction (6 IV infusions, twice weekly)",
            route=Route.IV,
            sessions=6,
            sessions_per_week=2,
            within_days=21,
            integration_within_hours=72,
        ),
        "intensive_retreat": CourseTemplate(
            label="Intensive retreat (6 sessions within 14 days)",
            route=Route.IV,
            sessions=6,
            sessions_per_week=3,
            within_days=14,
            integration_within_hours=24,
            max_sessions_rolling_7_days=3,
        ),
        "maintenance": CourseTemplate(
            label="Maintenance booster",
            route=Route.IV,
            sessions=1,
            sessions_per_week=1,
            integration_within_hours=72,
        ),
        "esketamine_induction": CourseTemplate(
            label="Esketamine induction (weeks 1-4 twice weekly, weeks 5-8 weekly)",
            route=Route.ESKETAMINE,
            sessions=12,
            sessions_per_week=2,
            integration_within_hours=72,
            phases=((4, 2), (4, 1)),
        ),
    }


# --- Section 4: in-session monitoring ---------------------------------------------------------------------------


class Fasting(_Frozen):
    solids_hours: Decimal
    clear_liquids_hours: Decimal


class VitalLimits(_Frozen):
    """A reading triggers when systolic/diastolic/heart rate is above the *_above value, or below a *_below value."""

    systolic_above: PositiveInt
    diastolic_above: PositiveInt
    heart_rate_above: PositiveInt
    heart_rate_below: PositiveInt
    spo2_below: PositiveInt


class Monitoring(_Frozen):
    fasting: dict[Route, Fasting] = {
        Route.IV: Fasting(solids_hours=Decimal("6"), clear_liquids_hours=Decimal("2")),
        Route.IM: Fasting(solids_hours=Decimal("6"), clear_liquids_hours=Decimal("2")),
        Route.SUBLINGUAL: Fasting(solids_hours=Decimal("6"), clear_liquids_hours=Decimal("2")),
        Route.ESKETAMINE: Fasting(solids_hours=Decimal("2"), clear_liquids_hours=Decimal("0.5")),
    }
    gate_defer: VitalLimits = VitalLimits(
        systolic_above=180, diastolic_above=110, heart_rate_above=120, heart_rate_below=50, spo2_below=95
    )
    gate_review_systolic_above: PositiveInt = 140
    gate_review_diastolic_above: PositiveInt = 90
    alert: VitalLimits = VitalLimits(
        systolic_above=180, diastolic_above=110, heart_rate_above=130, heart_rate_below=45, spo2_below=92
    )
    vitals_every_min_while_dosing: Annotated[int, Field(ge=1)] = 10
    vitals_every_min_after_dosing: Annotated[int, Field(ge=1)] = 15
    cadss_at_min: PositiveInt = 40
    rems_form_due_days: PositiveInt = 7
    rems_bp_at_min: PositiveInt = 40
    early_stop_tolerance_min: Annotated[int, Field(ge=0)] = 2
    """[policy] Dosing that ends more than this many minutes before its planned duration has stopped early: it
    needs a reason and records the dose actually given."""


# --- Section 5: measurement-based care --------------------------------------------------------------------------


class Outcomes(_Frozen):
    baseline_instrument: Literal["phq9", "madrs", "qids_sr16"] = "phq9"
    """The questionnaire whose last score before a course's first dose is the course's baseline."""
    response_drop_percent: Annotated[Decimal, Field(gt=0, le=100)] = Decimal("50")
    remission_phq9_below: PositiveInt = 5
    remission_madrs_at_or_below: PositiveInt = 10
    post_course_weekly_weeks: PositiveInt = 4
    post_course_weekly_interval_days: Annotated[int, Field(ge=1)] = 7
    """After a course, a questionnaire every this many days for `post_course_weekly_weeks` weeks..."""
    post_course_interval_days: Annotated[int, Field(ge=1)] = 14
    """... and every this many days from then on [policy]."""
    relapse_rise_points: PositiveInt = 5
    relapse_phq9_threshold: PositiveInt = 10
    relapse_plan_review_days: Annotated[int, Field(ge=1)] = 90
    portal_questionnaire_refill_days: Annotated[int, Field(ge=1)] = 14
    """[policy] The portal asks for a questionnaire again once the last one is this many days old."""
    portal_due_shown_hours_before: Annotated[int, Field(ge=0, le=14 * 24)] = 48
    """[policy] The portal (and `GET /api/v1/me/`) lists a questionnaire due by the cadence from this many hours
    before it is due: the evening before a dosing session, a day or two before a weekly one after the course."""


# --- Section 6: integration therapy notes ------------------------------------------------------------------------


class Integration(_Frozen):
    phq9_nearest_window_days: PositiveInt = 7
    """A note carries the patient's PHQ-9 closest in time to the session, if one lies within this many days."""
    note_max_duration_min: Annotated[int, Field(ge=1)] = 240
    """[policy] A note's duration above this is refused as a typing slip; 60-90 min is typical (scheduling)."""
    emdr_target_complete_sud_at_or_below: Annotated[int, Field(ge=0, le=10)] = 1
    """An EMDR target is complete at SUD 0-1, VOC 7 and a clear body scan."""
    emdr_target_complete_voc: Annotated[int, Field(ge=1, le=7)] = 7


# --- Section 8: reminders -----------------------------------------------------------------------------------------


class Reminders(_Frozen):
    """When patients are reminded (clinic/reminders/; the kinds are registered by the apps that own the subjects)."""

    dosing_session_first_hours_before: Annotated[int, Field(ge=1)] = 48
    """[policy] The first reminder before a dosing session (preparation, escort, what to bring)."""
    dosing_session_second_hours_before: Annotated[int, Field(ge=1)] = 2
    """[policy] The last reminder before a dosing session (fasting times); quiet hours do not hold it back."""
    integration_hours_before: Annotated[int, Field(ge=1)] = 24
    questionnaire_nudges: PositiveInt = 3
    """[policy] How many nudges follow a questionnaire that is due and not yet answered."""
    questionnaire_nudge_every_hours: Annotated[int, Field(ge=1)] = 24
    questionnaire_hours_before_session: Annotated[int, Field(ge=0)] = 24
    """[policy] A questionnaire due at a session of the course is announced this long before the session starts."""
    questionnaire_link_valid_hours: Annotated[int, Field(ge=1, le=24 * 14)] = 72
    """[policy] How long the one-time link in a questionnaire message works."""
    rems_form_alert_days_before: Annotated[int, Field(ge=0)] = 2
    """[policy] The care team is alerted (and emailed) when a REMS form not yet submitted is due within this many
    days."""


# --- Section 10: secure messages --------------------------------------------------------------------------------


class Messaging(_Frozen):
    """Secure messages between a patient and their care team (messaging/)."""

    message_max_chars: Annotated[int, Field(ge=100, le=10000)] = 2000
    """[policy] The longest message a patient or a clinician may send (text only)."""
    crisis_words: tuple[Annotated[str, Field(min_length=2, max_length=60)], ...] = (
        "suicide",
        "suicidal",
        "kill myself",
        "killing myself",
        "end my life",
        "want to die",
        "better off dead",
        "hurt myself",
        "harm myself",
        "self-harm",
        "overdose",
        "no reason to live",
    )
    """[policy] A message that contains one of these words or phrases (any case, whole words) is flagged to the care
    team at once, as a safety alert."""


# --- Access: break-glass (docs/security.md) ----------------------------------------------------------------------


class BreakGlass(_Frozen):
    reason_min_chars: Annotated[int, Field(ge=1, le=500)] = 20
    """[policy] A prescriber who opens a patient outside their sites types a reason at least this long."""
    access_minutes: Annotated[int, Field(ge=5, le=24 * 60)] = 60
    """[policy] How long that access lasts."""


# --- The patient portal (docs/clinical-protocol.md, section 10) --------------------------------------------------


class Portal(_Frozen):
    invitation_valid_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 72
    """[policy] A portal invitation's link works for this many hours, once."""
    appointment_notice_hours: PositiveInt = 24
    """[policy] A request to move or cancel a session made less than this many hours before it is inside the
    clinic's notice period: the page warns about the clinic's policy (the request is still sent)."""
    check_in_opens_hours_before: Annotated[int, Field(ge=1, le=48)] = 24
    """[policy] The patient's pre-visit check-in opens this many hours before a dosing session."""


class Protocol(_Frozen):
    """A complete protocol. `Protocol()` is the default protocol of docs/clinical-protocol.md."""

    instruments: Instruments = Instruments()
    screening: Screening = Screening()
    dosing: Dosing = Dosing()
    scheduling: Scheduling = Scheduling()
    monitoring: Monitoring = Monitoring()
    outcomes: Outcomes = Outcomes()
    integration: Integration = Integration()
    reminders: Reminders = Reminders()
    messaging: Messaging = Messaging()
    break_glass: BreakGlass = BreakGlass()
    portal: Portal = Portal()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.model_dump(mode="json")
        return data


DEFAULT_PROTOCOL = Protocol()


def validation_messages(error: ValidationError) -> dict[str, str]:
    """Flatten pydantic errors into {"dosing.routes.iv.default_mg_per_kg": "message"} for forms and the API."""
    messages: dict[str, str] = {}
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "settings"
        messages[path] = item["msg"]
    return messages
