"""In Debian's Chromium: a therapist writes an EMDR note, has a refusal come back with everything typed, saves it as a
draft and signs it; a patient reads their relapse-prevention plan in the portal on a phone-sized screen.

The server's clock is frozen (and moved on) through django.utils.timezone.now, which the live server thread shares
with the test, so a dosing session can be run to discharge and the integration session can follow the next day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from clinic.domain import site_zone
from clinic.models import Role
from integration import services
from integration.models import IntegrationNote, NoteStatus
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, on_care_team, patient_user, staff
from tests.sessions.conftest import Clock, advance_to, book, make_clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_writes_saves_and_signs_an_emdr_note(page: Page, clock: Clock) -> None:
    clinic = make_clinic("BRNOTE")
    on_care_team(clinic.patient, clinic.therapist)
    session = advance_to(clinic, book(clinic, clock.now + dt.timedelta(minutes=30)), "discharged", clock)
    clock.advance(days=1)
    started = (clock.now - dt.timedelta(minutes=70)).astimezone(site_zone(clinic.site))

    sign_in(page, clinic.therapist.username, TEST_PASSWORD)
    page.goto(f"/staff/patients/{clinic.patient.pk}/")
    page.get_by_role("button", name="Integration notes and timeline").click()
    expect(page.get_by_role("heading", name="Integration: Testperson, Sam")).to_be_visible()
    page.get_by_role("button", name="EMDR", exact=True).click()
    expect(page.get_by_role("heading", name="New EMDR note")).to_be_visible()
    # Only the EMDR fields, and the dosing session beside them.
    expect(page.get_by_label("Target memory")).to_be_visible()
    expect(page.get_by_label("Scene or metaphor")).to_have_count(0)
    expect(page.locator("#session-facts")).to_contain_text("35.0 mg")

    page.get_by_label("Session started").fill(f"{started:%Y-%m-%dT%H:%M}")
    page.get_by_label("Duration (minutes)").fill("75")
    page.get_by_label("Phase").select_option("desensitisation")
    page.get_by_label("Target memory").fill("A fictional storm at sea")
    page.get_by_label("Negative cognition").fill("I am not safe")
    page.get_by_label("Positive cognition").fill("I am safe now")
    page.get_by_label("SUD before (0-10)").fill("7")
    page.get_by_label("SUD after (0-10)").fill("3")
    page.get_by_label("VOC (1-7)").fill("9")
    page.get_by_label("Narrative").fill("Fictional: the patient stayed with the image and it softened.")
    page.get_by_label(re.compile(r"^Plan")).fill("Continue with the same target next week.")
    page.get_by_role("button", name="Save draft").click()

    # Refused: the reason beside the field, everything typed still there.
    expect(page.get_by_text("VOC is rated from 1 to 7.")).to_be_visible()
    expect(page.get_by_label("Narrative")).to_have_value(
        "Fictional: the patient stayed with the image and it softened."
    )
    expect(page.get_by_label("Target memory")).to_have_value("A fictional storm at sea")
    assert IntegrationNote.objects.count() == 0

    page.get_by_label("VOC (1-7)").fill("5")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Draft EMDR note")).to_be_visible()
    note = IntegrationNote.objects.get()
    assert (note.status, note.structured["voc"], note.dosing_session_id) == (NoteStatus.DRAFT, 5, session.pk)

    page.get_by_role("button", name="Save and sign…").click()
    expect(page.get_by_role("heading", name="Sign this EMDR note?")).to_be_visible()
    expect(page.get_by_text("Once signed, the note is locked")).to_be_visible()
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    expect(page.get_by_text("signed", exact=True)).to_be_visible()
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert note.signed_by == clinic.therapist


@pytest.fixture
def phone(chromium: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740},
                                   is_mobile=True, has_touch=True, device_scale_factor=2)  # fmt: skip
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_patient_reads_their_plan_on_a_phone(phone: Page) -> None:
    clinic = make_clinic("BRPLAN")
    on_care_team(clinic.patient, clinic.therapist)
    services.revise_relapse_plan(
        by=clinic.therapist,
        patient=clinic.patient,
        data={
            "warning_signs": ["Sleeping badly for three nights", "Cancelling plans with friends"],
            "coping_strategies": ["A walk around the block"],
            "people_to_ask": ["Robin (a fictional cousin), 555-0123"],
            "maintenance_criteria": "If your mood score rises, we talk about a booster session.",
        },
    )
    user = patient_user(clinic.patient, username="portal.plan")
    staff(Role.NURSE, clinic.site, username="nurse.plan")

    sign_in(phone, user.username, TEST_PASSWORD)
    phone.get_by_role("button", name="Read my plan").click()
    expect(phone.get_by_role("heading", name="My relapse-prevention plan")).to_be_visible()
    crisis = phone.locator(".crisis-resources")
    expect(crisis.get_by_role("button", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(crisis.get_by_role("button", name="Text 988")).to_have_attribute("href", "sms:988")
    expect(crisis.get_by_role("button", name="Call 911")).to_have_attribute("href", "tel:911")
    expect(phone.get_by_role("heading", name="Warning signs that things are getting harder")).to_be_visible()
    expect(phone.get_by_text("Sleeping badly for three nights")).to_be_visible()
    expect(phone.get_by_text("Robin (a fictional cousin), 555-0123")).to_be_visible()
    expect(phone.get_by_role("heading", name="When to talk about a booster session")).to_be_visible()
    # Plain, large type that fits the phone: nothing scrolls sideways, entries read at 18 px or more.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    size = phone.get_by_text("Sleeping badly for three nights").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 18
    crisis.get_by_role("button", name="Call 988").scroll_into_view_if_needed()
    box = crisis.get_by_role("button", name="Call 988").bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a finger-sized target
