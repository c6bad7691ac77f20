"""Questionnaires (PHQ-9, GAD-7, C-SSRS screener, ...) scored with the site's protocol, and the safety tasks their
risk answers open (clinical protocol §5); the scores other apps read (a course's baseline)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit, events
from clinic.domain import lock_patient, locked, past_time, require, required_text
from clinic.errors import Conflict, InvalidInput
from clinic.models import NotificationKind, NotificationSeverity, Patient, Role, User
from clinic.notifications import notify_care_team
from clinic.protocol import Protocol
from clinic.services import use_protocol
from intake.instruments import AnswerError, Flag, Instrument, score
from intake.models import Assessment, AssessmentSource, QuestionnaireDraft, SafetyTask, SafetyTaskStatus
from intake.permissions import can_enter_assessments, can_resolve_safety_tasks, may_enter_for

SAFETY_FLAGS = frozenset({Flag.SUICIDAL_IDEATION, Flag.SUICIDE_RISK_MODERATE, Flag.SUICIDE_RISK_HIGH})


# --- Assessments ------------------------------------------------------------------------------------------------


def record_assessment(
    *,
    by: User,
    patient: Patient,
    instrument: str,
    answers: Any,
    administered_at: dt.datetime | None = None,
    source: AssessmentSource | str | None = None,
) -> Assessment:
    """Score and store one questionnaire. Risk (PHQ-9 item 9 > 0, C-SSRS moderate or high) alerts the care team
    and opens a safety task in the same transaction (clinical protocol §5)."""
    require(can_enter_assessments(by), "Your role may not enter questionnaires.")
    require(may_enter_for(by, patient), "Patients can only fill in their own questionnaires.")
    source = source or (AssessmentSource.PORTAL if by.role == Role.PATIENT else AssessmentSource.CLINIC)
    when = past_time(administered_at, "administered_at", timezone.now())
    with transaction.atomic():
        patient = lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        try:
            result = score(instrument, answers, protocol.instruments)
        except AnswerError as exc:
            field = exc.item if exc.item.startswith(("answers", "instrument")) else f"answers.{exc.item}"
            raise InvalidInput({field: exc.message}) from None
        assessment = Assessment.objects.create(
            patient=patient,
            instrument=result.instrument.value,
            answers=answers,
            total=result.total,
            severity=result.severity or "",
            flags=list(result.flags),
            administered_at=when,
            source=source,
            entered_by=by,
            protocol_version=version,
        )
        audit.record(
            "intake.assessment.create",
            patient=patient,
            obj=assessment,
            actor=by,
            details={
                "instrument": assessment.instrument,
                "total": assessment.total,
                "severity": assessment.severity,
                "flags": assessment.flags,
                "source": source,
                "protocol_version": version.number,
            },
        )
        QuestionnaireDraft.objects.filter(patient=patient, instrument=assessment.instrument).delete()
        if raises_safety_alert(assessment):
            _open_safety_task(assessment, by=by, protocol=protocol)
        events.on_assessment_recorded.send_on_commit(
            events.AssessmentRecorded(patient.pk, assessment.pk, assessment.instrument, by.pk)
        )
    return assessment


def raises_safety_alert(assessment: Assessment) -> bool:
    """Whether the answers signal risk (clinical protocol §5: PHQ-9 `suicidal_ideation`, C-SSRS moderate or
    high): the care team is alerted, a safety task opens and the portal shows crisis resources."""
    return bool(SAFETY_FLAGS & set(assessment.flags))


def _safety_reason(assessment: Assessment, protocol: Protocol) -> str:
    if Flag.SUICIDAL_IDEATION in assessment.flags:
        above = protocol.instruments.phq9_suicidal_ideation_item_above
        return f"{assessment.instrument_label} item 9 (thoughts of death or self-harm) answered above {above}"
    return f"{assessment.instrument_label} suicide risk {assessment.severity}"


def _open_safety_task(assessment: Assessment, *, by: User, protocol: Protocol) -> SafetyTask:
    patient = assessment.patient
    reason = _safety_reason(assessment, protocol)
    task = SafetyTask.objects.create(patient=patient, assessment=assessment, reason=reason)
    audit.record(
        "intake.safetytask.create",
        patient=patient,
        obj=task,
        actor=by,
        details={"assessment": assessment.pk, "reason": task.reason, "flags": assessment.flags},
    )
    notify_care_team(
        patient,
        kind=NotificationKind.SAFETY_ALERT,
        severity=NotificationSeverity.CRITICAL,  # suicide risk: before every other alert, in red
        title=f"Safety alert ({patient.mrn}): {task.reason}",
        body="Contact the patient today and document the safety evaluation on the intake page.",
        link=reverse("staff:intake", args=[patient.pk]),
        dedupe_key=f"intake.assessment.{assessment.pk}.safety",
    )
    return task


def resolve_safety_task(task: SafetyTask, *, by: User, note: str) -> SafetyTask:
    require(can_resolve_safety_tasks(by), "Only a prescriber, nurse or therapist may resolve a safety task.")
    note = required_text(note, "note", "Say what was done: who spoke with the patient and the outcome.")
    with transaction.atomic():
        task = locked(SafetyTask.objects.all()).get(pk=task.pk)
        if task.status != SafetyTaskStatus.OPEN:
            raise Conflict("This safety task is already resolved.", code="already_resolved")
        task.resolved_by = by
        task.resolved_at = timezone.now()
        task.note = note
        task.save(update_fields=["resolved_by", "resolved_at", "note"])
        task.set_status(SafetyTaskStatus.RESOLVED, by=by, reason=note)
    return task


@dataclass(frozen=True)
class ScoreSnapshot:
    """A questionnaire score as other apps see it (they meet intake through services and ids, not its models)."""

    assessment_id: int
    instrument: str
    total: int | None
    severity: str
    administered_at: dt.datetime


def last_score_before(patient: Patient, instrument: str, before: dt.datetime) -> ScoreSnapshot | None:
    """The patient's last score on `instrument` administered at or before `before` (clinical protocol §5:
    the baseline of a course is the last score before its first dosing session)."""
    found = (
        Assessment.objects.filter(patient=patient, instrument=instrument, administered_at__lte=before)
        .order_by("-administered_at", "-pk")
        .first()
    )
    if found is None:
        return None
    return ScoreSnapshot(found.pk, found.instrument, found.total, found.severity, found.administered_at)


def latest_cssrs(patient: Patient, at: dt.datetime, protocol: Protocol) -> Assessment | None:
    """The latest C-SSRS screener in the protocol's look-back window before `at` (default 30 days)."""
    since = at - dt.timedelta(days=protocol.screening.cssrs_lookback_days)
    return (
        Assessment.objects.filter(
            patient=patient, instrument=Instrument.CSSRS_SCREEN, administered_at__gte=since, administered_at__lte=at
        )
        .order_by("-administered_at", "-id")
        .first()
    )
