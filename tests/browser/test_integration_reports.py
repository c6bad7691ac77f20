"""In Debian's Chromium: a patient goes from their relapse-prevention plan to its PDF, has it prepared, and downloads
their own plan; the PDF holds their name, MRN and the plan's entries as typed.

The worker is played by the test: the render the page queued is run here (as `celery worker` would) while the page
keeps polling. The report kinds are the ones the apps register (no stand-in).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clinic.models import AuditEvent, ReportJob
from integration import services
from tests.browser.conftest import sign_in
from tests.clinic.reports.support import pdf_text, record_queued, run_queued
from tests.factories import TEST_PASSWORD, on_care_team, patient_user
from tests.sessions.conftest import make_clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> list[int]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return record_queued(monkeypatch)


def test_a_patient_downloads_their_own_relapse_plan(page: Page, queued: list[int]) -> None:
    clinic = make_clinic("BRPDF")
    on_care_team(clinic.patient, clinic.therapist)
    services.revise_relapse_plan(
        by=clinic.therapist,
        patient=clinic.patient,
        data={"warning_signs": ["Sleeping badly for <three> nights"], "people_to_ask": ["Robin, 555-0123"]},
    )
    user = patient_user(clinic.patient, username="portal.plan.pdf")

    sign_in(page, user.username, TEST_PASSWORD)
    page.get_by_role("button", name="Read my plan").click()
    page.get_by_role("button", name="Get my plan as a PDF").click()
    expect(page.get_by_role("heading", name="My documents", level=1)).to_be_visible()
    document = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Relapse-prevention plan"))
    document.get_by_role("button", name="Prepare the PDF").click()
    expect(document.get_by_role("status")).to_contain_text("Being prepared…")

    [job] = run_queued(queued)  # the worker's part
    assert (job.kind, job.requested_by) == ("relapse_plan", user)
    link = document.get_by_role("link", name="Download the PDF")
    expect(link).to_be_visible(timeout=10_000)
    with page.expect_download() as download_info:
        link.click()
    text = "\n".join(pdf_text(Path(download_info.value.path()).read_bytes()))
    patient = clinic.patient
    assert f"{patient.given_name} {patient.family_name} · MRN {patient.mrn}" in text
    assert "Sleeping badly for <three> nights" in text
    assert "Robin, 555-0123" in text
    assert AuditEvent.objects.filter(action="clinic.report.download", actor=user, object_id=str(job.pk)).exists()
    assert ReportJob.objects.get().status == "ready"
