"""Reminder preferences where people change them: the front desk on the staff patient page, the patient in the
portal (/portal/profile/reminders/), and the patients API. Refusals come back beside the field with what was typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent, User
from clinic.reminders.models import ReminderStatus
from tests.clinic.reminders.conftest import visit
from tests.conftest import World, api_as

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _staff_url(world: World) -> str:
    return reverse("staff:reminder_preferences", args=[world.patient_a.pk])


@pytest.mark.parametrize(
    ("who", "status"),
    [("front_desk1", 200), ("nurse1", 200), ("prescriber1", 200), ("admin1", 200), ("therapist1", 403),
     ("therapist_unassigned", 404), ("nurse2", 404)],
)  # fmt: skip
def test_who_opens_the_staff_preferences_page(world: World, who: str, status: int) -> None:
    assert _client(world.users()[who]).get(_staff_url(world)).status_code == status


def test_the_front_desk_sets_text_messages_and_quiet_hours(world: World) -> None:
    world.patient_a.phone = "+1 555 0100 222"
    world.patient_a.save()
    reminder = visit(world.patient_a)
    response = _client(world.front_desk1).post(
        _staff_url(world),
        {"preferred_reminder_channel": "sms", "quiet_hours_start": "21:00", "quiet_hours_end": "08:00"},
    )
    assert response.status_code == 302
    world.patient_a.refresh_from_db()
    assert world.patient_a.preferred_reminder_channel == "sms"
    assert (world.patient_a.quiet_hours_start, world.patient_a.quiet_hours_end) == (dt.time(21), dt.time(8))
    assert world.patient_a.non_clinical_opt_out is False
    reminder.refresh_from_db()
    assert reminder.channel == "sms"  # what has not gone out follows the new channel
    assert AuditEvent.objects.filter(action="clinic.patient.reminder_preferences").count() == 1
    page = _client(world.front_desk1).get(reverse("staff:patient_detail", args=[world.patient_a.pk]))
    assert "9:00 PM to 8:00 AM" in page.content.decode()
    assert reverse("staff:reminder_preferences", args=[world.patient_a.pk]) in page.content.decode()


def test_a_refusal_comes_back_beside_the_field_with_what_was_typed(world: World) -> None:
    world.patient_a.phone = ""
    world.patient_a.save()
    response = _client(world.front_desk1).post(
        _staff_url(world), {"preferred_reminder_channel": "sms", "quiet_hours_start": "22:00", "quiet_hours_end": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a mobile phone number for text-message reminders." in html
    assert "Give both the start and the end of the quiet hours, or neither." in html
    assert 'value="22:00"' in html
    world.patient_a.refresh_from_db()
    assert world.patient_a.preferred_reminder_channel == "email"


def test_the_patient_changes_their_own_preferences_in_the_portal(world: World) -> None:
    reminder = visit(world.patient_a)
    client = _client(world.patient_a_user)
    url = reverse("portal:reminder_preferences")
    assert url == "/portal/profile/reminders/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Send me reminders by" in page.content.decode()
    response = client.post(url, {"preferred_reminder_channel": "none", "non_clinical_opt_out": "on"})
    assert response.status_code == 302
    world.patient_a.refresh_from_db()
    assert (world.patient_a.preferred_reminder_channel, world.patient_a.non_clinical_opt_out) == ("none", True)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED  # "no reminders" cancels what is pending
    assert _client(world.nurse1).get(url).status_code == 404  # the portal is for patients


def test_the_patients_api_reads_and_changes_the_preferences(world: World) -> None:
    reminder = visit(world.patient_a)
    world.patient_a.phone = "+1 555 0100 333"
    world.patient_a.save()
    client = api_as(world.front_desk1)
    url = f"/api/v1/patients/{world.patient_a.pk}/"
    changed = client.patch(
        url,
        {"preferred_reminder_channel": "sms", "quiet_hours_start": "21:30", "quiet_hours_end": "07:00",
         "non_clinical_opt_out": True},
        format="json",
    )  # fmt: skip
    assert changed.status_code == 200, changed.json()
    body = client.get(url).json()
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("21:30:00", "07:00:00")
    assert body["non_clinical_opt_out"] is True
    assert body["preferred_reminder_channel"] == "sms"
    reminder.refresh_from_db()
    assert reminder.channel == "sms"
    refused = client.patch(url, {"quiet_hours_end": None}, format="json")
    assert refused.status_code == 400
    assert "Give both the start and the end of the quiet hours" in str(refused.json())
