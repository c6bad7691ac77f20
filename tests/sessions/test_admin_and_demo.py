"""The read-only admin of the sessions records, and the demo data (made through the services, idempotent)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from clinic import demo
from clinic.models import AuditEvent, Role
from sessions import services
from sessions.models import DosingSession, IntegrationAppointment, SessionStatus, TreatmentCourse
from tests.factories import staff
from tests.sessions.conftest import Clinic, Clock, advance_to, book, ny


def _admin(clinic: Clinic) -> Client:
    client = Client()
    client.force_login(staff(Role.CLINIC_ADMIN, clinic.site, username="admin.s"))
    return client


def test_every_sessions_model_is_read_only_in_the_admin(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DISCHARGED, clock)
    client = _admin(clinic)
    for model in apps.get_app_config("treatment_sessions").get_models():
        assert model in admin.site._registry
        opts = model._meta
        assert client.get(f"/admin/treatment_sessions/{opts.model_name}/").status_code == 200, opts.label
        assert client.get(f"/admin/treatment_sessions/{opts.model_name}/add/").status_code == 403, opts.label
    page = client.get(f"/admin/treatment_sessions/dosingsession/{session.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    for inline in ("Vital signs", "Status changes", "Adverse events", "Dose record"):
        assert inline.lower() in text.lower(), inline
    assert 'name="status"' not in text
    assert AuditEvent.objects.filter(action="treatment_sessions.dosingsession.view", patient=clinic.patient).exists()


def test_admin_search_and_filters(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    other = clinic.cleared_patient(given_name="Other", family_name="Zedperson")
    book(clinic, ny(2026, 5, 4, 9), patient=other, chair=clinic.chair2)
    client = _admin(clinic)
    found = client.get("/admin/treatment_sessions/dosingsession/", {"q": clinic.patient.mrn}).context["cl"]
    assert [s.pk for s in found.result_list] == [session.pk]
    by_status = client.get("/admin/treatment_sessions/dosingsession/", {"status__exact": "scheduled"}).context["cl"]
    assert by_status.result_count == 2
    by_chair = client.get("/admin/treatment_sessions/dosingsession/", {"chair__id__exact": clinic.chair2.pk})
    assert by_chair.context["cl"].result_count == 1


@pytest.mark.django_db
def test_demo_data_fills_the_board_through_the_services_and_is_idempotent(clock: Clock) -> None:
    ctx = demo.seed(only=["intake", "treatment_sessions"])  # integration's demo adds a course of its own
    stages = dict.fromkeys(("in_course", "integration", "maintenance"), 0)
    for patient, stage in ctx.patients:
        if stage in stages:
            stages[stage] += 1
            assert TreatmentCourse.objects.filter(patient=patient).exists(), (patient, stage)
    assert TreatmentCourse.objects.filter(template="standard_induction").count() == 10
    assert TreatmentCourse.objects.filter(template="maintenance").count() == 5
    assert IntegrationAppointment.objects.count() == 5
    today = DosingSession.objects.filter(start__gte=ny(2026, 5, 4, 0), start__lt=ny(2026, 5, 5, 0))
    assert today.count() == 5
    assert set(today.values_list("status", flat=True)) == {"dosing", "checked_in", "scheduled"}
    esketamine = DosingSession.objects.get(route="esketamine")
    assert esketamine.start == ny(2026, 5, 5, 13)
    assert dict(ctx.patients)[esketamine.patient] == "cleared"
    assert esketamine.course is None
    counts = (DosingSession.objects.count(), AuditEvent.objects.count())
    demo.seed(only=["intake", "treatment_sessions"])
    assert (DosingSession.objects.count(), AuditEvent.objects.count()) == counts


def test_the_session_admin_shows_what_happened_at_the_chair_read_only(clinic: Clinic, clock: Clock) -> None:
    """Issue 8: the early stop's reason, the real duration, the dose actually given, the flags and the check-in
    correction are on the session's admin page, read-only, and the list filters the sessions that ended early."""
    early = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING, clock)
    clock.advance(minutes=10)
    services.end_dosing(by=clinic.nurse, session=early, stop_reason="Patient asked to stop after a panic attack")
    other = clinic.cleared_patient(given_name="Planned")
    planned = book(clinic, ny(2026, 5, 4, 9), chair=clinic.chair2, patient=other)
    planned = advance_to(clinic, planned, SessionStatus.CHECKED_IN)
    services.correct_check_in(
        by=clinic.nurse, session=planned, fasting_solids_hours=Decimal("8"), fasting_clear_liquids_hours=Decimal("3"),
        escort_confirmed=True, escort_name="Test Escort", reason="The escort arrived later.",
    )  # fmt: skip
    client = _admin(clinic)
    text = client.get(f"/admin/treatment_sessions/dosingsession/{early.pk}/change/").content.decode()
    for shown in ("Patient asked to stop after a panic attack", "10 min of 40 min planned", "Stopped early",
                  "mg of", "mg planned", "Early stop reason", "Real duration", "Dose actually given"):  # fmt: skip
        assert shown.lower() in text.lower(), shown
    assert 'name="stop_reason"' not in text  # read-only
    assert "<textarea" not in text
    corrected = client.get(f"/admin/treatment_sessions/dosingsession/{planned.pk}/change/").content.decode()
    assert "Last corrected Mon, May 4, 2026" in corrected
    listing = "/admin/treatment_sessions/dosingsession/"
    assert [s.pk for s in client.get(listing, {"ended_early": "yes"}).context["cl"].result_list] == [early.pk]
    corrected_only = client.get(listing, {"check_in_corrected": "yes"}).context["cl"].result_list
    assert [s.pk for s in corrected_only] == [planned.pk]
