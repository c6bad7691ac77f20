"""The portal's forms in Debian's Chromium, on a phone-sized screen: the health form refuses a date in the future
beside the field and keeps every other answer; the thank-you page lists only what is still due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake import services as intake_services
from intake.models import HealthQuestionnaire
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, patient_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_health_form_refuses_a_date_in_the_future_and_keeps_the_other_answers(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    patient = PatientFactory(site=SiteFactory(name="Portal Site", code="PORT"), given_name="Noa")
    user = patient_user(patient, username="portal.health")

    sign_in(page, user.username, TEST_PASSWORD)
    page.get_by_role("link", name="Your health and medicines").click()
    page.get_by_label("I have post-traumatic stress disorder (PTSD)").check()
    first_medicine = page.get_by_role("group", name="Medicine 1").get_by_label("Medicine (optional)", exact=True)
    first_medicine.fill("Sertraline")
    page.get_by_label("Yes, but I have stopped (tell us since when)").check()
    next_year = (timezone.localdate() + dt.timedelta(days=365)).isoformat()
    page.get_by_label("If you have stopped: since when?").fill(next_year)
    page.get_by_role("button", name="Send to my care team").click()

    expect(page.locator("#id_remission_since_error")).to_have_text(
        "This date is in the future. Give the date you stopped; a rough date is fine."
    )
    expect(page.get_by_label("I have post-traumatic stress disorder (PTSD)")).to_be_checked()
    expect(page.get_by_role("group", name="Medicine 1").get_by_label("Medicine (optional)", exact=True)).to_have_value(
        "Sertraline"
    )
    expect(page.get_by_label("If you have stopped: since when?")).to_have_value(next_year)
    assert not HealthQuestionnaire.objects.exists()

    page.get_by_label("If you have stopped: since when?").fill("2024-02-01")
    page.get_by_role("button", name="Send to my care team").click()
    expect(page.get_by_text("Thank you. Your care team will go through these answers with you.")).to_be_visible()
    assert HealthQuestionnaire.objects.get().substance_use["remission_since"] == "2024-02-01"


def test_the_thank_you_page_lists_only_what_is_still_due(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    patient = PatientFactory(site=SiteFactory(name="Thanks Site", code="THX"), given_name="Ari")
    user = patient_user(patient, username="portal.thanks")
    intake_services.record_assessment(by=user, patient=patient, instrument="gad7", answers=[0] * 7)

    sign_in(page, user.username, TEST_PASSWORD)
    page.get_by_role("link", name="Mood (PHQ-9)").click()
    for group in page.locator("fieldset.field").all():
        group.get_by_label("Not at all").check()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="Thank you, Ari")).to_be_visible()
    still_due = page.locator("#still-due")
    expect(still_due.get_by_role("link")).to_have_count(3)
    expect(still_due.get_by_role("link", name="Safety questions (C-SSRS screener)")).to_be_visible()
    expect(still_due.get_by_role("link", name="Your health and medicines")).to_be_visible()
    expect(still_due.get_by_role("link", name="Read and sign the consent form")).to_be_visible()
    expect(still_due).not_to_contain_text("PHQ-9")
    expect(still_due).not_to_contain_text("GAD-7")
