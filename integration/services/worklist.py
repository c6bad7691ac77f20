"""What a clinician's home page shows from integration: the open maintenance evaluations of their patients, and for
a therapist their patients and the drafts they still have to sign."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from clinic import audit
from clinic.models import CareTeamMember, Patient, User
from clinic.scoping import patients_visible_to
from integration.models import EvaluationStatus, MaintenanceEvaluation
from integration.permissions import can_read_notes


def open_evaluations_for_care_team(by: User) -> list[MaintenanceEvaluation]:
    """Open maintenance evaluations of the patients whose care team `by` is on (or, for a patient without a care
    team yet, of the patients `by` may see: the notification went to the site's prescribers and nurses then),
    oldest first. Audited integration.maintenanceevaluation.list when there are any."""
    if not can_read_notes(by):
        return []
    no_team = ~Exists(CareTeamMember.objects.filter(patient=OuterRef("patient")))
    evaluations = list(
        MaintenanceEvaluation.objects.filter(
            status=EvaluationStatus.OPEN, patient__in=patients_visible_to(by).values("pk")
        )
        .filter(Q(patient__care_team__user=by) | no_team)
        .select_related("patient", "trigger_assessment")
        .distinct()
        .order_by("opened_at", "pk")
    )
    if evaluations:
        audit.record(
            "integration.maintenanceevaluation.list", actor=by, details={"evaluations": [e.pk for e in evaluations]}
        )
    return evaluations


@dataclass(frozen=True)
class CaseloadRow:
    patient: Patient
    last_note_at: dt.datetime | None
    open_evaluation: bool


def caseload(by: User) -> list[CaseloadRow]:
    """The active patients whose care team `by` is on, with their last integration note and whether a maintenance
    evaluation is open, by name."""
    if not can_read_notes(by):
        return []
    patients: QuerySet[Patient] = (
        patients_visible_to(by)
        .filter(care_team__user=by, is_active=True)
        .annotate(
            last_note_at=Max("integration_notes__started_at"),
            evaluation_open=Exists(
                MaintenanceEvaluation.objects.filter(patient=OuterRef("pk"), status=EvaluationStatus.OPEN)
            ),
        )
        .order_by("family_name", "given_name", "pk")
    )
    rows = [
        CaseloadRow(p, getattr(p, "last_note_at", None), bool(getattr(p, "evaluation_open", False))) for p in patients
    ]
    if rows:
        audit.record("integration.caseload.view", actor=by, details={"patients": [r.patient.pk for r in rows]})
    return rows
