"""The portal home: the next treatment with its preparation computed for that session, crisis help on every page,
and the latest documents to download."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.models import ReportJob, ReportStatus
from tests.factories import patient_user
from tests.sessions.conftest import Clinic, book, ny, signed_in

pytestmark = pytest.mark.django_db


def test_the_home_shows_the_next_treatment_and_how_to_get_ready_for_it(clinic: Clinic) -> None:
    clinic.site.address = "12 Harbor Road\nPortland, ME"
    clinic.site.phone = "555-0100"
    clinic.site.save()
    book(clinic, ny(2026, 5, 8, 13))
    book(clinic, ny(2026, 5, 6, 13))
    html = signed_in(patient_user(clinic.patient)).get("/portal/").content.decode()
    assert "Your next treatment" in html
    assert "Wed, May 6, 2026, 1:00 PM EDT" in html  # the sooner session, not the later one
    assert "Stop eating at 7:00 AM EDT" in html  # 6 h of fasting from solids for IV (clinical protocol §4)
    assert "Clear drinks until 11:00 AM EDT" in html  # 2 h for clear liquids
    assert "Bring an adult to take you home." in html
    assert "openstreetmap.org/search?query=12%20Harbor%20Road%2C%20Portland%2C%20ME" in html
    assert "/calendar.ics" in html


def test_the_preparation_follows_the_route(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 6, 13), route="esketamine")
    html = signed_in(patient_user(clinic.patient)).get("/portal/").content.decode()
    assert "Stop eating at 11:00 AM EDT" in html  # 2 h for esketamine
    assert "Clear drinks until 12:30 PM EDT" in html


def test_no_session_no_preparation_but_crisis_help_on_every_page(clinic: Clinic) -> None:
    client = signed_in(patient_user(clinic.patient))
    for url in ("/portal/", "/portal/sessions/", "/portal/my-plan/", "/portal/health/"):
        html = client.get(url).content.decode()
        strip = html.split('aria-label="Crisis help"', 1)[1].split("</div>", 1)[0]  # at the top of the page
        assert all(f'href="{link}"' in strip for link in ("tel:988", "sms:988", "tel:911")), url
    assert "Your next treatment" not in client.get("/portal/").content.decode()


def test_the_latest_ready_documents_can_be_downloaded_from_the_home(clinic: Clinic, settings: Any) -> None:
    user = patient_user(clinic.patient)
    ready = ReportJob.objects.create(
        patient=clinic.patient, kind="course_summary", parameters={"course": 2}, status=ReportStatus.READY,
        requested_by=user, subject="Standard induction",
    )  # fmt: skip
    ReportJob.objects.create(
        patient=clinic.patient, kind="course_summary", parameters={"course": 1}, status=ReportStatus.PENDING,
        requested_by=user,
    )  # fmt: skip
    html = signed_in(user).get("/portal/").content.decode()
    assert "My latest documents" in html
    assert f"/portal/reports/{ready.pk}/download/" in html
    assert html.count("/download/") == 1


def test_the_progress_chart_appears_once_there_is_a_score(clinic: Clinic) -> None:
    from intake import services as intake_services

    user = patient_user(clinic.patient)
    client = signed_in(user)
    assert "My progress</h2>" not in client.get("/portal/").content.decode()
    intake_services.record_assessment(by=user, patient=clinic.patient, instrument="phq9", answers=[1] * 9)
    html = client.get("/portal/").content.decode()
    assert "My progress</h2>" in html
    assert "<svg" in html
