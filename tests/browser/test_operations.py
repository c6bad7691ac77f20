"""A clinic administrator finds a failed reminder on the operations page, reads why, and sends it again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.models import Role
from clinic.reminders import services
from clinic.reminders.models import Reminder, ReminderStatus
from tests.browser.conftest import sign_in
from tests.clinic.reminders import kinds
from tests.factories import TEST_PASSWORD, PatientFactory, SiteFactory, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sends_a_failed_reminder_again(page: Page) -> None:
    kinds.register()
    site = SiteFactory(name="Operations Test Site", code="OPS")
    admin = staff(Role.CLINIC_ADMIN, site, username="admin.ops")
    patient = PatientFactory(site=site, given_name="Failing", family_name="Testperson")
    reminder = services.schedule_reminder(kind="test_visit_48h", subject_id=1, patient=patient,
                                          starts_at=timezone.now() + timedelta(days=3))  # fmt: skip
    assert reminder is not None
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.FAILED, attempts=5, last_error="Gave up after 5 attempts: 451 mailbox busy"
    )
    sign_in(page, admin.username, TEST_PASSWORD)
    page.get_by_role("link", name="Operations").click()
    expect(page).to_have_url(re.compile(r"/staff/operations/$"))
    row = page.locator(f"#reminder-{reminder.pk}")
    expect(row).to_contain_text("Testperson, Failing")
    expect(row).to_contain_text("451 mailbox busy")
    row.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("The reminder will be sent again within a minute.")).to_be_visible()
    expect(page.get_by_role("heading", name="No failed reminders")).to_be_visible()
    reminder.refresh_from_db()
    assert reminder.status == "pending"
