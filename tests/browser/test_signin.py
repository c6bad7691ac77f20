"""A clinician and a patient sign in through the real login page and land on their own home pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Role
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, on_care_team, patient_user, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clinician_lands_on_the_staff_home(page: Page) -> None:
    site = SiteFactory(name="Browser Test Site", code="BROWSE")
    nurse = staff(Role.NURSE, site, username="nurse.browser")
    PatientFactory(site=site, given_name="Visible", family_name="Testperson")
    PatientFactory(given_name="Hidden", family_name="Otherperson")
    sign_in(page, nurse.username, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_text("Testperson, Visible")).to_be_visible()
    expect(page.get_by_text("Otherperson")).to_have_count(0)
    page.get_by_label("Search by name or MRN").fill("zzz-no-such")
    expect(page.get_by_text("No patient matches")).to_be_visible()


def test_patient_lands_on_the_portal(page: Page) -> None:
    patient = PatientFactory(given_name="Portalia", family_name="Testperson")
    user = patient_user(patient, username="portal.browser")
    on_care_team(patient, staff(Role.THERAPIST, patient.site, first_name="Theo", last_name="Therapist-Test"))
    sign_in(page, user.username, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", name="Hello, Portalia")).to_be_visible()
    expect(page.get_by_role("region", name="Crisis help").get_by_role("link", name="Call 988")).to_be_visible()
    page.goto("/staff/")
    expect(page.get_by_text("Patients")).to_have_count(0)


def test_wrong_password_says_so(page: Page) -> None:
    staff(Role.NURSE, SiteFactory(), username="nurse.typo")
    sign_in(page, "nurse.typo", "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text(re.compile("correct username and password", re.IGNORECASE))).to_be_visible()
