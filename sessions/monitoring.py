"""In-session monitoring rules (clinical protocol §4, "In-session monitoring").

Pure Python, no Django import. Fasting attestation at check-in, the pre-dose vitals gate, in-session alerts,
the vitals timetable, and discharge readiness. Every threshold comes from the protocol passed in; "now" is
always an argument. Datetimes must be timezone-aware; times returned are in UTC.

Decisions where section 4 leaves room:

- Vitals must pass `plausibility_errors` before the gate or the alerts look at them (`ImplausibleVitalsError`
  otherwise): a mistyped SpO2 of 980 must not read as "above 95 %, proceed".
- The gate lists every reason, defer reasons first. A measure that defers is not also listed as a review
  reason (systolic 185 is "above 180", not also "above 140"); another measure in the review range still is.
- Fasting: a time that was not attested (None) is a `review`, like a violation.
- Timetable: readings are due at the start of dosing and every `vitals_every_min_while_dosing` while dosing,
  then at the end of dosing and every `vitals_every_min_after_dosing` after it, up to and including `until`.
  `next_vitals_due` counts from the last reading: 10 min after a reading taken while dosing was running, 15
  min after one taken once dosing had ended; with no reading since dosing started, the reading is due at the
  start.
- Discharge: observation counts from the end of dosing; if the end has not been recorded the observation is
  too short by definition.
- Dissociation: the CADSS-6 is due `cadss_at_min` after dosing starts (counted from the start, like the REMS
  40-minute blood pressure, because the esketamine device has no infusion to end).
- The esketamine REMS Patient Monitoring Form is filled from the session's own records. The blood pressure "at
  40 min" is the reading nearest `rems_bp_at_min` after dosing started, and the one "before discharge" the last
  reading before discharge, each only if it is no more than `vitals_every_min_after_dosing` away: with vitals
  due that often, a reading further off was not taken for that moment. Sedation is "yes" when an over-sedation
  adverse event was recorded, "no" once the patient is discharged without one; dissociation is the highest
  CADSS-6 total ("yes" above 0). The form is due `rems_form_due_days` after the local day of discharge, and is
  overdue the day after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Literal, NamedTuple

from clinic import clock
from clinic.protocol import Monitoring, Protocol, Route, VitalLimits
from sessions.dosing import ROUTE_LABELS

__all__ = [
    "DIASTOLIC_PLAUSIBLE_MMHG",
    "HEART_RATE_PLAUSIBLE_PER_MIN",
    "RESPIRATORY_RATE_PLAUSIBLE_PER_MIN",
    "SPO2_PLAUSIBLE_PERCENT",
    "SYSTOLIC_PLAUSIBLE_MMHG",
    "BloodPressure",
    "DischargeBlocker",
    "DischargeResult",
    "DissociationTotal",
    "FastingResult",
    "FastingTimes",
    "GateResult",
    "ImplausibleVitalsError",
    "RemsForm",
    "RemsItem",
    "RemsRecord",
    "RemsStatus",
    "Vitals",
    "cadss_due_at",
    "discharge_readiness",
    "fasting_check",
    "fasting_times",
    "in_session_alerts",
    "next_vitals_due",
    "plausibility_errors",
    "pre_dose_gate",
    "rems_form",
    "rems_status",
    "vitals_due_times",
]

# Data-entry sanity limits, NOT clinical thresholds: a value outside them is a typing or device error and is
# refused at entry. Clinical thresholds (gate, alerts) are protocol settings.
SYSTOLIC_PLAUSIBLE_MMHG = (40, 300)
DIASTOLIC_PLAUSIBLE_MMHG = (20, 200)
HEART_RATE_PLAUSIBLE_PER_MIN = (20, 250)
SPO2_PLAUSIBLE_PERCENT = (50, 100)
RESPIRATORY_RATE_PLAUSIBLE_PER_MIN = (4, 60)

_PLAUSIBLE: tuple[tuple[str, str, tuple[int, int], str], ...] = (
    ("systolic", "Systolic", SYSTOLIC_PLAUSIBLE_MMHG, " mmHg"),
    ("diastolic", "Diastolic", DIASTOLIC_PLAUSIBLE_MMHG, " mmHg"),
    ("heart_rate", "Heart rate", HEART_RATE_PLAUSIBLE_PER_MIN, "/min"),
    ("spo2", "SpO2", SPO2_PLAUSIBLE_PERCENT, " %"),
    ("respiratory_rate", "Respiratory rate", RESPIRATORY_RATE_PLAUSIBLE_PER_MIN, "/min"),
)

FastingStatus = Literal["ok", "review"]
GateDecision = Literal["proceed", "review", "defer"]
DischargeBlockerCode = Literal["aldrete_too_low", "observation_too_short", "no_escort"]
RemsStatus = Literal["not_required", "in_progress", "due", "overdue", "submitted"]


@dataclass(frozen=True, slots=True)
class Vitals:
    """One set of vital signs: blood pressure in mmHg, heart and respiratory rate per minute, SpO2 in %."""

    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int
    respiratory_rate: int | None = None


class ImplausibleVitalsError(ValueError):
    """Vitals that cannot be real; `errors` maps the `Vitals` field to a message, as `plausibility_errors`."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class FastingResult:
    status: FastingStatus
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GateResult:
    decision: GateDecision
    reasons: tuple[str, ...]


class DischargeBlocker(NamedTuple):
    code: DischargeBlockerCode
    message: str


@dataclass(frozen=True, slots=True)
class DischargeResult:
    ready: bool
    blockers: tuple[DischargeBlocker, ...]


def fasting_check(
    route: Route | str,
    solids_hours: Decimal | None,
    clear_liquids_hours: Decimal | None,
    monitoring: Monitoring,
) -> FastingResult:
    """Fasting attestation at check-in (clinical protocol §4): hours since the last solids and the last
    clear liquids against the route's protocol minimums. A shortfall, or a time not attested (None), is
    `review`: the prescriber decides."""
    route = Route(route)
    rule = monitoring.fasting.get(route)
    if rule is None:
        raise ValueError(f"protocol error: no fasting rule for route {route.value}")
    label = ROUTE_LABELS[route]
    reasons: list[str] = []
    for what, hours, minimum in (
        ("solids", solids_hours, rule.solids_hours),
        ("clear liquids", clear_liquids_hours, rule.clear_liquids_hours),
    ):
        if hours is None:
            reasons.append(f"Time since the last {what} was not attested")
        elif hours < 0:
            raise ValueError(f"hours since the last {what} must not be negative, got {hours}")
        elif hours < minimum:
            reasons.append(
                f"Last {what} {clock.hours_words(hours)} ago; the {label} needs none for {clock.hours_words(minimum)}"
            )
    return FastingResult("review" if reasons else "ok", tuple(reasons))


@dataclass(frozen=True, slots=True)
class FastingTimes:
    """The last moments to eat solids and to drink clear liquids before a session (aware, as `start` was given)."""

    solids_until: datetime
    clear_liquids_until: datetime


def fasting_times(start: datetime, route: Route | str, monitoring: Monitoring) -> FastingTimes:
    """When the patient stops eating and drinking before a session starting at `start` (clinical protocol §4, the
    fasting the check-in attests): the route's solids and clear-liquids hours before the start. The reminders
    before a dosing session tell the patient these times."""
    route = Route(route)
    rule = monitoring.fasting.get(route)
    if rule is None:
        raise ValueError(f"protocol error: no fasting rule for route {route.value}")
    return FastingTimes(
        solids_until=start - timedelta(seconds=int(rule.solids_hours * 3600)),
        clear_liquids_until=start - timedelta(seconds=int(rule.clear_liquids_hours * 3600)),
    )


def plausibility_errors(vitals: Vitals) -> dict[str, str]:
    """Values no living patient can have, by field (data-entry sanity limits, not clinical thresholds)."""
    errors: dict[str, str] = {}
    for field, label, (low, high), unit in _PLAUSIBLE:
        value = getattr(vitals, field)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            errors[field] = f"{label} must be a whole number."
        elif not low <= value <= high:
            errors[field] = f"{label} {value}{unit} is not plausible (accepted {low}-{high}{unit}): check the entry."
    if not errors.keys() & {"systolic", "diastolic"} and vitals.diastolic >= vitals.systolic:
        errors["diastolic"] = f"Diastolic {vitals.diastolic} mmHg must be below systolic {vitals.systolic} mmHg."
    return errors


def pre_dose_gate(vitals: Vitals, monitoring: Monitoring) -> GateResult:
    """Pre-dose vitals gate (clinical protocol §4): `defer` beyond the protocol's defer limits
    (default systolic > 180, diastolic > 110, heart rate < 50 or > 120, SpO2 < 95 %); `review` (a prescriber
    acknowledges with a reason) for systolic or diastolic above the review limits (default 140 / 90); else
    `proceed`. Every reason is listed. Raises `ImplausibleVitalsError` for impossible values."""
    _require_plausible(vitals)
    defer = monitoring.gate_defer
    defer_reasons = _breaches(vitals, defer, "defer dosing")
    review_reasons: list[str] = []
    action = "a prescriber must acknowledge with a reason to proceed"
    if monitoring.gate_review_systolic_above < vitals.systolic <= defer.systolic_above:
        review_reasons.append(
            f"Systolic {vitals.systolic} mmHg is above {monitoring.gate_review_systolic_above} mmHg: {action}"
        )
    if monitoring.gate_review_diastolic_above < vitals.diastolic <= defer.diastolic_above:
        review_reasons.append(
            f"Diastolic {vitals.diastolic} mmHg is above {monitoring.gate_review_diastolic_above} mmHg: {action}"
        )
    decision: GateDecision = "defer" if defer_reasons else "review" if review_reasons else "proceed"
    return GateResult(decision, (*defer_reasons, *review_reasons))


def in_session_alerts(vitals: Vitals, monitoring: Monitoring) -> tuple[str, ...]:
    """In-session alerts, pause recommended (clinical protocol §4): beyond the protocol's alert limits
    (default systolic > 180, diastolic > 110, heart rate > 130 or < 45, SpO2 < 92 %). Raises
    `ImplausibleVitalsError` for impossible values."""
    _require_plausible(vitals)
    return tuple(_breaches(vitals, monitoring.alert, "pause recommended"))


def vitals_due_times(
    dosing_started_at: datetime,
    dosing_ended_at: datetime | None,
    until: datetime,
    monitoring: Monitoring,
) -> list[datetime]:
    """The vitals timetable (clinical protocol §4, "During"), in UTC: from the start of dosing every
    `vitals_every_min_while_dosing` minutes while dosing, then from the end of dosing every
    `vitals_every_min_after_dosing` minutes, up to and including `until` (e.g. the discharge, or now). With no
    end recorded, dosing is still running."""
    start = _utc(dosing_started_at, "dosing_started_at")
    end = None if dosing_ended_at is None else _utc(dosing_ended_at, "dosing_ended_at")
    limit = _utc(until, "until")
    if end is not None and end < start:
        raise ValueError("dosing_ended_at is before dosing_started_at")
    due: list[datetime] = []
    at = start
    while at <= limit and (end is None or at < end):
        due.append(at)
        at += timedelta(minutes=monitoring.vitals_every_min_while_dosing)
    if end is not None:
        at = end
        while at <= limit:
            due.append(at)
            at += timedelta(minutes=monitoring.vitals_every_min_after_dosing)
    return due


def next_vitals_due(
    last_reading_at: datetime | None,
    dosing_started_at: datetime,
    dosing_ended_at: datetime | None,
    now: datetime,
    monitoring: Monitoring,
) -> datetime:
    """When the next vital signs are due, in UTC (clinical protocol §4, "During"): the start of
    dosing if there is no reading since dosing started; else `vitals_every_min_while_dosing` after a reading
    taken while dosing ran, `vitals_every_min_after_dosing` after one taken once it had ended. A result at or
    before `now` means the reading is overdue."""
    start = _utc(dosing_started_at, "dosing_started_at")
    end = None if dosing_ended_at is None else _utc(dosing_ended_at, "dosing_ended_at")
    current = _utc(now, "now")
    if end is not None and end > current:
        raise ValueError("dosing_ended_at is after now")
    if last_reading_at is None:
        return start
    last = _utc(last_reading_at, "last_reading_at")
    if last > current:
        raise ValueError("last_reading_at is after now")
    if last < start:
        return start
    if end is None or last < end:
        return last + timedelta(minutes=monitoring.vitals_every_min_while_dosing)
    return last + timedelta(minutes=monitoring.vitals_every_min_after_dosing)


def discharge_readiness(
    aldrete_total: int,
    dosing_ended_at: datetime | None,
    now: datetime,
    route: Route | str,
    escort_present: bool,
    protocol: Protocol,
) -> DischargeResult:
    """Discharge readiness (clinical protocol §4, "Discharge"): a modified Aldrete total of at least
    `instruments.aldrete_discharge_min` (9), the route's minimum observation after dosing ended
    (`dosing.routes[route].observation_min`: IV/IM 30, sublingual 60, esketamine 120 min), and an escort
    present. Every blocker is listed."""
    route = Route(route)
    scale = protocol.instruments.aldrete
    lowest, highest = scale.items * scale.item_min, scale.items * scale.item_max
    if not lowest <= aldrete_total <= highest:
        raise ValueError(f"a modified Aldrete total is {lowest}-{highest}, got {aldrete_total}")
    current = _utc(now, "now")
    blockers: list[DischargeBlocker] = []

    minimum_score = protocol.instruments.aldrete_discharge_min
    if aldrete_total < minimum_score:
        blockers.append(
            DischargeBlocker(
                "aldrete_too_low",
                f"Modified Aldrete score {aldrete_total}; discharge needs at least {minimum_score}",
            )
        )

    observation_min = protocol.dosing.routes[route].observation_min
    label = ROUTE_LABELS[route]
    if dosing_ended_at is None:
        blockers.append(
            DischargeBlocker(
                "observation_too_short",
                f"The end of dosing is not recorded; the {label} needs {observation_min} min of observation after it",
            )
        )
    else:
        observed = current - _utc(dosing_ended_at, "dosing_ended_at")
        if observed < timedelta(0):
            raise ValueError("dosing_ended_at is after now")
        if observed < timedelta(minutes=observation_min):
            blockers.append(
                DischargeBlocker(
                    "observation_too_short",
                    f"Observed {observed // timedelta(minutes=1)} min since dosing ended; the {label} needs "
                    f"at least {observation_min} min",
                )
            )

    if not escort_present:
        blockers.append(
            DischargeBlocker("no_escort", "No escort present: a responsible adult must take the patient home")
        )
    return DischargeResult(not blockers, tuple(blockers))


def cadss_due_at(dosing_started_at: datetime, monitoring: Monitoring) -> datetime:
    """When the CADSS-6 is due (clinical protocol §4, "During": at 40 min): `cadss_at_min` after dosing
    started, in UTC."""
    return _utc(dosing_started_at, "dosing_started_at") + timedelta(minutes=monitoring.cadss_at_min)


@dataclass(frozen=True, slots=True)
class BloodPressure:
    """A blood pressure reading as the REMS form takes it; `pre_dose` marks the readings of the pre-dose gate."""

    at: datetime
    systolic: int
    diastolic: int
    pre_dose: bool = False


@dataclass(frozen=True, slots=True)
class DissociationTotal:
    """A CADSS-6 total (0-24) and when it was taken, in minutes after dosing started."""

    at: datetime
    total: int
    minutes_after_dosing_start: int


@dataclass(frozen=True, slots=True)
class RemsRecord:
    """What the session's own records hold for the REMS form. `sedation` holds the over-sedation adverse events
    as (time, severity)."""

    dose_mg: Decimal | None
    lot_number: str
    dosing_started_at: datetime | None
    discharged_at: datetime | None
    readings: tuple[BloodPressure, ...]
    sedation: tuple[tuple[datetime, str], ...]
    dissociation: tuple[DissociationTotal, ...]


@dataclass(frozen=True, slots=True)
class RemsItem:
    """One item of the form: `value` as the form shows it, or None when the record does not hold it (`detail`
    says why); `at` is the time of the reading or score it comes from."""

    key: str
    label: str
    value: str | None
    detail: str = ""
    at: datetime | None = None

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class RemsForm:
    items: tuple[RemsItem, ...]
    due_on: date | None

    @property
    def missing(self) -> tuple[RemsItem, ...]:
        return tuple(item for item in self.items if item.missing)

    @property
    def complete(self) -> bool:
        return not self.missing


def rems_form(record: RemsRecord, monitoring: Monitoring, tz: tzinfo) -> RemsForm:
    """The esketamine REMS Patient Monitoring Form (clinical protocol §4): dose, lot, blood pressure before
    dosing, at about `rems_bp_at_min` and before discharge, sedation, dissociation and the total monitoring time,
    each from the session's records or missing; due `rems_form_due_days` after the local day of discharge. Times
    are shown on the wall clock of `tz`."""
    start = None if record.dosing_started_at is None else _utc(record.dosing_started_at, "dosing_started_at")
    discharged = None if record.discharged_at is None else _utc(record.discharged_at, "discharged_at")
    form = _RemsFormBuilder(record, monitoring, tz, start, discharged)
    due_on = None
    if discharged is not None:
        due_on = discharged.astimezone(tz).date() + timedelta(days=monitoring.rems_form_due_days)
    return RemsForm(form.items(), due_on)


@dataclass(frozen=True, slots=True)
class _RemsFormBuilder:
    record: RemsRecord
    monitoring: Monitoring
    tz: tzinfo
    start: datetime | None
    discharged: datetime | None

    def items(self) -> tuple[RemsItem, ...]:
        return (
            self._dose(),
            self._lot(),
            self._bp_pre_dose(),
            self._bp_post_dose(),
            self._bp_before_discharge(),
            self._sedation(),
            self._dissociation(),
            self._monitoring_time(),
        )

    @property
    def _window(self) -> timedelta:
        return timedelta(minutes=self.monitoring.vitals_every_min_after_dosing)

    def _clock(self, at: datetime) -> str:
        return clock.clock_words(at.astimezone(self.tz), zone=False)

    def _after_start(self) -> list[BloodPressure]:
        start = self.start
        return [r for r in self.record.readings if not r.pre_dose and start is not None and r.at >= start]

    def _dose(self) -> RemsItem:
        dose = self.record.dose_mg
        if dose is None:
            return RemsItem("dose", "Dose", None, "Dosing has not started.")
        return RemsItem("dose", "Dose", f"{format(dose, 'f')} mg")

    def _lot(self) -> RemsItem:
        lot = self.record.lot_number
        return RemsItem("lot_number", "Lot number", lot or None, "" if lot else "Dosing has not started.")

    def _bp(self, key: str, label: str, reading: BloodPressure | None, why: str) -> RemsItem:
        if reading is None:
            return RemsItem(key, label, None, why)
        value = f"{reading.systolic}/{reading.diastolic} mmHg at {self._clock(reading.at)}"
        detail = (
            ""
            if self.start is None or reading.pre_dose
            else f"{_minutes(reading.at - self.start)} min after dosing started"
        )
        return RemsItem(key, label, value, detail, reading.at)

    def _bp_pre_dose(self) -> RemsItem:
        pre = [r for r in self.record.readings if r.pre_dose]
        latest = max(pre, key=lambda r: r.at) if pre else None
        return self._bp("bp_pre_dose", "Blood pressure before dosing", latest, "No pre-dose reading.")

    def _bp_post_dose(self) -> RemsItem:
        minutes = self.monitoring.rems_bp_at_min
        label = f"Blood pressure at about {minutes} min"
        if self.start is None:
            return self._bp("bp_post_dose", label, None, "Dosing has not started.")
        target = self.start + timedelta(minutes=minutes)
        near = [r for r in self._after_start() if abs(r.at - target) <= self._window]
        nearest = min(near, key=lambda r: (abs(r.at - target), r.at)) if near else None
        why = (
            f"No reading within {self.monitoring.vitals_every_min_after_dosing} min of {self._clock(target)} "
            f"({minutes} min after dosing started)."
        )
        return self._bp("bp_post_dose", label, nearest, why)

    def _bp_before_discharge(self) -> RemsItem:
        label = "Blood pressure before discharge"
        discharged = self.discharged
        if discharged is None:
            return self._bp("bp_before_discharge", label, None, "Not discharged yet.")
        before = [r for r in self._after_start() if discharged - self._window <= r.at <= discharged]
        why = f"No reading in the {self.monitoring.vitals_every_min_after_dosing} min before discharge."
        return self._bp("bp_before_discharge", label, max(before, key=lambda r: r.at) if before else None, why)

    def _sedation(self) -> RemsItem:
        label = "Sedation observed"
        if self.record.sedation:
            events = sorted(self.record.sedation)
            listed = "; ".join(f"{severity} at {self._clock(at)}" for at, severity in events)
            return RemsItem(
                "sedation", label, f"Yes: {listed}", "Over-sedation recorded as an adverse event.", events[0][0]
            )
        if self.discharged is None:
            return RemsItem("sedation", label, None, "Known at discharge (record over-sedation as an adverse event).")
        return RemsItem("sedation", label, "No", "No over-sedation adverse event was recorded.")

    def _dissociation(self) -> RemsItem:
        label = "Dissociation observed"
        if not self.record.dissociation:
            return RemsItem("dissociation", label, None, "Record the CADSS-6.")
        worst = max(self.record.dissociation, key=lambda d: (d.total, d.at))
        answer = "Yes" if worst.total > 0 else "No"
        value = f"{answer}: CADSS-6 total {worst.total} at {self._clock(worst.at)}"
        return RemsItem(
            "dissociation", label, value, f"{worst.minutes_after_dosing_start} min after dosing started", worst.at
        )

    def _monitoring_time(self) -> RemsItem:
        label = "Total monitoring time"
        if self.start is None or self.discharged is None:
            return RemsItem("monitoring_min", label, None, "Known at discharge.")
        value = (
            f"{_minutes(self.discharged - self.start)} min ({self._clock(self.start)}-{self._clock(self.discharged)})"
        )
        return RemsItem("monitoring_min", label, value)


def _minutes(span: timedelta) -> int:
    return span // timedelta(minutes=1)


def rems_status(due_on: date | None, submitted: bool, today: date, *, undosed: bool = False) -> RemsStatus:
    """Where a REMS form stands: `submitted`; `not_required` for a session closed without dosing (`undosed`:
    cancelled, deferred, no-show); `in_progress` before discharge (no due date yet); `due` up to and including its
    due day; `overdue` after it (clinical protocol §4: due within 7 days)."""
    if submitted:
        return "submitted"
    if undosed:
        return "not_required"
    if due_on is None:
        return "in_progress"
    return "overdue" if today > due_on else "due"


def _require_plausible(vitals: Vitals) -> None:
    errors = plausibility_errors(vitals)
    if errors:
        raise ImplausibleVitalsError(errors)


def _breaches(vitals: Vitals, limits: VitalLimits, action: str) -> list[str]:
    reasons: list[str] = []
    if vitals.systolic > limits.systolic_above:
        reasons.append(f"Systolic {vitals.systolic} mmHg is above {limits.systolic_above} mmHg: {action}")
    if vitals.diastolic > limits.diastolic_above:
        reasons.append(f"Diastolic {vitals.diastolic} mmHg is above {limits.diastolic_above} mmHg: {action}")
    if vitals.heart_rate > limits.heart_rate_above:
        reasons.append(f"Heart rate {vitals.heart_rate}/min is above {limits.heart_rate_above}/min: {action}")
    if vitals.heart_rate < limits.heart_rate_below:
        reasons.append(f"Heart rate {vitals.heart_rate}/min is below {limits.heart_rate_below}/min: {action}")
    if vitals.spo2 < limits.spo2_below:
        reasons.append(f"SpO2 {vitals.spo2} % is below {limits.spo2_below} %: {action}")
    return reasons


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)
