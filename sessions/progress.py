"""Where a dosing session stands (clinical protocol §4): what starting dosing still needs, what discharge still
needs, and what ending dosing before its planned time means for the dose given.

Pure Python, no Django import. The services gather the facts from the session's records; the session page shows
the checklists these functions return (ticking themselves as the nurse records), and the services refuse with the
same checklists, so a button is disabled for exactly the reasons the service would give.

Decisions where §4 leaves room:

- A requirement that the form being filled in supplies (the dose inputs, the Aldrete score, the escort at
  discharge) is not judged (`met` None) until the form has been read; it does not disable the button, and the
  service judges it when the form is posted. Everything else is judged from the record.
- Starting dosing checks, in this order: clearance, pre-dose vitals recorded, the gate (not `defer`), the
  prescriber's review of a `review` reading, the fasting attestation (`ok`, or reviewed), the escort, the dose.
  The review of the reading and of the fasting are one refusal (`review_unacknowledged`) listing every reason.
- Early stop: dosing that ends more than `monitoring.early_stop_tolerance_min` before its planned duration has
  ended early. It needs a reason and records the dose actually given: the nurse's figure (never more than the
  planned dose), else the infusion rate times the time it ran (to 0.1 mg, half up, at most the planned dose),
  else (a dose with no rate, such as a sublingual hold) the planned dose. A dose without a planned duration
  (IM, esketamine) never ends early.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from clinic.protocol import Protocol, Route
from sessions.monitoring import discharge_readiness

__all__ = [
    "Checklist",
    "DischargeFacts",
    "DoseFacts",
    "EarlyStop",
    "EarlyStopError",
    "Refusal",
    "Requirement",
    "StartFacts",
    "discharge_checklist",
    "early_stop",
    "ends_early",
    "start_checklist",
]

GateDecision = Literal["proceed", "review", "defer"]
REVIEW_CODE = "review_unacknowledged"
DOSE_QUANTUM_MG = Decimal("0.1")
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One thing an action needs. `met` is None while it waits for the form; `text` says what is done or, when
    unmet, what is missing (the service's refusal); `code` is the refusal's stable code."""

    key: str
    code: str
    met: bool | None
    text: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Checklist:
    items: tuple[Requirement, ...]

    @property
    def ready(self) -> bool:
        """Nothing is known to be missing (requirements that wait for the form do not count)."""
        return all(item.met is not False for item in self.items)

    @property
    def unmet(self) -> tuple[Requirement, ...]:
        return tuple(item for item in self.items if item.met is False)

    def refusal(self) -> Refusal | None:
        """The service's answer: the first unmet requirement, with every reason of the same code."""
        unmet = self.unmet
        if not unmet:
            return None
        first = unmet[0]
        if first.code != REVIEW_CODE:
            return Refusal(first.code, first.text, first.reasons)
        reasons = tuple(reason for item in unmet if item.code == REVIEW_CODE for reason in item.reasons)
        message = "A prescriber must acknowledge with a reason before dosing starts: " + sentences(reasons)
        return Refusal(REVIEW_CODE, message, reasons)


# --- Starting dosing --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DoseFacts:
    """The dose the dose panel's inputs give: `summary` when it calculates, else `problem` (the calculation's
    refusal); `override_reasons` when it needs a prescriber's override, `override_given` when one is written."""

    summary: str = ""
    problem: str = ""
    override_reasons: tuple[str, ...] = ()
    override_given: bool = False


@dataclass(frozen=True, slots=True)
class StartFacts:
    """The record as it stands when dosing is to start. `gate` is the latest pre-dose reading's decision (None
    without one); a review is pending when nobody acknowledged it; `review_reason_given` when a prescriber
    acknowledges with the start itself; `dose` None when the dose inputs are not judged here."""

    clearance_reasons: tuple[str, ...]
    gate: GateDecision | None
    gate_reasons: tuple[str, ...]
    vitals_review_pending: bool
    fasting_ok: bool
    fasting_reasons: tuple[str, ...]
    fasting_review_pending: bool
    escort_confirmed: bool
    escort_name: str = ""
    review_reason_given: bool = False
    dose: DoseFacts | None = None


def sentences(parts: tuple[str, ...] | list[str]) -> str:
    """Reasons as sentences one after the other ("Last solids 2 hours ago. Last clear liquids 1 hour ago."), never run
    together: each starts with a capital and ends with a full stop."""
    said = [part.strip() for part in parts if part.strip()]
    return " ".join((part[0].upper() + part[1:]) + ("" if part.endswith((".", "!", "?")) else ".") for part in said)


def start_checklist(facts: StartFacts) -> Checklist:
    """What starting dosing needs (clinical protocol §2 and §4), in the order the service checks it."""
    items = [_cleared(facts), *_vitals_and_gate(facts), *_reviews(facts), _escort(facts)]
    if facts.dose is not None:
        items.append(_dose(facts.dose))
    return Checklist(tuple(items))


def _cleared(facts: StartFacts) -> Requirement:
    if not facts.clearance_reasons:
        return Requirement("cleared", "not_cleared", True, "Cleared for dosing by intake.")
    text = "The patient is not cleared for dosing: " + sentences(facts.clearance_reasons)
    return Requirement("cleared", "not_cleared", False, text, facts.clearance_reasons)


def _vitals_and_gate(facts: StartFacts) -> list[Requirement]:
    if facts.gate is None:
        return [
            Requirement("vitals", "vitals_required", False, "Record the pre-dose vital signs first."),
            Requirement("gate", "gate_defer", False, "The pre-dose gate decides once the vital signs are recorded."),
        ]
    vitals = Requirement("vitals", "vitals_required", True, "Pre-dose vital signs recorded.")
    if facts.gate == "defer":
        text = "The latest pre-dose vital signs say defer: " + sentences(facts.gate_reasons)
        return [vitals, Requirement("gate", "gate_defer", False, text, facts.gate_reasons)]
    return [vitals, Requirement("gate", "gate_defer", True, GATE_PASSED[facts.gate])]


GATE_PASSED = {
    "proceed": "The pre-dose vital signs are within the protocol's limits.",
    "review": "The pre-dose vital signs allow dosing once a prescriber has reviewed them (below).",
}


def _reviews(facts: StartFacts) -> list[Requirement]:
    items = []
    if facts.gate == "review":
        if facts.vitals_review_pending and not facts.review_reason_given:
            text = "The pre-dose vital signs need a prescriber's review: " + sentences(facts.gate_reasons)
            items.append(Requirement("vitals_review", REVIEW_CODE, False, text, facts.gate_reasons))
        else:
            items.append(Requirement("vitals_review", REVIEW_CODE, True, "A prescriber reviewed the vital signs."))
    if facts.fasting_ok:
        items.append(Requirement("fasting", REVIEW_CODE, True, "Fasting as the protocol asks."))
    elif facts.fasting_review_pending and not facts.review_reason_given:
        text = "The fasting needs a prescriber's review: " + sentences(facts.fasting_reasons)
        items.append(Requirement("fasting", REVIEW_CODE, False, text, facts.fasting_reasons))
    else:
        items.append(Requirement("fasting", REVIEW_CODE, True, "A prescriber reviewed the fasting."))
    return items


def _escort(facts: StartFacts) -> Requirement:
    if facts.escort_confirmed:
        who = f": {facts.escort_name}" if facts.escort_name else ""
        return Requirement("escort", "no_escort", True, f"Escort confirmed{who}.")
    text = "Confirm the escort (a responsible adult to take the patient home) before dosing starts."
    return Requirement("escort", "no_escort", False, text)


def _dose(dose: DoseFacts) -> Requirement:
    if dose.problem:
        return Requirement("dose", "invalid", False, dose.problem)
    if dose.override_reasons and not dose.override_given:
        text = "This dose needs a prescriber's override with a reason: " + sentences(dose.override_reasons)
        return Requirement("dose", "dose_override_required", False, text, dose.override_reasons)
    override = " with the prescriber's override" if dose.override_reasons else ""
    return Requirement("dose", "dose_override_required", True, f"Dose calculated: {dose.summary}{override}.")


# --- Discharge --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DischargeFacts:
    """The record and the discharge form as they stand: `aldrete_total` and `escort_present` are None until the
    form is read; `dosing_ended_at` None if the end of dosing is not recorded."""

    route: Route
    dosing_ended_at: datetime | None
    aldrete_total: int | None = None
    escort_present: bool | None = None


def discharge_checklist(facts: DischargeFacts, now: datetime, protocol: Protocol) -> Checklist:
    """What discharge needs (clinical protocol §4, "Discharge", judged by monitoring.discharge_readiness): the
    modified Aldrete total high enough, the route's minimum observation (with the minutes left), an escort present,
    in the order of the refusal's blockers."""
    minimum_score = protocol.instruments.aldrete_discharge_min
    readiness = discharge_readiness(
        minimum_score if facts.aldrete_total is None else facts.aldrete_total,
        facts.dosing_ended_at,
        now,
        facts.route,
        True if facts.escort_present is None else facts.escort_present,
        protocol,
    )
    blocked: dict[str, str] = {blocker.code: blocker.message + "." for blocker in readiness.blockers}
    needed = protocol.dosing.routes[facts.route].observation_min
    if "observation_too_short" in blocked:
        text = blocked["observation_too_short"]
        if facts.dosing_ended_at is not None:
            left = needed - (now - facts.dosing_ended_at) // _MINUTE
            text += f" {left} min left."
        observation = Requirement("observation", "observation_too_short", False, text)
    else:
        observation = Requirement("observation", "observation_too_short", True, f"Observed at least {needed} min.")
    return Checklist(
        (
            _judged(
                "aldrete",
                "aldrete_too_low",
                facts.aldrete_total,
                blocked,
                f"Modified Aldrete score {facts.aldrete_total} (at least {minimum_score} needed).",
                f"Modified Aldrete score of at least {minimum_score}: score the five items below.",
            ),
            observation,
            _judged(
                "escort",
                "no_escort",
                facts.escort_present,
                blocked,
                "Escort present to take the patient home.",
                "An escort present to take the patient home: tick it below.",
            ),
        )
    )


def _judged(
    key: str, code: str, value: int | bool | None, blocked: dict[str, str], met_text: str, waiting_text: str
) -> Requirement:
    if value is None:
        return Requirement(key, code, None, waiting_text)
    if code in blocked:
        return Requirement(key, code, False, blocked[code])
    return Requirement(key, code, True, met_text)


# --- Ending dosing ----------------------------------------------------------------------------------------------


class EarlyStopError(ValueError):
    """An early stop the record refuses; `field` names the input ("stop_reason", "actual_dose_mg")."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class EarlyStop:
    """The end of dosing: how long it ran, whether that was early, and the dose given."""

    actual_min: int
    early: bool
    actual_dose_mg: Decimal
    planned_min: int | None = None
    minutes_short: int = 0
    notes: tuple[str, ...] = field(default=())


def ends_early(started_at: datetime, at: datetime, planned_min: int | None, tolerance_min: int) -> bool:
    """Whether dosing ended at `at` would be an early stop: more than `tolerance_min` before its planned minutes."""
    return planned_min is not None and at - started_at < timedelta(minutes=planned_min - tolerance_min)


def early_stop(
    *,
    started_at: datetime,
    ended_at: datetime,
    planned_min: int | None,
    planned_dose_mg: Decimal,
    rate_mg_per_min: Decimal | None,
    tolerance_min: int,
    stop_reason: str = "",
    given_mg: Decimal | None = None,
) -> EarlyStop:
    """Judge the end of dosing (see the module's "Early stop"). Raises EarlyStopError when an early stop has no
    reason, or a dose given is negative or more than the planned dose."""
    ran = ended_at - started_at
    if ran < timedelta(0):
        raise ValueError("dosing ended before it started")
    actual_min = ran // _MINUTE
    if not ends_early(started_at, ended_at, planned_min, tolerance_min):
        return EarlyStop(actual_min, False, planned_dose_mg, planned_min)
    assert planned_min is not None  # noqa: S101 - early implies a planned duration
    short = planned_min - actual_min
    if not stop_reason.strip():
        raise EarlyStopError(
            "stop_reason",
            f"Dosing is ending after {actual_min} of the planned {planned_min} min: say why it stops early.",
        )
    if given_mg is not None:
        if given_mg < 0:
            raise EarlyStopError("actual_dose_mg", "The dose given cannot be negative.")
        if given_mg > planned_dose_mg:
            raise EarlyStopError(
                "actual_dose_mg", f"The dose given cannot be more than the planned {planned_dose_mg} mg."
            )
        return EarlyStop(actual_min, True, given_mg, planned_min, short, ("Dose given as entered by the nurse.",))
    if rate_mg_per_min is None:
        return EarlyStop(actual_min, True, planned_dose_mg, planned_min, short, ("The whole dose was given.",))
    seconds = Decimal(int(ran.total_seconds()))
    given = (rate_mg_per_min * seconds / 60).quantize(DOSE_QUANTUM_MG, rounding=ROUND_HALF_UP)
    note = f"Dose given {min(given, planned_dose_mg)} mg = {rate_mg_per_min} mg/min for {_clock(ran)}."
    return EarlyStop(actual_min, True, min(given, planned_dose_mg), planned_min, short, (note,))


def _clock(span: timedelta) -> str:
    minutes, seconds = divmod(int(span.total_seconds()), 60)
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


# --- A checklist ready to show (the session page reads it through sessions.queries) ---------------------------


@dataclass(frozen=True)
class RequirementView:
    text: str
    state: str
    mark: str
    label: str


@dataclass(frozen=True)
class ChecklistView:
    """A checklist ready to show: each requirement with its state (met, missing, to do from the form)."""

    items: tuple[RequirementView, ...]
    ready: bool
    missing: tuple[str, ...]


REQUIREMENT_STATES = {True: ("met", "✓", "Done"), False: ("unmet", "✗", "Missing"), None: ("waiting", "○", "To do")}


def checklist_view(checklist: Checklist) -> ChecklistView:
    items = tuple(RequirementView(item.text, *REQUIREMENT_STATES[item.met]) for item in checklist.items)
    return ChecklistView(items, checklist.ready, tuple(item.text for item in checklist.unmet))
