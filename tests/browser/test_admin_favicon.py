"""The admin shows the clinic's favicon in Debian's Chromium, as the staff pages do."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from clinic.models import Role
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _icon(page: Page) -> tuple[str, str]:
    href = page.locator("link[rel='icon']").get_attribute("href") or ""
    answer = page.request.get(href)
    assert answer.ok, href
    return href, answer.headers["content-type"]


def test_the_admin_and_the_staff_pages_show_the_same_favicon(page: Page) -> None:
    staff(Role.CLINIC_ADMIN, SiteFactory(name="Icon Site", code="ICON"), username="manager.icon")
    page.goto("/admin/login/")
    sign_in_icon = _icon(page)
    sign_in(page, "manager.icon", TEST_PASSWORD)
    page.goto("/admin/")
    admin_icon = _icon(page)
    page.goto("/staff/")
    assert admin_icon == sign_in_icon == _icon(page)
    assert admin_icon[1].startswith("image/svg+xml")
