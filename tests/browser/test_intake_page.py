"""The intake page in Debian's Chromium: an open suicide-risk task is never a mere warning, "override required" is
never a green success, findings read as words with their protocol section, and an override needs a real reason
that addresses each relative finding."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Role
from intake import services as intake_services
from intake.models import Override, Screening
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, patient_user, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _screen_with_raised_blood_pressure(page: Page) -> None:
    page.get_by_role("button", name="Screen patient").first.click()
    page.get_by_label("Systolic BP (mmHg)").fill("152")
    page.get_by_label("Diastolic BP (mmHg)").fill("88")
    page.get_by_label("Heart rate (/min)").fill("76")
    page.get_by_label("Row 1: Medicine").fill("Diazepam")
    page.get_by_label("Row 1: Category").select_option("benzodiazepine")
    page.get_by_label("Row 1: Diazepam-equivalent mg/day").fill("20")
    page.get_by_label("Failed adequate antidepressant trials").fill("3")
    page.get_by_role("button", name="Save and decide").click()


def test_a_suicide_risk_task_is_red_and_override_required_is_no_green_success(page: Page) -> None:
    site = SiteFactory(name="Intake Page Site", code="INPG")
    patient = PatientFactory(site=site, given_name="Morgan", family_name="Testperson")
    nurse = staff(Role.NURSE, site, username="nurse.inpg")
    intake_services.record_assessment(
        by=patient_user(patient, username="portal.inpg"), patient=patient, instrument="phq9", answers=[0] * 8 + [2]
    )

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/intake/")
    _screen_with_raised_blood_pressure(page)

    saved = page.locator(".notice", has_text="Screening saved")
    expect(saved).to_contain_text("override required")
    expect(saved).to_have_class(re.compile(r"notice--warning"))
    expect(saved).not_to_have_class(re.compile(r"notice--success"))

    # The open safety task is in red, and never among the warnings that do not block dosing.
    safety = page.locator(".notice--error", has_text="safety task")
    expect(safety).to_contain_text("item 9")
    warnings = page.locator(".notice--warning", has_text="do not block dosing")
    expect(warnings).not_to_contain_text("item 9")
    expect(warnings).not_to_contain_text("safety task")

    # Findings in words, their rule as the protocol section in words; no code names, no file references.
    relative = page.locator(".findings--relative")
    expect(relative.get_by_text("High benzodiazepine dose")).to_be_visible()
    expect(relative).to_contain_text(
        "Clinical protocol, section 1: benzodiazepines above 8 mg diazepam-equivalent a day"
    )
    expect(page.locator("main")).not_to_contain_text("benzodiazepine_high_dose")
    expect(page.locator("main")).not_to_contain_text("§")


def test_an_override_needs_a_real_reason_that_addresses_each_relative_finding(page: Page) -> None:
    site = SiteFactory(name="Override Site", code="OVRD")
    patient = PatientFactory(site=site, given_name="Sasha", family_name="Testperson")
    nurse = staff(Role.NURSE, site, username="nurse.ovrd")
    prescriber = staff(Role.PRESCRIBER, site, username="doc.ovrd")

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/intake/")
    _screen_with_raised_blood_pressure(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, prescriber.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/intake/")
    form = page.locator("form", has=page.get_by_role("button", name="Override and clear the screening"))
    expect(form.get_by_label(re.compile(r"Raised blood pressure:"))).to_be_visible()
    expect(form.get_by_label(re.compile(r"High benzodiazepine dose:"))).to_be_visible()

    form.get_by_label("Reason for the override").fill("ok")
    form.get_by_label(re.compile(r"Raised blood pressure:")).check()
    page.get_by_role("button", name="Override and clear the screening").click()
    form = page.locator("form", has=page.get_by_role("button", name="Override and clear the screening"))
    expect(form.get_by_text("Write at least 20 characters")).to_be_visible()
    expect(form.get_by_text("Tick each finding your reason addresses: High benzodiazepine dose.")).to_be_visible()
    # What was typed and ticked is kept.
    expect(form.get_by_label("Reason for the override")).to_have_value("ok")
    expect(form.get_by_label(re.compile(r"Raised blood pressure:"))).to_be_checked()

    form.get_by_label("Reason for the override").fill(
        "BP 136/84 after rest; diazepam tapering to 5 mg with the psychiatrist, response may be reduced."
    )
    form.get_by_label(re.compile(r"High benzodiazepine dose:")).check()
    page.get_by_role("button", name="Override and clear the screening").click()
    expect(page.get_by_text("Screening overridden; the reason is kept with it.")).to_be_visible()
    expect(page.locator("#override-heading + p + blockquote")).to_contain_text("diazepam tapering")
    expect(page.get_by_text("Addresses: High benzodiazepine dose; Raised blood pressure.")).to_be_visible()
    assert Screening.objects.get().status == "overridden"
    assert sorted(Override.objects.get().addressed_findings) == ["benzodiazepine_high_dose", "elevated_blood_pressure"]
