"""Registering a patient in Debian's Chromium: text-message reminders need a phone number, a patient with the same
name and date of birth is shown before a second one is created, and the patient page confirms the registration.
A refused form keeps what was typed, with the reason beside the field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Patient, Role
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill(page: Page, given: str, family: str, born: str) -> None:
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_label("Sex at birth").select_option("female")


def test_front_desk_registers_a_patient_with_text_reminders_and_is_warned_of_a_namesake(page: Page) -> None:
    site = SiteFactory(name="Registration Site", code="REG")
    desk = staff(Role.FRONT_DESK, site, username="desk.reg")
    existing = PatientFactory(
        site=site, given_name="Jordan", family_name="Testperson-07", date_of_birth=dt.date(1984, 3, 9), mrn="REG-000007"
    )

    sign_in(page, desk.username, TEST_PASSWORD)
    page.get_by_role("button", name="Register a patient").click()
    _fill(page, "Jamie", "Testperson-08", "2999-01-01")
    page.get_by_label("Preferred reminder channel").select_option("sms")
    page.get_by_role("button", name="Register").click()
    # Each refusal beside its field, and what was typed is kept.
    expect(page.get_by_text("Date of birth cannot be in the future.")).to_be_visible()
    expect(page.get_by_label("Given name")).to_have_value("Jamie")
    page.get_by_label("Date of birth").fill("1991-06-15")
    page.get_by_role("button", name="Register").click()
    phone_error = page.locator("#id_phone_error")
    expect(phone_error).to_have_text("Give a mobile phone number for text-message reminders.")
    expect(page.get_by_label("Preferred reminder channel")).to_have_value("sms")
    page.get_by_label("Phone (optional)", exact=True).fill("555-0188")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/staff/patients/\d+/$"))
    expect(page.get_by_role("status").filter(has_text="Jamie Testperson-08 is registered")).to_contain_text(
        "medical record number REG-000001"
    )

    # A namesake born the same day: shown first; nothing is created until the desk decides.
    page.goto("/staff/patients/new/")
    _fill(page, "jordan ", "TESTPERSON-07", "1984-03-09")
    page.get_by_role("button", name="Register").click()
    namesake = page.locator("#same-person")
    expect(namesake).to_contain_text("already registered at Registration Site")
    expect(namesake.get_by_role("link", name=re.compile(r"Testperson-07, Jordan"))).to_have_attribute(
        "href", f"/staff/patients/{existing.pk}/"
    )
    assert Patient.objects.filter(family_name__iexact="Testperson-07").count() == 1
    page.get_by_role("button", name="Register").click()  # still not ticked: shown again
    expect(page.locator("#same-person")).to_be_visible()
    page.get_by_label("This is a different person: register a new patient anyway").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status").filter(has_text="is registered")).to_be_visible()
    assert Patient.objects.filter(family_name__iexact="Testperson-07").count() == 2


def test_the_desk_opens_the_existing_patient_instead(page: Page) -> None:
    site = SiteFactory(name="Namesake Site", code="NAME")
    desk = staff(Role.FRONT_DESK, site, username="desk.name")
    existing = PatientFactory(
        site=site, given_name="Riley", family_name="Testperson", date_of_birth=dt.date(1975, 1, 2)
    )

    sign_in(page, desk.username, TEST_PASSWORD)
    page.goto("/staff/patients/new/")
    _fill(page, "Riley", "Testperson", "1975-01-02")
    page.get_by_role("button", name="Register").click()
    page.locator("#same-person").get_by_role("link", name=re.compile(r"Testperson, Riley")).click()
    expect(page).to_have_url(re.compile(rf"/staff/patients/{existing.pk}/$"))
    assert Patient.objects.count() == 1
