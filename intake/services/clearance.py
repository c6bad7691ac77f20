"""Whether a patient may be booked for, and given, a dosing session at a time (clinical protocol §1). This is what
the sessions app asks before booking or starting dosing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.models import Patient
from clinic.services import current_protocol
from clinic.times import site_date
from intake.consent import CURRENT_CONSENT_VERSION
from intake.models import Consent, MedicalClearance, SafetyTask, SafetyTaskStatus, Screening, ScreeningStatus
from intake.rules import Decision, FindingKind
from intake.services.screening import screening_current, validity_days


@dataclass(frozen=True)
class Clearance:
    """Whether a patient may be booked for (and given) a dosing session at a time, and in plain words why not.

    `safety_alerts` (open safety tasks: a patient's suicide risk) do not block dosing by themselves but are never
    shown as mere warnings: pages show them first, in red. `warnings` are the rest of what does not block."""

    cleared: bool
    reasons: tuple[str, ...]
    screening_id: int | None
    warnings: tuple[str, ...] = ()
    safety_alerts: tuple[str, ...] = ()


def latest_screening(patient: Patient, at: dt.datetime | None = None) -> Screening | None:
    qs = Screening.objects.filter(patient=patient).exclude(status=ScreeningStatus.DRAFT)
    if at is not None:
        qs = qs.filter(screened_at__lte=at)
    return qs.select_related("protocol_version", "patient__site").order_by("-screened_at", "-id").first()


def _finding_messages(screening: Screening, kind: FindingKind) -> str:
    return " ".join(f["message"] for f in screening.findings_of(kind))


def is_cleared_for_dosing(patient: Patient, at: dt.datetime) -> Clearance:
    """Before a dosing session (clinical protocol §1): a current screening that is eligible or overridden,
    signed consent of the current document, and a prescriber's medical clearance within the screening validity.

    The latest screening at `at` decides (a newer ineligible one is not outweighed by an older eligible one).
    Every missing piece is a reason; open safety tasks are safety alerts and the screening's warning findings and
    a missing C-SSRS screener are warnings: neither blocks.
    """
    reasons: list[str] = []
    warnings: list[str] = []
    protocol = current_protocol(patient.site)
    days = protocol.screening.validity_days
    screening = latest_screening(patient, at)
    if screening is None:
        reasons.append("No intake screening has been recorded.")
    else:
        on = f"The screening of {site_date(screening.screened_at, patient.site)}"
        if screening.decision == Decision.INELIGIBLE:
            reasons.append(f"{on} is ineligible: {_finding_messages(screening, FindingKind.ABSOLUTE)}")
        elif screening.decision == Decision.OVERRIDE_REQUIRED and not hasattr(screening, "override"):
            reasons.append(
                f"{on} needs a prescriber's override with a reason, not given yet: "
                f"{_finding_messages(screening, FindingKind.RELATIVE)}"
            )
        if not screening_current(screening, at):
            reasons.append(f"{on} is older than {validity_days(screening)} days and must be renewed.")
        warnings += [f["message"] for f in screening.findings_of(FindingKind.WARNING)]
        if screening.cssrs_assessment_id is None:
            warnings.append(
                f"No C-SSRS screener in the {screening.protocol_version.protocol().screening.cssrs_lookback_days} "
                "days before the screening: its suicide-risk rule could not be applied."
            )
    if not Consent.objects.filter(
        patient=patient, document_version=CURRENT_CONSENT_VERSION, signed_at__lte=at
    ).exists():
        reasons.append(f"No signed consent (document {CURRENT_CONSENT_VERSION}).")
    since = at - dt.timedelta(days=days)
    if not MedicalClearance.objects.filter(patient=patient, cleared_at__lte=at, cleared_at__gte=since).exists():
        reasons.append(f"No medical clearance by a prescriber in the last {days} days.")
    open_tasks = SafetyTask.objects.filter(patient=patient, status=SafetyTaskStatus.OPEN)
    safety = [
        f"Open safety task since {site_date(task.created_at, patient.site)}: {task.reason}. Document the safety "
        "evaluation before dosing."
        for task in open_tasks.order_by("created_at")
    ]
    return Clearance(
        cleared=not reasons,
        reasons=tuple(reasons),
        screening_id=screening.pk if screening else None,
        warnings=tuple(warnings),
        safety_alerts=tuple(safety),
    )
