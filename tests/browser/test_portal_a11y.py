"""Accessibility of the patients' portal (issue 11, item 8), in Chromium at a phone's width (360 px): axe-core
(axe-playwright-python) on every portal page finds no serious or critical violation, no page scrolls sideways, and
the portal works with the keyboard alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from clinic.reports.models import ReportJob
from intake import services as intake_services
from messaging import services as messaging_services
from sessions import services as session_services
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, on_care_team, patient_user
from tests.portal.test_isolation import TEXT_KWARGS, portal_routes, url_for
from tests.sessions.conftest import book, make_clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
BLOCKING = {"serious", "critical"}
NOT_PAGES = ("calendar", "download", "draft", "new_link")  # files and endpoints that only take a POST, not pages


@pytest.fixture
def phone(chromium: Browser, django_db_setup: None, live_server: Any) -> Any:
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _records() -> tuple[Any, dict[str, int]]:
    clinic = make_clinic("AXE")
    patient = clinic.patient
    on_care_team(patient, clinic.nurse)
    user = patient_user(patient, username="axe.patient")
    tz = dt.timezone(dt.timedelta(hours=-5))
    day = (timezone.now() + dt.timedelta(days=3)).astimezone(tz).date()
    session = book(clinic, dt.datetime.combine(day, dt.time(9), tzinfo=tz))
    appointment = session_services.book_integration_appointment(
        by=clinic.front_desk,
        patient=patient,
        therapist=clinic.therapist,
        start=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(14), tzinfo=tz),
        duration_min=60,
        room="Room 2",
    ).appointment
    assessment = intake_services.record_assessment(by=user, patient=patient, instrument="phq9", answers=[1] * 8 + [1])
    thread = messaging_services.start_thread(by=user, patient=patient, subject="Parking", body="Where do I park?")
    messaging_services.send_message(by=clinic.nurse, thread=thread.message.thread, body="Behind the building.")
    report = ReportJob.objects.create(patient=patient, kind="course_summary", request_key="axe")
    records = {
        "assessment": assessment.pk,
        "session": session.pk,
        "appointment": appointment.pk,
        "thread": thread.message.thread_id,
        "report": report.pk,
    }
    return user, records


def portal_pages(records: dict[str, int]) -> list[str]:
    pages = []
    for name, route, keys in portal_routes():
        if any(word in name for word in NOT_PAGES):
            continue
        if set(keys) <= set(TEXT_KWARGS) and "instrument" in keys:
            pages += [route.replace("<str:instrument>", code) for code in ("phq9", "gad7", "cssrs_screen")]
            continue
        pages.append(url_for(route, name, keys, records))
    return [*pages, "/accounts/security/"]


def blocking(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def test_every_portal_page_passes_axe_at_360_px(phone: Page) -> None:
    user, records = _records()
    sign_in(phone, user.username, TEST_PASSWORD)
    found: dict[str, list[str]] = {}
    wide: dict[str, int] = {}
    pages = portal_pages(records)
    assert len(pages) >= 12
    for url in pages:
        response = phone.goto(url)
        assert response is not None
        assert response.status < 500, url
        if not (response.headers.get("content-type") or "").startswith("text/html"):
            continue
        problems = blocking(phone)
        if problems:
            found[url] = problems
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[url] = width
    assert found == {}
    assert wide == {}, "pages wider than a phone (they scroll sideways)"


def test_the_crisis_banner_passes_axe(phone: Page) -> None:
    user, _ = _records()
    sign_in(phone, user.username, TEST_PASSWORD)
    phone.goto("/portal/questionnaires/phq9/")
    phone.locator("fieldset.field").nth(8).get_by_text("Several days").click()
    expect(phone.get_by_role("alert").filter(has_text="988")).to_be_visible()
    assert blocking(phone) == []


def test_keyboard_only_from_home_to_a_sent_message(phone: Page) -> None:
    user, _ = _records()
    sign_in(phone, user.username, TEST_PASSWORD)
    phone.goto("/portal/")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to main content")).to_be_focused()
    for _ in range(40):  # Tab until the messages button has the focus
        phone.keyboard.press("Tab")
        focused = phone.evaluate("document.activeElement.textContent.trim()")
        if focused in ("Read my messages", "Messages"):
            break
    else:
        pytest.fail("the keyboard never reached the messages")
    outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    shadow = phone.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert outline != "none" or shadow != "none", "the focused element shows no focus ring"
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Messages with your care team")).to_be_visible()
    subject = phone.get_by_label("Subject")
    for _ in range(40):
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.name") == "subject":
            break
    expect(subject).to_be_focused()
    phone.keyboard.type("Keyboard only")
    phone.keyboard.press("Tab")
    phone.keyboard.type("Sent without a mouse.")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Keyboard only")).to_be_visible()
    expect(phone.get_by_text("Sent without a mouse.")).to_be_visible()
