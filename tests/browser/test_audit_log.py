"""An auditor reads the audit log in the admin in Debian's Chromium: entries in words, a patient filter typed in,
a date range, and the CSV export of what the filters select."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinic import audit
from clinic.models import AuditEvent, Role
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_filters_the_log_by_patient_and_exports_it(page: Page, tmp_path: Path) -> None:
    site = SiteFactory(name="Audit Site", code="AUDIT")
    manager = staff(Role.CLINIC_ADMIN, site, username="auditor", first_name="Ada", last_name="Auditor")
    nurse = staff(Role.NURSE, site, username="nurse.audit", first_name="Nia", last_name="Nurse")
    watched = PatientFactory(site=site, given_name="Wren", family_name="Testperson", mrn="AUDIT-000001")
    other = PatientFactory(site=site, given_name="Otto", family_name="Otherperson", mrn="AUDIT-000002")
    with audit.audit_context(user=nurse, ip_address="198.51.100.4"):
        audit.record("clinic.patient.view", patient=watched, obj=watched, details={"via": "staff"})
        audit.record("clinic.patient.view", patient=other, obj=other, details={"via": "staff"})

    sign_in(page, manager.username, TEST_PASSWORD)
    page.goto("/admin/clinic/auditevent/")
    expect(page.get_by_role("link", name="Testperson, Wren (AUDIT-000001)").first).to_be_visible()
    expect(page.get_by_text("Nia Nurse (Nurse)").first).to_be_visible()

    page.get_by_label("MRN, name or record number").fill("AUDIT-000001")
    page.get_by_label("MRN, name or record number").press("Enter")
    expect(page.get_by_role("link", name="Testperson, Wren (AUDIT-000001)").first).to_be_visible()
    expect(page.get_by_text("Otherperson, Otto")).to_have_count(0)

    page.get_by_label("From").fill("1900-01-01")  # out of range: said beside the box, nothing filtered away
    page.get_by_label("From").press("Enter")
    expect(page.get_by_text("Enter a date between 1970 and 2999.")).to_be_visible()
    expect(page.get_by_role("link", name="Testperson, Wren (AUDIT-000001)").first).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these entries as CSV").click()
    saved = tmp_path / "audit.csv"
    download_info.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert {r["patient_mrn"] for r in rows if r["patient_mrn"]} == {"AUDIT-000001"}
    assert "viewed the patient's record" in {r["what"] for r in rows}
    export = AuditEvent.objects.get(action="clinic.auditevent.export")
    assert export.details["filters"]["patient"] == "AUDIT-000001"
