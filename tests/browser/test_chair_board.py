"""In Debian's Chromium: the chair board and the staff home show what the nurse must act on; the booking page says
why a patient who is not cleared cannot be booked; an integration session opens as a page, not a download."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic import times
from clinic.models import Chair, Patient, Role
from clinic.services import current_protocol
from sessions import services
from sessions.models import DoseRecord, DosingSession
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ChairFactory, PatientFactory, SiteFactory, patient_user, staff
from tests.intake.factories import phq9
from tests.sessions.conftest import PROCEED, Clock, cleared

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # 14:00 UTC today (09:00 or 10:00 in New York): the day's sessions sit well inside the board's hours.
    now = timezone.now().astimezone(dt.UTC).replace(hour=14, minute=0, second=0, microsecond=0)
    frozen = Clock(now)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def test_the_board_and_the_staff_home_show_what_needs_the_nurse(page: Page, clock: Clock) -> None:
    site = SiteFactory(name="Board Site", code="BOARD", time_zone="America/New_York")
    chairs = [ChairFactory(site=site, name=f"Chair {n}") for n in (1, 2, 3)]
    nurse = staff(Role.NURSE, site, username="nurse.board", first_name="Nia", last_name="Nurse")
    now = clock.now

    def at(minutes_before_now: int) -> dt.datetime:
        clock.set(now - dt.timedelta(minutes=minutes_before_now))
        return clock.now

    def book(patient: Patient, chair: Chair, minutes_before_now: int) -> DosingSession:
        start = now - dt.timedelta(minutes=minutes_before_now)
        return services.book_dosing_session(by=None, patient=patient, chair=chair, start=start, route="iv").session

    def check_in(session: DosingSession) -> None:
        services.check_in(by=nurse, session=session, fasting_solids_hours=Decimal(8),
                          fasting_clear_liquids_hours=Decimal(3), escort_confirmed=True)  # fmt: skip
        services.record_vitals(by=nurse, session=session, **PROCEED)

    at(100)
    late, dosing, observed = (
        cleared(site, nurse=nurse, given_name=name, family_name="Testperson") for name in ("Late", "Dosing", "Obs")
    )
    late_session, dosing_session, obs_session = (
        book(late, chairs[0], 15),
        book(dosing, chairs[1], 30),
        book(observed, chairs[2], 90),
    )
    # Observed: dosed from 80 to 20 min ago, so 10 of its 30 min of observation are left.
    at(90)
    check_in(obs_session)
    at(80)
    services.start_dosing(by=nurse, session=obs_session, lot_number="LOT-B1")
    at(20)
    services.end_dosing(by=nurse, session=obs_session)
    # Dosing: started 12 min late, 18 min ago; its 10-minute vitals are overdue and one reading alerted.
    at(25)
    check_in(dosing_session)
    at(18)
    services.start_dosing(by=nurse, session=dosing_session, lot_number="LOT-B2")
    services.record_vitals(by=nurse, session=dosing_session, systolic=186, diastolic=96, heart_rate=88, spo2=97)
    at(0)
    phq9(dosing, [1, 1, 1, 1, 1, 1, 1, 1, 1], by=nurse)  # item 9 above 0 opens a safety task
    dosing_started = times.site_time(DoseRecord.objects.get(session=dosing_session).started_at, site, zone=False)
    assert late_session.status == "scheduled"

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/schedule/?site={site.pk}")
    board = page.locator("#board")
    late_row = board.get_by_role("row", name="Testperson, Late")
    expect(late_row).to_contain_text("Not checked in: 15 min late")
    dosing_row = board.get_by_role("row", name="Testperson, Dosing")
    expect(dosing_row).to_contain_text("Vitals overdue")
    expect(dosing_row).to_contain_text("Alert: Systolic 186 mmHg")
    expect(dosing_row).to_contain_text("Open safety task")
    expect(dosing_row).to_contain_text(f"Dosing since {dosing_started}, 12 min late")
    expect(board.get_by_role("row", name="Testperson, Obs")).to_contain_text("Observation: 10 min left")
    # The dosing patient's block on the chair board sits where dosing really started.
    expect(board.locator("svg .board-block", has_text="Testperson, D.")).to_contain_text(dosing_started)

    page.goto("/staff/")
    today = page.locator("article", has=page.get_by_role("heading", name="Today"))
    expect(today.get_by_role("row", name="Testperson, Dosing")).to_contain_text("Vitals overdue")
    expect(today.get_by_role("row", name="Testperson, Late")).to_contain_text("Not checked in: 15 min late")


def test_the_booking_page_says_why_a_patient_cannot_be_booked_yet(page: Page, clock: Clock) -> None:
    site = SiteFactory(name="Booking Site", code="BOOKNC", time_zone="America/New_York")
    ChairFactory(site=site, name="Chair 1")
    nurse = staff(Role.NURSE, site, username="nurse.booknc")
    patient = PatientFactory(site=site, given_name="Uncleared", family_name="Testperson")
    assert current_protocol(site)
    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/schedule/book/?patient={patient.pk}")
    notice = page.locator("#free-slots")
    expect(notice).to_contain_text("not cleared for dosing yet")
    expect(notice).to_contain_text("No intake screening has been recorded.")
    expect(notice).to_contain_text("No signed consent")
    expect(notice).to_contain_text("No medical clearance")
    expect(page.locator(".slot-list")).to_have_count(0)
    notice.get_by_role("link", name="Open the intake page").click()
    expect(page.get_by_role("heading", name="Intake: Testperson, Uncleared")).to_be_visible()
    assert page.url.endswith(f"/staff/patients/{patient.pk}/intake/")


def test_an_integration_session_opens_as_a_page_for_staff_and_patient(page: Page, clock: Clock) -> None:
    site = SiteFactory(name="Integration Site", code="INTEG", time_zone="America/New_York")
    ChairFactory(site=site, name="Chair 1")
    nurse = staff(Role.NURSE, site, username="nurse.integ")
    therapist = staff(Role.THERAPIST, site, username="therapist.integ", first_name="Theo", last_name="Therapist")
    patient = cleared(site, nurse=nurse, given_name="Ines", family_name="Testperson")
    appointment = services.book_integration_appointment(
        by=nurse, patient=patient, therapist=therapist, start=clock.now + dt.timedelta(days=1), duration_min=60,
        room="Blue room",
    ).appointment  # fmt: skip

    sign_in(page, nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/")
    page.get_by_role("row", name="Integration with Theo Therapist").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Integration session")).to_be_visible()
    expect(page.get_by_text("Blue room")).to_be_visible()
    ics = page.get_by_role("button", name="Add to calendar (.ics)")  # a link drawn as a button
    expect(ics).to_have_attribute("href", f"/staff/schedule/integration/{appointment.pk}/calendar.ics")

    page.context.clear_cookies()
    sign_in(page, patient_user(patient, username="portal.integ").username, TEST_PASSWORD)
    page.goto("/portal/sessions/")
    page.get_by_role("link", name="integration session with Theo Therapist").click()
    expect(page.get_by_role("heading", name="Integration session")).to_be_visible()
    expect(page.get_by_text("Blue room")).to_be_visible()
    expect(page.get_by_role("link", name="Add to my calendar")).to_have_attribute(
        "href", f"/portal/integration/{appointment.pk}/calendar.ics"
    )
