"""The booking page's patient picker in Debian's Chromium says when more patients match than it shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.models import Role
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_picker_says_when_more_patients_match_than_it_shows(page: Page) -> None:
    site = SiteFactory(name="Picker Site", code="PICK")
    desk = staff(Role.FRONT_DESK, site, username="desk.pick")
    for n in range(1, 24):
        PatientFactory(site=site, given_name=f"Pat{n:02d}", family_name=f"Testperson-{n:02d}")

    sign_in(page, desk.username, TEST_PASSWORD)
    page.get_by_role("link", name="Schedule").click()
    page.get_by_role("button", name="Book a session").click()
    search = page.get_by_label("Find the patient (name or MRN)")
    search.fill("Testperson")
    search.press("Enter")
    expect(page.locator("main li a[href^='?patient=']")).to_have_count(20)
    expect(page.get_by_text(re.compile(r"More than 20 patients match; only the first 20 are shown"))).to_be_visible()

    search = page.get_by_label("Find the patient (name or MRN)")
    search.fill("Testperson-23")
    search.press("Enter")
    expect(page.locator("main li a[href^='?patient=']")).to_have_count(1)
    expect(page.get_by_text("More than")).to_have_count(0)
    page.get_by_role("link", name="Testperson-23, Pat23").click()
    expect(page.get_by_role("heading", name="Book a dosing session for Testperson-23, Pat23")).to_be_visible()
