"""Every intake and portal form, walked in Debian's Chromium with bad input: the form comes back with what was typed
and the reason beside the field, as a sentence a nurse (or a patient) would write."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Role
from intake import services as intake_services
from intake.models import Consent, MedicalClearance, SafetyTask
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, on_care_team, patient_user, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_intake_forms_of_a_clinician_come_back_with_the_reason_beside_the_field(page: Page) -> None:
    site = SiteFactory(name="Refusal Site", code="REFU")
    patient = PatientFactory(site=site, given_name="Robin", family_name="Testperson")
    prescriber = staff(Role.PRESCRIBER, site, username="doc.refu")
    on_care_team(patient, prescriber)
    intake_services.record_assessment(
        by=patient_user(patient, username="portal.refu"), patient=patient, instrument="phq9", answers=[0] * 8 + [1]
    )

    sign_in(page, prescriber.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/intake/")

    # Resolving a safety task without saying what was done.
    safety = page.locator(".intake-safety")
    safety.get_by_role("button", name="Resolve").click()
    safety = page.locator(".intake-safety")
    expect(safety.locator(".errorlist")).to_have_text("Say what was done: who spoke with the patient and the outcome.")
    safety.get_by_label("What was done").fill("Called Robin at 2 pm: safe, plan agreed, seen tomorrow.")
    safety.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("Safety task resolved.")).to_be_visible()
    assert SafetyTask.objects.get().status == "resolved"

    # A medical clearance without a note.
    page.get_by_role("button", name="Record medical clearance").click()
    expect(page.locator("#id_note_error")).to_have_text(
        "Say what was reviewed (history, examination, tests) and the conclusion."
    )
    assert not MedicalClearance.objects.exists()

    # A questionnaire entered in clinic with one answer missing: named, the other answers kept.
    page.get_by_role("button", name="Enter GAD-7").click()
    groups = page.locator("fieldset.field")
    for index in range(6):
        groups.nth(index).get_by_label("Not at all").check()
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.get_by_text("Please answer this question.")).to_be_visible()
    expect(page.locator("fieldset.field").nth(0).get_by_label("Not at all")).to_be_checked()

    # Consent witnessed with a name that is not the patient's.
    page.goto(f"/staff/patients/{patient.pk}/intake/consent/")
    page.get_by_label("Full name").fill("Robyn Testperson")
    page.get_by_role("button", name="Sign (patient) and witness (you)").click()
    expect(page.locator("#id_signed_name_error")).to_have_text("Type the full name as on record: Robin Testperson.")
    expect(page.get_by_label("Full name")).to_have_value("Robyn Testperson")
    assert not Consent.objects.exists()


def test_the_portal_consent_form_keeps_the_typed_name_and_says_why(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    patient = PatientFactory(site=SiteFactory(name="Consent Site", code="CONS"), given_name="Sky")
    user = patient_user(patient, username="portal.cons")

    sign_in(page, user.username, TEST_PASSWORD)
    page.get_by_role("link", name="Read and sign the consent form").click()
    page.get_by_label("Full name").fill("S. Testperson")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.locator("#id_signed_name_error")).to_have_text(f"Type the full name as on record: {patient.full_name}.")
    expect(page.get_by_label("Full name")).to_have_value("S. Testperson")
    assert not Consent.objects.exists()
