"""A nurse runs a dosing session on the session page, in Debian's Chromium: check-in, pre-dose vitals (htmx), the
dose calculated step by step, dosing, vitals during the infusion, end, a discharge that waits for the observation,
discharge.

The server's clock is frozen (and moved on) through django.utils.timezone.now, which the live server thread shares
with the test, so the observation time can pass without waiting.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from clinic.domain import local_day
from clinic.models import Role
from sessions import services
from sessions.models import DosingSession, SessionStatus
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ChairFactory, SiteFactory, staff
from tests.sessions.conftest import Clock, cleared

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_runs_a_session_from_check_in_to_discharge(page: Page, clock: Clock) -> None:
    site = SiteFactory(name="Browser Session Site", code="BRSESS", time_zone="America/New_York")
    chair = ChairFactory(site=site, name="Chair 7")
    nurse = staff(Role.NURSE, site, username="nurse.session", first_name="Nia", last_name="Nurse")
    patient = cleared(site, nurse=nurse, given_name="Brooke", family_name="Testperson")
    session = services.book_dosing_session(
        by=None, patient=patient, chair=chair, start=clock.now + dt.timedelta(minutes=20), route="iv"
    ).session

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/schedule/?site={site.pk}&date={local_day(site, session.start):%Y-%m-%d}")
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    page.get_by_role("link", name="Testperson, Brooke").click()
    expect(page.get_by_role("heading", name="Dosing session: Testperson, Brooke")).to_be_visible()
    expect(page.locator("#session-status")).to_have_text("Scheduled")

    # 1. Check-in: fasting and escort.
    page.get_by_label("Hours since the last solid food").fill("8")
    page.get_by_label("Hours since the last clear liquid").fill("3")
    page.get_by_label("An adult escort will take the patient home").check()
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Checked in.")).to_be_visible()
    expect(page.locator("#session-status")).to_have_text("Checked in")

    # 2. Pre-dose vitals, entered without a page load (htmx): the gate says proceed.
    page.get_by_label("Systolic").fill("126")
    page.get_by_label("Diastolic").fill("80")
    page.get_by_label("Heart rate", exact=True).fill("74")
    page.get_by_label("SpO2 %").fill("98")
    page.get_by_role("button", name="Record vitals").click()
    expect(page.locator("#gate")).to_have_text("Proceed")
    # A fresh form for the next reading, with the cursor back in it (htmx focuses it once the swap settles).
    expect(page.get_by_label("Systolic")).to_have_value("")
    expect(page.get_by_label("Systolic")).to_be_focused()

    # 3. The dose, step by step, then start.
    page.get_by_label("Lot number").fill("LOT-BROWSER-1")
    page.get_by_role("button", name="Show the calculation").click()
    expect(page.get_by_text("Dose 35.0 mg = 0.5 mg/kg x 70.0 kg")).to_be_visible()
    expect(page.get_by_text("Pump rate 150.0 mL/h = 100 mL / 40 min x 60")).to_be_visible()
    page.get_by_role("button", name="Start dosing").click()
    expect(page.get_by_text("Dosing started.")).to_be_visible()
    expect(page.locator("#session-status")).to_have_text("Dosing")
    expect(page.get_by_text("Next vitals due at")).to_be_visible()

    # Vitals during the infusion; an alert shows in red.
    clock.advance(minutes=10)
    page.get_by_label("Systolic").fill("184")
    page.get_by_label("Diastolic").fill("96")
    page.get_by_label("Heart rate", exact=True).fill("88")
    page.get_by_label("SpO2 %").fill("97")
    page.get_by_role("button", name="Record vitals").click()
    expect(page.locator(".alert-list").get_by_text(re.compile("Systolic 184 mmHg is above 180"))).to_be_visible()
    expect(page.locator("svg.chart")).to_be_visible()

    # 4. End dosing; a discharge before the minimum observation is refused with the reason.
    clock.advance(minutes=30)
    page.get_by_role("button", name="End dosing").click()
    expect(page.get_by_text("Dosing ended: observation started.")).to_be_visible()
    expect(page.locator("#session-status")).to_have_text("Monitoring")

    def fill_discharge() -> None:
        for item in ("Activity", "Respiration", "Circulation", "Consciousness", "SpO2"):
            page.get_by_label(f"Aldrete: {item}").select_option("2")
        page.get_by_label("Escort present to take the patient home").check()
        page.get_by_label("Discharge instructions given").check()
        page.get_by_label("Patient acknowledges: no driving until the next day").check()
        page.get_by_role("button", name="Discharge", exact=True).click()

    # Too early: the checklist says how long is left and "Discharge" waits.
    clock.advance(minutes=10)
    page.reload()
    waiting = "Observed 10 min since dosing ended; the IV infusion needs at least 30 min. 20 min left."
    expect(page.locator("#discharge-checklist").get_by_text(waiting)).to_be_visible()
    expect(page.get_by_role("button", name="Discharge", exact=True)).to_be_disabled()
    expect(page.locator("#session-status")).to_have_text("Monitoring")

    clock.advance(minutes=21)
    page.reload()
    fill_discharge()
    expect(page.get_by_text("Discharged. No driving until tomorrow.")).to_be_visible()
    expect(page.locator("#session-status")).to_have_text("Discharged")
    expect(page.get_by_text("after 31 min of observation")).to_be_visible()

    session.refresh_from_db()
    assert session.status == SessionStatus.DISCHARGED
    assert DosingSession.objects.get(pk=session.pk).dose.lot_number == "LOT-BROWSER-1"
    assert [r.phase for r in session.vital_signs.all()] == ["pre", "during"]
