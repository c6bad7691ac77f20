"""A nurse asks for a course summary on the patient page, in Debian's Chromium, sees it being prepared, sees it
appear without reloading (the row polls every 2 s), and downloads the PDF.

The worker is played by the test: the render the page queued is run here (as `celery worker` would) while the
page keeps polling. The server's clock is frozen through django.utils.timezone.now, shared with the live server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clinic.models import ReportJob, ReportStatus
from tests.browser.conftest import sign_in
from tests.clinic.reports.support import (
    freeze_clock,
    make_course,
    pdf_text,
    record_queued,
    register_kinds,
    run_queued,
)
from tests.conftest import World
from tests.factories import TEST_PASSWORD
from tests.sessions.conftest import Clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return freeze_clock(monkeypatch)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> list[int]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    register_kinds(monkeypatch)
    return record_queued(monkeypatch)


def test_a_nurse_asks_for_a_course_summary_sees_it_appear_and_downloads_it(
    page: Page, world: World, clock: Clock, queued: list[int]
) -> None:
    course = make_course(world, clock)
    sign_in(page, world.nurse1.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{course.patient.pk}/")
    panel = page.locator("#reports-panel")
    expect(panel.get_by_role("heading", name="Reports (PDF)")).to_be_visible()
    expect(panel.get_by_text("No report has been prepared for this patient yet.")).to_be_visible()

    panel.get_by_label("Course summary").select_option(
        label="Standard induction (6 IV infusions, twice weekly), from May 4, 2026 (active)"
    )
    panel.get_by_role("button", name="Prepare the course summary").click()
    row = panel.locator("tbody tr").first
    expect(row).to_contain_text("Course summary")
    expect(row.get_by_role("status")).to_have_text("Being prepared…")
    assert page.url.endswith(f"/staff/patients/{course.patient.pk}/")  # no page load: htmx swapped the panel

    [job] = run_queued(queued)  # the worker's part
    assert job.status == ReportStatus.READY
    expect(row.get_by_role("status")).to_have_text("Ready", timeout=10_000)  # the row's own polling found it
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"course-summary-{course.patient.mrn}-2026-05-11.pdf"
    text = "\n".join(pdf_text(Path(download.path()).read_bytes()))
    assert f"MRN {course.patient.mrn}" in text
    assert "35.0 mg" in text
    assert ReportJob.objects.get().status == ReportStatus.READY


def test_a_patient_prepares_their_course_summary_in_the_portal_and_downloads_it(
    page: Page, world: World, clock: Clock, queued: list[int]
) -> None:
    course = make_course(world, clock)
    sign_in(page, world.patient_a_user.username, TEST_PASSWORD)
    page.get_by_role("button", name="My documents").click()  # a link styled as a button
    expect(page.get_by_role("heading", name="My documents", level=1)).to_be_visible()
    document = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Course summary: Standard induction (6 IV infusions, twice weekly)")
    )
    document.get_by_role("button", name="Prepare the PDF").click()
    expect(document.get_by_role("status")).to_contain_text("Being prepared…")

    [job] = run_queued(queued)
    assert job.requested_by == world.patient_a_user
    expect(document.get_by_role("link", name="Download the PDF")).to_be_visible(timeout=10_000)
    with page.expect_download() as download_info:
        document.get_by_role("link", name="Download the PDF").click()
    text = "\n".join(pdf_text(Path(download_info.value.path()).read_bytes()))
    assert f"{course.patient.given_name} {course.patient.family_name} · MRN {course.patient.mrn}" in text
