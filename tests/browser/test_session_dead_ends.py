"""A nurse at the chair meets no dead end and loses nothing typed (issue "Clinicians at the chair"), in Debian's
Chromium: a check-in completed later (the escort), refusals that keep every input with the reason beside the field,
checklists that tick themselves before "Start dosing" and "Discharge", an early end of dosing that asks why.

The server's clock is frozen (and moved on) through django.utils.timezone.now, shared by the live server thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from clinic.models import Chair, Patient, Role, User
from sessions import services
from sessions.models import DoseRecord, DosingSession, SessionStatus
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ChairFactory, SiteFactory, staff
from tests.sessions.conftest import PROCEED, Clock, cleared

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class Chairside:
    nurse: User
    chair: Chair
    patient: Patient
    session: DosingSession

    @property
    def url(self) -> str:
        return f"/staff/schedule/sessions/{self.session.pk}/"


@pytest.fixture
def chairside(clock: Clock) -> Chairside:
    site = SiteFactory(name="Chairside Site", code="CHAIR", time_zone="America/New_York")
    chair = ChairFactory(site=site, name="Chair 3")
    nurse = staff(Role.NURSE, site, username="nurse.chair", first_name="Nia", last_name="Nurse")
    patient = cleared(site, nurse=nurse, given_name="Robin", family_name="Testperson")
    session = services.book_dosing_session(
        by=None, patient=patient, chair=chair, start=clock.now + dt.timedelta(minutes=10), route="iv"
    ).session
    return Chairside(nurse, chair, patient, session)


def check_in(chairside: Chairside, *, escort: bool = True) -> None:
    services.check_in(
        by=chairside.nurse,
        session=chairside.session,
        fasting_solids_hours=Decimal(8),
        fasting_clear_liquids_hours=Decimal(3),
        escort_confirmed=escort,
    )


def start(chairside: Chairside) -> None:
    check_in(chairside)
    services.record_vitals(by=chairside.nurse, session=chairside.session, **PROCEED)
    services.start_dosing(by=chairside.nurse, session=chairside.session, lot_number="LOT-CHAIR")


def test_a_check_in_without_an_escort_is_completed_later_and_dosing_starts(page: Page, chairside: Chairside) -> None:
    check_in(chairside, escort=False)
    sign_in(page, chairside.nurse.username, TEST_PASSWORD)
    page.goto(chairside.url)
    checklist = page.locator("#start-checklist")
    expect(checklist.get_by_text("Confirm the escort")).to_be_visible()
    expect(page.get_by_role("button", name="Start dosing")).to_be_disabled()

    # The check-in is completed on the session page: the escort, their name and phone.
    page.get_by_text("Correct the check-in").click()
    page.get_by_label("An adult escort will take the patient home").check()
    page.get_by_label("Escort's name").fill("Alex Testperson")
    page.get_by_label("Escort's phone").fill("555-0100")
    page.get_by_label("What changed").fill("Escort arrived after check-in")
    page.get_by_role("button", name="Save the check-in").click()
    expect(page.get_by_text("Check-in updated")).to_be_visible()
    expect(page.locator("#check-in").get_by_text("Alex Testperson")).to_be_visible()

    # Vitals tick the checklist as they are entered (htmx), and the button comes alive.
    expect(checklist.get_by_text("Record the pre-dose vital signs first.")).to_be_visible()
    page.get_by_label("Systolic").fill("124")
    page.get_by_label("Diastolic").fill("78")
    page.get_by_label("Heart rate", exact=True).fill("72")
    page.get_by_label("SpO2 %").fill("98")
    page.get_by_role("button", name="Record vitals").click()
    expect(checklist.get_by_text("Pre-dose vital signs recorded.")).to_be_visible()
    expect(checklist.get_by_text("Escort confirmed: Alex Testperson.")).to_be_visible()
    page.get_by_label("Lot number").fill("LOT-LATE-ESCORT")
    expect(page.get_by_role("button", name="Start dosing")).to_be_enabled()
    page.get_by_role("button", name="Start dosing").click()
    expect(page.locator("#session-status")).to_have_text("Dosing")


def test_a_refused_start_keeps_everything_typed_with_the_reason_beside_the_field(
    page: Page, chairside: Chairside
) -> None:
    check_in(chairside)
    services.record_vitals(by=chairside.nurse, session=chairside.session, **PROCEED)
    sign_in(page, chairside.nurse.username, TEST_PASSWORD)
    page.goto(chairside.url)
    page.get_by_label("mg/kg").fill("0.6")
    page.get_by_label("Bag volume (mL)").fill("250")
    page.get_by_label("Vial concentration (mg/mL)").fill("50")
    expect(page.locator("#start-checklist").get_by_text("Dose calculated: 42.0 mg")).to_be_visible()
    page.get_by_role("button", name="Start dosing").click()  # no lot number

    lot = page.get_by_label("Lot number")
    expect(page.locator("#id_lot_number_error")).to_have_text("Give the medication's lot number.")
    expect(lot).to_have_attribute("aria-invalid", "true")
    expect(lot).to_be_focused()  # the page comes back at the refused field
    expect(page.get_by_label("mg/kg")).to_have_value("0.6")
    expect(page.get_by_label("Bag volume (mL)")).to_have_value("250")
    expect(page.get_by_label("Vial concentration (mg/mL)")).to_have_value("50")
    expect(page.locator("#session-status")).to_have_text("Checked in")
    lot.fill("LOT-KEPT")
    page.get_by_role("button", name="Start dosing").click()
    expect(page.locator("#session-status")).to_have_text("Dosing")
    dose = DoseRecord.objects.get(session=chairside.session)
    assert dose.mg_per_kg == Decimal("0.600")
    assert (dose.inputs["bag_volume_ml"], dose.inputs["concentration_mg_per_ml"]) == ("250", "50")


def test_a_wrong_number_names_the_field_in_words(page: Page, chairside: Chairside) -> None:
    check_in(chairside)
    services.record_vitals(by=chairside.nurse, session=chairside.session, **PROCEED)
    sign_in(page, chairside.nurse.username, TEST_PASSWORD)
    page.goto(chairside.url)
    page.get_by_label("mg/kg").fill("1.2")
    page.get_by_label("Weight today (kg)").fill("0")
    page.get_by_role("button", name="Show the calculation").click()
    preview = page.locator("#dose-preview")
    expect(preview).to_contain_text("Weight today (kg): The weight must be more than 0.")
    expect(preview).not_to_contain_text("weight_kg")
    expect(page.locator("#start-checklist")).not_to_contain_text("weight_kg")
    expect(page.get_by_role("button", name="Start dosing")).to_be_disabled()


def test_discharge_waits_for_its_checklist(page: Page, chairside: Chairside, clock: Clock) -> None:
    start(chairside)
    clock.advance(minutes=40)
    services.end_dosing(by=chairside.nurse, session=chairside.session)
    clock.advance(minutes=10)
    sign_in(page, chairside.nurse.username, TEST_PASSWORD)
    page.goto(chairside.url)
    checklist = page.locator("#discharge-checklist")
    expect(checklist.get_by_text("20 min left.")).to_be_visible()
    expect(page.get_by_role("button", name="Discharge", exact=True)).to_be_disabled()

    clock.advance(minutes=21)
    page.reload()
    expect(checklist.get_by_text("Observed at least 30 min.")).to_be_visible()
    for item, score in (("Activity", "2"), ("Respiration", "2"), ("Circulation", "2"), ("Consciousness", "1")):
        page.get_by_label(f"Aldrete: {item}").select_option(score)
    page.get_by_label("Aldrete: SpO2").select_option("1")
    expect(checklist.get_by_text("Modified Aldrete score 8; discharge needs at least 9.")).to_be_visible()
    expect(page.get_by_role("button", name="Discharge", exact=True)).to_be_disabled()
    page.get_by_label("Aldrete: SpO2").select_option("2")
    page.get_by_label("Escort present to take the patient home").check()
    expect(checklist.get_by_text("Modified Aldrete score 9 (at least 9 needed).")).to_be_visible()
    expect(page.get_by_role("button", name="Discharge", exact=True)).to_be_enabled()
    page.get_by_role("button", name="Discharge", exact=True).click()
    expect(page.locator("#session-status")).to_have_text("Discharged")


@pytest.fixture
def no_script_page(chromium: Browser, django_db_setup: None, live_server: LiveServer) -> Iterator[Page]:
    """A browser with JavaScript off: the refusal must still come back with everything typed."""
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_refused_discharge_keeps_the_scores_ticks_name_and_notes(
    no_script_page: Page, chairside: Chairside, clock: Clock
) -> None:
    page = no_script_page
    start(chairside)
    clock.advance(minutes=40)
    services.end_dosing(by=chairside.nurse, session=chairside.session)
    clock.advance(minutes=31)
    sign_in(page, chairside.nurse.username, TEST_PASSWORD)
    page.goto(chairside.url)
    for item, score in (("Activity", "2"), ("Respiration", "2"), ("Circulation", "1"), ("Consciousness", "2")):
        page.get_by_label(f"Aldrete: {item}").select_option(score)
    page.get_by_label("Aldrete: SpO2").select_option("1")
    page.get_by_label("Escort present to take the patient home").check()
    page.get_by_label("Discharge instructions given").check()
    page.get_by_label("Escort's name").fill("Alex Testperson")
    page.get_by_label("Notes").last.fill("Drowsy, sipping water")
    page.get_by_role("button", name="Discharge", exact=True).click()

    expect(
        page.locator("#discharge").get_by_text("Modified Aldrete score 8; discharge needs at least 9.")
    ).to_be_visible()
    expect(page.get_by_label("Aldrete: Circulation")).to_have_value("1")
    expect(page.get_by_label("Aldrete: SpO2")).to_have_value("1")
    expect(page.get_by_label("Aldrete: Activity")).to_have_value("2")
    expect(page.get_by_label("Escort present to take the patient home")).to_be_checked()
    expect(page.get_by_label("Discharge instructions given")).to_be_checked()
    expect(page.get_by_label("Escort's name")).to_have_value("Alex Testperson")
    expect(page.get_by_label("Notes").last).to_have_value("Drowsy, sipping water")
    chairside.session.refresh_from_db()
    assert chairside.session.status == SessionStatus.MONITORING


def test_ending_dosing_early_asks_why_and_records_the_dose_given(
    page: Page, chairside: Chairside, clock: Clock
) -> None:
    start(chairside)
    clock.advance(minutes=1)
    sign_in(page, chairside.nurse.username, TEST_PASSWORD)
    page.goto(chairside.url)
    page.get_by_role("button", name="End dosing").click()
    expect(page.locator("#id_stop_reason_error")).to_contain_text("say why it stops early")
    page.get_by_label("Why is dosing ending early?").fill("Patient distressed; infusion stopped")
    page.get_by_role("button", name="End dosing").click()
    expect(page.locator("#session-status")).to_have_text("Monitoring")
    dose_panel = page.locator("#dose")
    expect(dose_panel.get_by_text("stopped early")).to_be_visible()
    expect(dose_panel).to_contain_text("ran 1 of the planned 40 min")
    expect(dose_panel).to_contain_text("Patient distressed; infusion stopped")
    expect(dose_panel).to_contain_text("0.9 mg given of 35.0 mg planned")

    page.goto(f"/staff/schedule/?site={chairside.chair.site_id}")
    expect(page.locator("#board").get_by_text("Stopped early")).to_be_visible()
