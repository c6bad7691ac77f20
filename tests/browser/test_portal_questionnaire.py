"""In the browser: a patient fills the PHQ-9 in the portal and sees crisis resources at once; a nurse screens and
a prescriber overrides a relative finding."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Notification, Role
from intake.models import Assessment, Screening
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, on_care_team, patient_user, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHQ9_GROUPS = 9


def test_patient_answering_item_9_sees_the_crisis_banner(page: Page) -> None:
    site = SiteFactory(name="Browser Intake Site", code="BRINT")
    patient = PatientFactory(site=site, given_name="Quinn", family_name="Testperson")
    user = patient_user(patient, username="portal.phq9")
    nurse = staff(Role.NURSE, site, username="nurse.phq9")
    on_care_team(patient, nurse)

    sign_in(page, user.username, TEST_PASSWORD)
    page.get_by_role("link", name="Mood (PHQ-9)").click()
    expect(page.get_by_role("heading", name="Mood (PHQ-9)")).to_be_visible()
    groups = page.locator("fieldset.field")
    expect(groups).to_have_count(PHQ9_GROUPS)
    for index in range(PHQ9_GROUPS - 1):
        groups.nth(index).get_by_label("Not at all").check()
    page.get_by_role("button", name="Send my answers").click()
    # One question left out: named, and the other answers kept.
    expect(page.get_by_text("Please answer this question.")).to_be_visible()
    expect(groups.nth(0).get_by_label("Not at all")).to_be_checked()
    page.locator("fieldset.field").nth(8).get_by_label("Several days").check()
    page.get_by_role("button", name="Send my answers").click()

    banner = page.get_by_role("alert").filter(has_text="988")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("link", name="988")).to_have_attribute("href", "tel:988")
    expect(banner.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    expect(page.get_by_text("We have let your care team know")).to_be_visible()
    assert Assessment.objects.get().flags == ["suicidal_ideation"]
    assert Notification.objects.filter(recipient=nurse, kind="safety_alert").exists()


def test_nurse_screens_then_prescriber_overrides(page: Page) -> None:
    site = SiteFactory(name="Browser Screening Site", code="BRSCR")
    patient = PatientFactory(site=site, given_name="Reese", family_name="Testperson")
    nurse = staff(Role.NURSE, site, username="nurse.screen")
    prescriber = staff(Role.PRESCRIBER, site, username="prescriber.screen")

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/")
    page.get_by_role("button", name="Open intake").click()
    page.get_by_role("button", name="Screen patient").first.click()
    expect(page.get_by_label("Height (cm)")).to_have_value("170.0")
    page.get_by_label("Systolic BP (mmHg)").fill("152")
    page.get_by_label("Diastolic BP (mmHg)").fill("88")
    page.get_by_label("Heart rate (/min)").fill("76")
    page.get_by_label("PTSD").check()
    page.get_by_label("Row 1: Medicine").fill("Sertraline")
    page.get_by_label("Row 1: Category").select_option("antidepressant")
    page.get_by_label("Failed adequate antidepressant trials").fill("3")
    page.get_by_role("button", name="Save and decide").click()

    expect(page).to_have_url(re.compile(rf"/staff/patients/{patient.pk}/intake/$"))
    expect(page.get_by_text("Screening saved: override required.")).to_be_visible()
    expect(
        page.locator(".findings--relative").get_by_text("Screening blood pressure 152/88 is above 140/90.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Override and clear the screening")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, prescriber.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/intake/")
    page.get_by_role("button", name="Override and clear the screening").click()
    expect(page.get_by_text("Write why the relative findings are acceptable for this patient.")).to_be_visible()
    page.get_by_label("Reason for the override").fill("Rechecked after rest: 136/84. Proceed with BP checks.")
    page.get_by_label(re.compile("Raised blood pressure:")).check()
    page.get_by_role("button", name="Override and clear the screening").click()
    expect(page.get_by_text("Screening overridden; the reason is kept with it.")).to_be_visible()
    expect(page.get_by_text("Rechecked after rest: 136/84.")).to_be_visible()
    assert Screening.objects.get().status == "overridden"
