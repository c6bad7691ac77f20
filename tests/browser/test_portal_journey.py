"""The patient portal on a phone (360 px wide) in Debian's Chromium: from the invitation to the first sign-in; the
home before a treatment with its preparation; the check-in from home reaching the nurse's form; a request to move a
session seen and confirmed by the front desk, and its outcome read by the patient.

The server's clock is frozen through django.utils.timezone.now (shared with the live server thread)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from clinic.celery import app as celery_app
from clinic.domain import site_zone
from clinic.times import site_datetime, site_time
from sessions import services
from sessions.models import DosingSession
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, patient_user
from tests.sessions.conftest import Clinic, Clock, make_clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def phone(chromium: Any, live_server: Any) -> Iterator[Page]:
    """A second browser (the patient's phone) beside `page` (the clinic's desk)."""
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def at_site(clinic: Clinic, when: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    """`when`'s day at the site, at hour:minute of the site's clock."""
    local = when.astimezone(site_zone(clinic.site))
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_an_invited_patient_sets_a_password_and_lands_on_their_portal(
    page: Page, phone: Page, clock: Clock, eager_tasks: None
) -> None:
    clinic = make_clinic("INVITE")
    patient = PatientFactory(site=clinic.site, given_name="Noor", email="noor.testperson@example.invalid")
    sign_in(page, clinic.front_desk.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{patient.pk}/")
    page.get_by_role("button", name="Invite to the portal").click()
    expect(page.get_by_text("The invitation is on its way to noor.testperson@example.invalid.")).to_be_visible()

    link = re.search(r"https?://[^/\s]+(/portal/welcome/\S+/)", mail.outbox[-1].body)  # CLINIC_BASE_URL + path
    assert link is not None
    phone.goto(link.group(1))
    expect(phone.get_by_role("heading", name="Welcome, Noor")).to_be_visible()
    phone.get_by_label("Choose a password").fill("copper-heron-window-58")
    phone.get_by_label("Type the same password again").fill("copper-heron-window-58")
    phone.get_by_role("button", name="Save my password and open my portal").click()
    expect(phone.get_by_role("heading", name="Hello, Noor")).to_be_visible()
    expect(phone.get_by_text("Your account is ready.", exact=False)).to_be_visible()
    expect(phone.get_by_role("link", name="Call 988").first).to_be_visible()  # crisis help without scrolling

    phone.goto(link.group(1))  # the link works once
    expect(phone.get_by_role("heading", name="This link was already used")).to_be_visible()


def test_the_home_before_a_treatment_shows_how_to_get_ready(phone: Page, clock: Clock) -> None:
    clinic = make_clinic("PREP")
    clinic.site.address = "12 Harbor Road, Portland, ME"
    clinic.site.save()
    start = at_site(clinic, clock.now + dt.timedelta(days=2), 13)
    services.book_dosing_session(by=None, patient=clinic.patient, chair=clinic.chair, start=start, route="iv")
    user = patient_user(clinic.patient)

    sign_in(phone, user.username, TEST_PASSWORD)
    section = phone.locator("article.next-session")
    expect(section.get_by_role("heading", name="Your next treatment")).to_be_visible()
    expect(section).to_contain_text(site_datetime(start, clinic.site))
    expect(section).to_contain_text(f"Stop eating at {site_time(start - dt.timedelta(hours=6), clinic.site)}")
    expect(section).to_contain_text(f"Clear drinks until {site_time(start - dt.timedelta(hours=2), clinic.site)}")
    expect(section).to_contain_text("Bring an adult to take you home.")
    expect(section.get_by_role("button", name="Open the map")).to_have_attribute("href", re.compile("openstreetmap"))
    expect(section.get_by_role("button", name="Add to my calendar")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than the phone


def test_the_check_in_from_home_reaches_the_nurse_s_form(page: Page, phone: Page, clock: Clock) -> None:
    clinic = make_clinic("HOMECI")
    start = clock.now + dt.timedelta(hours=5)
    session = services.book_dosing_session(
        by=None, patient=clinic.patient, chair=clinic.chair, start=start, route="iv"
    ).session
    user = patient_user(clinic.patient)
    zone = site_zone(clinic.site)
    meal = (clock.now - dt.timedelta(hours=3)).astimezone(zone)
    drink = (clock.now - dt.timedelta(hours=1)).astimezone(zone)

    sign_in(phone, user.username, TEST_PASSWORD)
    phone.get_by_role("button", name="Check in now").click()
    phone.get_by_label("When did you last eat?").fill(meal.strftime("%Y-%m-%dT%H:%M"))
    phone.get_by_label("When did you last have a drink?").fill(drink.strftime("%Y-%m-%dT%H:%M"))
    phone.get_by_label("Who will take you home?").fill("Robin Testperson")
    phone.get_by_label("Their phone number").fill("555-0142")
    phone.get_by_role("radio", name="Yes").check()
    phone.get_by_label("If yes: which medicine, and what changed?").fill("Started sertraline 50 mg last week.")
    phone.get_by_role("button", name="Check me in").click()
    expect(phone.get_by_text("Thank you. You are checked in.", exact=False)).to_be_visible()

    sign_in(page, clinic.nurse.username, TEST_PASSWORD)
    page.goto(f"/staff/schedule/sessions/{session.pk}/")
    expect(page.locator("#pre-visit")).to_contain_text("The patient checked in from home")
    expect(page.locator("#pre-visit")).to_contain_text("Started sertraline 50 mg last week.")
    expect(page.get_by_label("Escort's name")).to_have_value("Robin Testperson")
    expect(page.get_by_label("Hours since the last solid food")).to_have_value(re.compile(r"^(2\.75|3|3\.0|3\.00)$"))
    expect(page.get_by_label("An adult escort will take the patient home")).not_to_be_checked()


def test_a_request_to_move_a_session_is_confirmed_by_the_front_desk(page: Page, phone: Page, clock: Clock) -> None:
    clinic = make_clinic("MOVE")
    start = at_site(clinic, clock.now + dt.timedelta(days=3), 13)
    services.book_dosing_session(by=None, patient=clinic.patient, chair=clinic.chair, start=start, route="iv")
    user = patient_user(clinic.patient)

    sign_in(phone, user.username, TEST_PASSWORD)
    phone.get_by_role("link", name="Appointments").click()
    phone.get_by_role("link", name=re.compile("Ask to move or cancel")).click()
    phone.get_by_label("Move it to another time").check()
    phone.get_by_label("Why? A few words are enough.").fill("My sister's wedding is that day.")
    phone.get_by_label("If you want to move it: which days and times suit you?").fill("Two days later")
    phone.get_by_role("button", name="Send my request").click()
    expect(phone.get_by_text("Your request is sent.", exact=False)).to_be_visible()
    expect(phone.get_by_text("You asked to move it. The clinic will answer soon.")).to_be_visible()

    new_start = start + dt.timedelta(days=2)
    sign_in(page, clinic.front_desk.username, TEST_PASSWORD)
    queue = page.locator("#appointment-requests")
    expect(queue).to_contain_text("My sister's wedding is that day.")
    queue.get_by_role("link", name=re.compile("asks to move")).click()
    page.get_by_label("New day and time").fill(new_start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Book the new time").click()
    expect(page.get_by_text("Moved, as", exact=False)).to_be_visible()
    assert DosingSession.objects.filter(start=new_start, status="scheduled").exists()

    phone.reload()
    expect(
        phone.get_by_text(f"The clinic moved this session to {site_datetime(new_start, clinic.site)}")
    ).to_be_visible()
