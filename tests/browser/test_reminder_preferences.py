"""Reminder preferences as people change them: the front desk from the patient page, the patient in the portal, and
a questionnaire message's one-time link (which works once, then says so)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Role
from integration import reminders
from integration.models import QuestionnaireDue
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, patient_user, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_front_desk_sets_quiet_hours_from_the_patient_page(page: Page) -> None:
    site = SiteFactory(name="Reminders Test Site", code="REMD")
    desk = staff(Role.FRONT_DESK, site, username="desk.remd")
    patient = PatientFactory(site=site, given_name="Quiet", family_name="Testperson", phone="")
    sign_in(page, desk.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/")
    page.get_by_role("button", name="Change reminder preferences").click()
    page.get_by_label("Reminders by").select_option("sms")
    page.get_by_label("Quiet hours from").fill("21:00")
    page.get_by_role("button", name="Save").click()
    # Refused: no phone for text messages, and only one end of the quiet hours; what was typed stays.
    expect(page.get_by_text("Give a mobile phone number for text-message reminders.")).to_be_visible()
    expect(page.get_by_text("Give both the start and the end of the quiet hours, or neither.")).to_be_visible()
    expect(page.get_by_label("Quiet hours from")).to_have_value("21:00")
    page.get_by_label("Reminders by").select_option("email")
    page.get_by_label("Quiet hours until").fill("07:30")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/staff/patients/{patient.pk}/"))
    expect(page.get_by_text("Reminder preferences saved.")).to_be_visible()
    expect(page.get_by_text("9:00 PM to 7:30 AM")).to_be_visible()


def test_the_patient_opts_out_in_the_portal_and_a_questionnaire_link_works_once(page: Page) -> None:
    site = SiteFactory(name="Portal Reminders Site", code="PREM")
    patient = PatientFactory(site=site, given_name="Linky", family_name="Testperson")
    user = patient_user(patient, username="patient.prem")
    sign_in(page, user.username, TEST_PASSWORD)
    page.goto("/portal/profile/reminders/")
    page.get_by_label("Only send me messages about my appointments and questionnaires").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your reminder preferences are saved.")).to_be_visible()
    expect(page.get_by_label("Only send me messages about my appointments and questionnaires")).to_be_checked()

    from django.utils import timezone

    questionnaire = QuestionnaireDue.objects.create(
        patient=patient, instrument="phq9", due_at=timezone.now(), reason="post_course_weekly"
    )
    link = reminders.make_link(questionnaire)
    path = "/" + link.split("//", 1)[1].split("/", 1)[1]
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/portal/questionnaires/phq9/$"))
    page.goto(path)
    expect(page.get_by_role("heading", name="This link was used already")).to_be_visible()
    page.get_by_role("button", name="Go to my portal").or_(page.get_by_role("link", name="Go to my portal")).click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
