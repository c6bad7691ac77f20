"""On a phone (360 x 740): a questionnaire with the crisis banner, resumed after a reload; a message round trip
between a patient and a clinician (issue 11, items 4 and 6)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from clinic.models import Notification, Role
from intake.models import Assessment, QuestionnaireDraft
from messaging.models import MessageRead
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, on_care_team, patient_user, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(chromium: Browser, django_db_setup: None, live_server: Any) -> Any:
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_questionnaire_with_the_crisis_banner_resumed_after_a_reload(phone: Page) -> None:
    site = SiteFactory(name="Phone Site", code="PHONE")
    patient = PatientFactory(site=site, given_name="Rowan", family_name="Testperson")
    user = patient_user(patient, username="phone.phq9")
    nurse = staff(Role.NURSE, site, username="nurse.phone")
    on_care_team(patient, nurse)

    sign_in(phone, user.username, TEST_PASSWORD)
    phone.get_by_role("link", name="Mood (PHQ-9)").click()
    groups = phone.locator("fieldset.field")
    groups.nth(0).get_by_text("Several days").click()  # a large target: the whole answer row, not the dot
    expect(phone.get_by_role("status")).to_contain_text("Saved: 1 of 9 answered.")
    expect(phone.get_by_role("alert")).to_have_count(0)
    groups.nth(8).get_by_text("More than half the days").click()
    banner = phone.get_by_role("alert").filter(has_text="988")
    expect(banner).to_be_visible()  # at once, before the questionnaire is sent
    expect(banner.get_by_role("link", name="988")).to_have_attribute("href", "tel:988")
    expect(phone.get_by_text("We have let your care team know")).to_be_visible()
    assert Notification.objects.filter(recipient=nurse, kind="safety_alert").count() == 1

    phone.reload()  # as if the tab had been closed and opened again
    expect(phone.get_by_role("alert").filter(has_text="988")).to_be_visible()
    expect(groups.nth(0).get_by_label("Several days")).to_be_checked()
    expect(groups.nth(8).get_by_label("More than half the days")).to_be_checked()
    for index in range(1, 8):
        groups.nth(index).get_by_text("Not at all").click()
    expect(phone.get_by_role("status")).to_contain_text("Saved: 9 of 9 answered.")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you, Rowan")).to_be_visible()
    expect(phone.get_by_role("alert").filter(has_text="988")).to_be_visible()
    assert Assessment.objects.get(patient=patient).flags == ["suicidal_ideation"]
    assert not QuestionnaireDraft.objects.filter(patient=patient).exists()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_message_round_trip_with_a_clinician(phone: Page, chromium: Browser, live_server: Any) -> None:
    site = SiteFactory(name="Phone Message Site", code="PMSG")
    patient = PatientFactory(site=site, given_name="Sky", family_name="Testperson")
    user = patient_user(patient, username="phone.msg")
    nurse = staff(Role.NURSE, site, username="nurse.msg", first_name="Nia", last_name="Nurse")
    on_care_team(patient, nurse)

    sign_in(phone, user.username, TEST_PASSWORD)
    phone.get_by_role("button", name="Messages", exact=True).click()  # a link drawn as a large button
    phone.get_by_label("Subject").fill("Driving home")
    phone.get_by_label("Your message").fill("Can I drive myself home after the session?")
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("heading", name="Driving home")).to_be_visible()
    expect(phone.get_by_text("not watched around the clock")).to_be_visible()

    staff_context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    desk = staff_context.new_page()
    sign_in(desk, nurse.username, TEST_PASSWORD)
    unread = desk.get_by_role("region", name="Unread messages").or_(desk.locator("article", has_text="Unread messages"))
    expect(unread.first).to_be_visible()
    desk.get_by_role("link", name="Testperson, Sky: Driving home").click()
    expect(desk.get_by_text("Can I drive myself home after the session?")).to_be_visible()
    desk.get_by_label("Your message").fill("No: someone must drive you home. Bring your escort.")
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.get_by_text("Your reply is sent.")).to_be_visible()
    expect(desk.get_by_text("Read by Nia Nurse")).to_be_visible()  # the read receipt of the patient's message
    expect(desk.get_by_text("Not read yet")).to_be_visible()  # the reply, until the patient opens it
    staff_context.close()

    phone.get_by_role("link", name="My care").first.click()
    expect(phone.get_by_text("You have 1 new message from your care team.")).to_be_visible()
    phone.get_by_role("button", name="Read my messages").click()
    phone.get_by_role("link", name="Driving home").click()
    expect(phone.get_by_text("someone must drive you home")).to_be_visible()
    assert MessageRead.objects.filter(reader=user).count() == 2  # the automatic reply and the nurse's
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
