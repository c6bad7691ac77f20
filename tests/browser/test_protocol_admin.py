"""A clinic manager changes the protocol in the admin in Debian's Chromium without touching JSON: a refused value
comes back beside its setting with everything typed, the differences are confirmed, a new version is published."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from clinic.models import AuditEvent, Role
from clinic.services import active_protocol_version, use_protocol
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinic_manager_publishes_a_new_protocol_version(page: Page) -> None:
    site = SiteFactory(name="Protocol Site", code="PROTO")
    manager = staff(Role.CLINIC_ADMIN, site, username="manager.protocol", first_name="Ada", last_name="Admin")
    used, _ = use_protocol(site)

    sign_in(page, manager.username, TEST_PASSWORD)
    page.goto("/admin/clinic/protocolversion/")
    page.get_by_role("link", name="Add protocol version").click()
    expect(page.get_by_role("heading", name="Intake screening (clinical protocol, section 1)")).to_be_visible()

    validity = page.get_by_label("A screening stays valid for")
    validity.fill("-3")
    page.get_by_label("Observe after dosing for at least").first.fill("45")  # IV infusion
    page.get_by_label("What changed and why").fill("Screenings renewed after 120 days; longer IV observation.")
    page.get_by_role("button", name="Review the changes").click()
    expect(page.get_by_text("Enter 0 or more.")).to_be_visible()
    expect(page.get_by_label("Observe after dosing for at least").first).to_have_value("45")
    expect(page.get_by_label("What changed and why")).to_have_value(
        "Screenings renewed after 120 days; longer IV observation."
    )

    page.get_by_label("A screening stays valid for").fill("120")
    page.get_by_role("button", name="Review the changes").click()
    differences = page.locator("table.protocol-differences")
    expect(differences.get_by_role("row", name="A screening stays valid for")).to_contain_text("180 days")
    expect(differences.get_by_role("row", name="A screening stays valid for")).to_contain_text("120 days")
    expect(differences.get_by_role("row", name="Observe after dosing for at least")).to_contain_text("45 minutes")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2 of the protocol of Protocol Site is now the active protocol.")).to_be_visible()
    new = active_protocol_version(site)
    assert new.number == used.number + 1
    assert new.protocol().screening.validity_days == 120
    assert str(new.protocol().dosing.routes["iv"].observation_min) == "45"
    used.refresh_from_db()
    assert used.protocol().screening.validity_days == 180
    assert AuditEvent.objects.get(action="clinic.protocolversion.create", object_id=str(new.pk)).actor == manager
