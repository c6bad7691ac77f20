"""The integration demo (`make run`): a therapist with notes to read and a draft to sign, a patient with a plan, a
progress chart and a maintenance evaluation, all recorded through the services; seeding twice adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clinic import demo
from clinic.models import AuditEvent, User
from integration.models import IntegrationNote, MaintenanceEvaluation, RelapsePlanRevision
from sessions.models import TreatmentCourse


@pytest.mark.django_db
def test_the_demo_has_a_therapist_with_notes_and_a_patient_with_a_plan(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ctx = demo.seed()
    notes = IntegrationNote.objects.order_by("started_at")
    assert [(n.modality, n.status) for n in notes] == [("emdr", "signed")] * 3 + [("ifs", "signed")] * 2 + [
        ("art", "draft")
    ]
    patient = notes[0].patient
    assert {n.author.username for n in notes} == {"therapist"}
    assert notes[2].structured["target_complete"] is True
    course = TreatmentCourse.objects.get(patient=patient)
    assert (course.status, course.baseline_total) == ("completed", 16)
    assert list(RelapsePlanRevision.objects.filter(plan__patient=patient).values_list("number", flat=True)) == [2, 1]
    evaluation = MaintenanceEvaluation.objects.get(patient=patient)
    assert (evaluation.status, evaluation.trigger) == ("open", "rise_from_nadir")
    assert ("patient4", demo.DEMO_PASSWORD) in [(u, p) for u, p, _ in ctx.logins]

    portal = Client()
    portal.force_login(User.objects.get(username="patient4"))
    assert "Losing interest in cooking" in portal.get("/portal/my-plan/").content.decode()
    assert '<svg class="chart"' in portal.get("/portal/my-progress/").content.decode()
    therapist = Client()
    therapist.force_login(User.objects.get(username="therapist"))
    home = therapist.get("/staff/").content.decode()
    assert "Drafts to sign" in home
    assert "Maintenance evaluations to decide" in home

    counts = (IntegrationNote.objects.count(), AuditEvent.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed()
    assert (IntegrationNote.objects.count(), AuditEvent.objects.count()) == counts
