"""Maintenance evaluations (clinical protocol §5): the relapse watch opens one evaluation per patient at a time for
the care team; a prescriber resolves it with an outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import NotificationKind, Patient, ProtocolVersion, User
from clinic.notifications import notify_care_team
from clinic.services import current_protocol, use_protocol
from integration import sources
from integration.models import EvaluationOutcome, EvaluationStatus, EvaluationTrigger, MaintenanceEvaluation
from integration.outcomes import Score
from integration.permissions import can_open_evaluations, can_read_notes, can_resolve_evaluations
from integration.services._common import for_update, lock_patient, visible_patient
from integration.services.outcomes import open_evaluation_of, summary_of

REASON_MAX = 2_000


def maintenance_evaluations_for(by: User, patient: Patient | int) -> list[MaintenanceEvaluation]:
    patient = visible_patient(by, patient, allowed=can_read_notes(by))
    evaluations = list(MaintenanceEvaluation.objects.filter(patient=patient).select_related("resolved_by", "course"))
    audit.record(
        "integration.maintenanceevaluation.view",
        patient=patient,
        actor=by,
        details={"evaluations": [e.pk for e in evaluations]},
    )
    return evaluations


def get_evaluation_for(by: User, pk: Any) -> MaintenanceEvaluation:
    """One evaluation if `by` may see it (the care team's roles); Http404 otherwise. Audited."""
    try:
        found = MaintenanceEvaluation.objects.select_related("patient__site", "trigger_assessment").get(pk=int(pk))
    except (MaintenanceEvaluation.DoesNotExist, TypeError, ValueError):
        raise Http404("No such evaluation.") from None
    visible_patient(by, found.patient_id, allowed=can_read_notes(by))
    audit.record("integration.maintenanceevaluation.view", patient=found.patient, obj=found, actor=by)
    return found


@dataclass(frozen=True)
class EvaluationResult:
    evaluation: MaintenanceEvaluation
    created: bool


def _score_json(score: Score | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {"total": score.total, "at": score.at.isoformat(), "assessment": score.assessment_id}


def _create(
    patient: Patient,
    *,
    by: User | None,
    version: ProtocolVersion,
    trigger: EvaluationTrigger,
    details: dict[str, Any],
    course_id: int | None,
    assessment_id: int | None,
    reason: str = "",
) -> EvaluationResult:
    """Open an evaluation unless one is open (then that one). Call with the patient row locked; the partial unique
    constraint is the backstop where a lock is not taken (SQLite serialises writers instead)."""
    existing = open_evaluation_of(patient)
    if existing is not None:
        return EvaluationResult(existing, created=False)
    try:
        with transaction.atomic():
            evaluation = MaintenanceEvaluation.objects.create(
                patient=patient,
                course_id=course_id,
                trigger=trigger,
                trigger_assessment_id=assessment_id,
                trigger_details={**details, **({"note": reason} if reason else {})},
                opened_at=timezone.now(),
                opened_by=by,
                protocol_version=version,
            )
    except IntegrityError:
        existing = open_evaluation_of(patient)
        if existing is None:
            raise
        return EvaluationResult(existing, created=False)
    audit.record(
        "integration.maintenanceevaluation.open",
        patient=patient,
        obj=evaluation,
        actor=by,
        details={"trigger": trigger.value, "course": course_id, "assessment": assessment_id},
    )
    notify_care_team(
        patient,
        kind=NotificationKind.INFO,
        title=f"Maintenance evaluation ({patient.mrn}): {evaluation.get_trigger_display().lower()}",
        body="Review the patient's scores since the course and decide with the care team whether a booster is "
        "needed; a prescriber records the outcome on the patient's page.",
        link=reverse("staff:patient_detail", args=[patient.pk]) + "#integration",
        dedupe_key=f"integration.maintenanceevaluation.{evaluation.pk}.open",
        email=True,  # the relapse watch reaches the care team by email too (no clinical word in it)
    )
    return EvaluationResult(evaluation, created=True)


def evaluate_relapse_watch(*, patient: Patient | int, by: User | None = None) -> EvaluationResult | None:
    """Run the relapse watch after an assessment was recorded (clinic, API or portal): when the latest score trips
    it, open a maintenance evaluation, unless one is open already or this score opened one before. None when the
    watch is quiet. No access check: it runs for the service that recorded the assessment (through
    clinic.events.on_assessment_recorded, registered in integration/apps.py). `by` None: opened by the watch.

    The watch is checked with the active protocol's numbers without stamping the version; only when it trips is the
    version taken for the decision, and the watch checked again with it, so the version stored is the one whose
    numbers decided."""
    with transaction.atomic():
        locked = lock_patient(patient)
        if not summary_of(locked, current_protocol(locked.site)).relapse_watch.triggered:
            return None
        version, protocol = use_protocol(locked.site)
        summary = summary_of(locked, protocol)
        watch = summary.relapse_watch
        if not watch.triggered or watch.reason is None or watch.score is None:
            return None
        assessment_id = watch.score.assessment_id
        opened_before = MaintenanceEvaluation.objects.filter(trigger_assessment_id=assessment_id)
        if assessment_id is not None and opened_before.exists():
            return None
        return _create(
            locked,
            by=by,
            version=version,
            trigger=EvaluationTrigger(watch.reason.value),
            details={
                "instrument": summary.instrument,
                "score": _score_json(watch.score),
                "nadir": _score_json(summary.nadir),
                "baseline": summary.baseline,
            },
            course_id=summary.course_id,
            assessment_id=assessment_id,
        )


def open_maintenance_evaluation(*, by: User, patient: Patient | int, reason: str) -> EvaluationResult:
    """A clinician opens an evaluation by hand (the open one is returned when there is one)."""
    patient = visible_patient(by, patient, allowed=can_read_notes(by))
    if not can_open_evaluations(by):
        raise NotAllowed("Your role may not open maintenance evaluations.")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput({"reason": "Say why the patient needs a maintenance evaluation."})
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": f"Keep the reason under {REASON_MAX} characters."})
    with transaction.atomic():
        locked = lock_patient(patient)
        course = sources.latest_course(locked.pk, locked.site.time_zone)
        version, _ = use_protocol(locked.site)
        return _create(
            locked,
            by=by,
            version=version,
            trigger=EvaluationTrigger.MANUAL,
            details={},
            course_id=course.course_id if course else None,
            assessment_id=None,
            reason=reason,
        )


def resolve_maintenance_evaluation(
    *, by: User, evaluation: MaintenanceEvaluation | int, outcome: str, reason: str = ""
) -> MaintenanceEvaluation:
    """A prescriber closes the evaluation with its outcome; `no_action` needs a reason. The status changes through
    `set_status` (audited integration.maintenanceevaluation.status); the outcome is audited
    integration.maintenanceevaluation.resolve."""
    pk = evaluation.pk if isinstance(evaluation, MaintenanceEvaluation) else evaluation
    found = MaintenanceEvaluation.objects.filter(pk=pk).values_list("patient_id", flat=True).first()
    if found is None:
        raise Http404("No such evaluation.")
    visible_patient(by, found, allowed=can_read_notes(by))
    if not can_resolve_evaluations(by):
        raise NotAllowed("Only a prescriber resolves a maintenance evaluation.")
    errors: dict[str, str] = {}
    if outcome not in EvaluationOutcome.values:
        errors["outcome"] = "Choose the outcome: booster booked, plan changed or no action."
    reason = reason.strip() if isinstance(reason, str) else ""
    if outcome == EvaluationOutcome.NO_ACTION and not reason:
        errors["reason"] = "Say why no action is needed."
    if len(reason) > REASON_MAX:
        errors["reason"] = f"Keep the reason under {REASON_MAX} characters."
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = for_update(MaintenanceEvaluation.objects.select_related("patient")).get(pk=pk)
        if locked.status != EvaluationStatus.OPEN:
            raise Conflict("This maintenance evaluation is already resolved.", code="already_resolved")
        locked.outcome = outcome
        locked.reason = reason
        locked.resolved_by = by
        locked.resolved_at = timezone.now()
        locked.set_status(EvaluationStatus.RESOLVED, by=by, reason=reason, at=locked.resolved_at)
        audit.record(
            "integration.maintenanceevaluation.resolve",
            patient=locked.patient,
            obj=locked,
            actor=by,
            details={"outcome": outcome, "reason": reason},
        )
    return locked
