"""Alerts in Debian's Chromium: the care team sees the alerts stored for it, ranked by severity, in the header on
every staff page and on the staff home, and acknowledges each with what was done; the acknowledgement counts for
the whole team and shows who gave it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import AuditEvent, Notification, NotificationKind, Role
from clinic.notifications import notify_care_team
from intake import services as intake_services
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, on_care_team, patient_user, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHQ9_ITEM9_SEVERAL_DAYS = [0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_a_suicide_risk_alert_is_seen_first_in_red_and_acknowledged_for_the_whole_team(page: Page) -> None:
    site = SiteFactory(name="Alert Site", code="ALERT")
    patient = PatientFactory(site=site, given_name="Avery", family_name="Testperson")
    nurse = staff(Role.NURSE, site, username="nurse.alert", first_name="Nia", last_name="Nurse")
    prescriber = staff(Role.PRESCRIBER, site, username="doc.alert", first_name="Pat", last_name="Prescriber")
    on_care_team(patient, nurse)
    on_care_team(patient, prescriber)
    # The suicide-risk alert comes first (older), the vital-sign alert later: ranking is by severity, not by time.
    intake_services.record_assessment(
        by=patient_user(patient, username="portal.alert"),
        patient=patient,
        instrument="phq9",
        answers=PHQ9_ITEM9_SEVERAL_DAYS,
    )
    notify_care_team(
        patient,
        kind=NotificationKind.SAFETY_ALERT,
        title="In-session vital-sign alert",
        body="Systolic 186 is above 180.",
        dedupe_key="test-vitals-1",
    )

    sign_in(page, nurse.username, TEST_PASSWORD)
    expect(page.get_by_role("link", name=re.compile(r"Alerts, 2 unread"))).to_be_visible()
    alerts = page.locator("#alerts li.alert")
    expect(alerts).to_have_count(2)
    first = alerts.nth(0)
    expect(first).to_contain_text("Safety alert")
    expect(first).to_contain_text("item 9")
    expect(first).to_contain_text("Critical")
    expect(first).to_have_class(re.compile(r"alert--critical"))
    expect(alerts.nth(1)).to_contain_text("In-session vital-sign alert")

    # The header is on every staff page.
    page.get_by_role("link", name="Intake", exact=True).click()
    expect(page.get_by_role("link", name=re.compile(r"Alerts, 2 unread"))).to_be_visible()
    page.get_by_role("link", name="Patients", exact=True).click()

    first = page.locator("#alerts li.alert").nth(0)
    first.get_by_text("Acknowledge…").click()
    first.get_by_role("button", name="Acknowledge for the team").click()
    # Refused without a note: the reason beside the field, on the alerts page.
    expect(page.get_by_text("Say what was done: who spoke with the patient and the outcome.")).to_be_visible()
    refused = page.locator("li.alert", has_text="item 9")
    refused.get_by_label("What was done").fill("Called Avery at 10:05; safe, plan agreed, seen tomorrow.")
    refused.get_by_role("button", name="Acknowledge for the team").click()
    expect(page.get_by_text("Alert acknowledged for the care team.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Alerts, 1 unread"))).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, prescriber.username, TEST_PASSWORD)
    # Acknowledged by the nurse: no longer open for the prescriber either.
    expect(page.locator("#alerts li.alert")).to_have_count(1)
    expect(page.locator("#alerts")).not_to_contain_text("item 9")
    page.get_by_role("link", name=re.compile(r"Alerts, 1 unread")).click()
    page.get_by_role("link", name="All alerts").click()
    done = page.locator("li.alert", has_text="item 9")
    expect(done).to_contain_text("Acknowledged by Nia Nurse")
    expect(done).to_contain_text("Called Avery at 10:05")
    done.get_by_role("button", name="Open the record").click()
    expect(page).to_have_url(re.compile(rf"/staff/patients/{patient.pk}/intake/$"))

    assert Notification.objects.filter(acknowledged_by=nurse).count() == 2
    event = AuditEvent.objects.get(action="clinic.notification.acknowledge")
    assert (event.actor, event.patient) == (nurse, patient)
