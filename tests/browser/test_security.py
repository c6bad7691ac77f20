"""In Debian's Chromium: a staff member sets up two-step sign-in at first sign-in; the idle warning appears and
"Stay signed in" keeps the session; a paused sign-in says when to try again; no page breaks the CSP."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from clinic.models import Role
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csp_violations(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    return seen


def test_a_nurse_sets_up_two_step_sign_in_at_first_sign_in(page: Page, settings) -> None:
    settings.MFA_REQUIRED_FOR_STAFF = True
    site = SiteFactory(name="Browser MFA Site", code="BRMFA")
    nurse = staff(Role.NURSE, site, username="nurse.mfa")
    PatientFactory(site=site, given_name="Visible", family_name="Testperson")
    violations = _csp_violations(page)

    sign_in(page, nurse.username, TEST_PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.locator("figure.qr-code svg")).to_be_visible()
    secret = page.locator("code.otp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    code = TOTP(key).token()
    page.get_by_label("Code from the app").fill(f"{code:06d}")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("button", name="I have kept my codes: continue").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_text("Testperson, Visible")).to_be_visible()

    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Signed-in devices and API tokens")).to_be_visible()
    expect(page.get_by_text("(this device)")).to_be_visible()
    expect(page.get_by_text("You have 10 recovery codes left.", exact=False)).to_be_visible()
    assert violations == []


def test_the_idle_warning_appears_and_stay_signed_in_keeps_the_session(page: Page, settings) -> None:
    settings.SESSION_IDLE_SECONDS_STAFF = 8
    settings.SESSION_IDLE_WARNING_SECONDS = 6
    nurse = staff(Role.NURSE, SiteFactory(code="BRIDLE"), username="nurse.idle")
    violations = _csp_violations(page)
    sign_in(page, nurse.username, TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/staff/$"))
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=6_000)
    expect(dialog).to_contain_text("You will be signed out in")
    with page.expect_response(lambda response: "/accounts/keep-alive/" in response.url) as answer:
        page.get_by_role("button", name="Stay signed in").click()
    assert answer.value.status == 200
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page).to_have_url(re.compile(r"/staff/$"))  # still signed in
    # Left alone, the page goes to the sign-in page by itself and says why.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?signed_out=idle"), timeout=15_000)
    expect(page.get_by_text("You were signed out after a time without activity")).to_be_visible()
    assert violations == []


def test_a_paused_sign_in_says_when_to_try_again(page: Page, settings) -> None:
    settings.SIGN_IN_HELP = "the clinic office at 555-0100"
    staff(Role.NURSE, SiteFactory(code="BRLOCK"), username="nurse.locked")
    for _ in range(5):
        sign_in(page, "nurse.locked", "not-the-password")
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    expect(page.get_by_text(re.compile(r"you can try again after .* \(in about 15 minutes\)"))).to_be_visible()
    expect(page.get_by_text("555-0100", exact=False)).to_be_visible()
