"""One time format in Debian's Chromium (issue 8, item 12): a slot button, the time input it fills, the booking's
confirmation and the session page read the same time, in the site's zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.models import Role
from sessions.models import DosingSession
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ChairFactory, SiteFactory, staff
from tests.sessions.conftest import Clock, cleared

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    now = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)  # 8:00 AM in New York; tomorrow is a Tuesday
    frozen = Clock(now)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def test_a_slot_button_its_time_input_and_the_booked_session_read_the_same_time(page: Page, clock: Clock) -> None:
    site = SiteFactory(name="Clock Site", code="CLOCK", time_zone="America/New_York")
    ChairFactory(site=site, name="Chair 1")
    nurse = staff(Role.NURSE, site, username="nurse.clock")
    patient = cleared(site, nurse=nurse, given_name="Clara", family_name="Testperson")

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/schedule/book/?patient={patient.pk}&date=2026-05-05")
    slot = page.locator(".slot-list").first.get_by_role("link", name="9:00 AM", exact=True)
    expect(slot).to_be_visible()
    slot.click()
    expect(page.get_by_label("Start time")).to_have_value("09:00")  # shown by the browser as 09:00 AM, no seconds
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked for Tue, May 5, 2026, 9:00 AM EDT.")).to_be_visible()
    session = DosingSession.objects.get(patient=patient)
    assert session.start == dt.datetime(2026, 5, 5, 13, 0, tzinfo=dt.UTC)
    page.goto(f"/staff/schedule/sessions/{session.pk}/")
    expect(page.get_by_text("Tue, May 5, 2026, 9:00 AM\u2013")).to_be_visible()
