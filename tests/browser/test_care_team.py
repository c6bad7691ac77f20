"""Building a care team in Debian's Chromium: a nurse on the patient page, a clinic manager in the admin."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from clinic.models import AuditEvent, CareTeamMember, Role
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_adds_and_removes_a_therapist_on_the_patient_page(page: Page) -> None:
    site = SiteFactory(name="Care Team Site", code="CTEAM")
    nurse = staff(Role.NURSE, site, username="nurse.team", first_name="Nia", last_name="Nurse")
    staff(Role.THERAPIST, site, username="theo", first_name="Theo", last_name="Therapist", credentials="LCSW")
    patient = PatientFactory(site=site, given_name="Tessa", family_name="Testperson")

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/")
    expect(page.get_by_text("No care team yet")).to_be_visible()
    page.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_text("Choose the staff member to add.")).to_be_visible()

    page.get_by_label("Staff member").select_option(label="Theo Therapist, LCSW")
    page.get_by_label("Primary contact on the team").check()
    page.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_text("Theo Therapist joined the care team.")).to_be_visible()
    team = page.locator("#care-team")
    expect(team.get_by_text("Theo Therapist — Therapist")).to_be_visible()
    expect(team.get_by_text("primary", exact=True)).to_be_visible()

    team.get_by_text("Remove Theo Therapist", exact=True).click()
    expect(team.get_by_text("As a therapist they will no longer see this patient.")).to_be_visible()
    team.get_by_role("button", name="Yes, remove").click()
    expect(page.get_by_text("Theo Therapist is no longer on the care team.")).to_be_visible()
    expect(page.get_by_text("No care team yet")).to_be_visible()
    actions = list(AuditEvent.objects.filter(action__startswith="clinic.careteam").values_list("action", flat=True))
    assert sorted(actions) == ["clinic.careteam.add", "clinic.careteam.remove"]


def test_a_clinic_manager_builds_the_care_team_in_the_admin(page: Page) -> None:
    site = SiteFactory(name="Admin Team Site", code="ATEAM")
    manager = staff(Role.CLINIC_ADMIN, site, username="manager.team", first_name="Ada", last_name="Admin")
    therapist = staff(Role.THERAPIST, site, username="thea", first_name="Thea", last_name="Therapist")
    staff(Role.NURSE, SiteFactory(name="Elsewhere", code="ELSE"), username="nurse.else", last_name="Elsewhere")
    patient = PatientFactory(site=site, given_name="Rowan", family_name="Testperson")

    sign_in(page, manager.username, TEST_PASSWORD)
    page.goto(f"/admin/clinic/patient/{patient.pk}/change/")
    row = page.locator("#care_team-0")
    select = row.locator("select[name='care_team-0-user']")
    expect(select.locator("option", has_text="Elsewhere")).to_have_count(0)
    select.select_option(label=str(therapist))
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert CareTeamMember.objects.filter(patient=patient, user=therapist).exists()
    assert AuditEvent.objects.get(action="clinic.careteam.add").actor == manager
