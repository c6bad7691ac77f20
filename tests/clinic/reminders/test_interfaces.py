"""The reminders API, the operations page and the alert link: who gets in, who gets 404, what they see."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import AuditEvent, Notification, NotificationKind, User
from clinic.reminders.models import Reminder, ReminderStatus
from tests.clinic.reminders.conftest import visit
from tests.conftest import World, api_as

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _failed(reminder: Reminder) -> Reminder:
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.FAILED, attempts=5, last_error="550 refused")
    reminder.refresh_from_db()
    return reminder


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin1", 200), ("nurse1", 200), ("prescriber1", 200), ("front_desk1", 200), ("therapist1", 200),
     ("therapist_unassigned", 404), ("nurse2", 404), ("patient_a", 404), ("patient_b", 404)],
)  # fmt: skip
def test_who_lists_a_patients_reminders(world: World, who: str, status: int) -> None:
    visit(world.patient_a)
    response = api_as(world.users()[who]).get(f"/api/v1/patients/{world.patient_a.pk}/reminders/")
    assert response.status_code == status
    assert AuditEvent.objects.filter(action="clinic.reminder.list").count() == (1 if status == 200 else 0)


def test_the_list_has_the_contracted_shape_and_leaves_out_staff_alerts(world: World) -> None:
    reminder = visit(world.patient_a, subject_id=9)
    world.nurse1.email = "nurse1@example.invalid"
    world.nurse1.save()
    from clinic.notifications import notify_care_team

    notify_care_team(world.patient_a, kind=NotificationKind.SAFETY_ALERT, title="x", dedupe_key="t")
    body = api_as(world.front_desk1).get(f"/api/v1/patients/{world.patient_a.pk}/reminders/").json()
    assert body["count"] == 1
    [item] = body["results"]
    assert item == {
        "id": reminder.pk,
        "kind": "test_visit_48h",
        "channel": "email",
        "due_at": item["due_at"],
        "status": "pending",
        "attempts": 0,
        "sent_at": None,
        "subject": {"type": "tests.visit", "id": 9},
    }
    assert item["due_at"].startswith(str(timezone.localtime(reminder.due_at).year))


def test_an_unknown_patient_is_404(world: World) -> None:
    assert api_as(world.admin1).get("/api/v1/patients/999999/reminders/").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin1", 200), ("nurse1", 403), ("front_desk1", 403), ("therapist1", 403), ("nurse2", 404),
     ("patient_a", 404)],
)  # fmt: skip
def test_who_retries_a_failed_reminder(world: World, who: str, status: int) -> None:
    reminder = _failed(visit(world.patient_a))
    response = api_as(world.users()[who]).post(f"/api/v1/reminders/{reminder.pk}/retry/")
    assert response.status_code == status
    reminder.refresh_from_db()
    assert reminder.status == ("pending" if status == 200 else "failed")
    if status == 200:
        assert response.json()["status"] == "pending"
        assert response.json()["attempts"] == 0


def test_retrying_what_did_not_fail_is_409(world: World) -> None:
    reminder = visit(world.patient_a)
    response = api_as(world.admin1).post(f"/api/v1/reminders/{reminder.pk}/retry/")
    assert response.status_code == 409
    assert response.json()["code"] == "not_failed"


def test_the_schema_documents_the_endpoints(world: World) -> None:
    schema = api_as(world.admin1).get("/api/v1/schema/?format=json").json()
    listing = schema["paths"]["/api/v1/patients/{patient_pk}/reminders/"]["get"]
    assert "200" in listing["responses"]
    retry = schema["paths"]["/api/v1/reminders/{id}/retry/"]["post"]
    assert {"200", "403", "404", "409"} <= set(retry["responses"])
    item = schema["components"]["schemas"]["Reminder"]["properties"]
    assert set(item) == {"id", "kind", "channel", "due_at", "status", "attempts", "sent_at", "subject"}


# --- The operations page --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("admin1", 200), ("nurse1", 404), ("front_desk1", 404), ("patient_a", 404)]
)
def test_only_clinic_admins_see_the_operations_page(world: World, who: str, status: int) -> None:
    assert _client(world.users()[who]).get("/staff/operations/").status_code == status


def test_the_operations_page_lists_failed_reminders_of_the_admins_sites(world: World) -> None:
    mine = _failed(visit(world.patient_a))
    other = _failed(visit(world.patient_b))
    visit(world.patient_a, subject_id=2)  # pending: not listed
    page = _client(world.admin1).get("/staff/operations/").content.decode()
    assert f'id="reminder-{mine.pk}"' in page
    assert f'id="reminder-{other.pk}"' not in page
    assert "550 refused" in page
    assert page.count('id="reminder-') == 1
    assert AuditEvent.objects.filter(action="clinic.reminder.failed_list", actor=world.admin1).exists()


def test_send_again_from_the_operations_page(world: World) -> None:
    reminder = _failed(visit(world.patient_a))
    client = _client(world.admin1)
    response = client.post(f"/staff/operations/reminders/{reminder.pk}/retry/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/operations/"
    assert "will be sent again" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.status == "pending"
    again = client.post(f"/staff/operations/reminders/{reminder.pk}/retry/", follow=True).content.decode()
    assert "Only a failed reminder can be sent again" in again


def test_send_again_for_a_reminder_of_another_site_is_404(world: World) -> None:
    reminder = _failed(visit(world.patient_b))
    assert _client(world.admin1).post(f"/staff/operations/reminders/{reminder.pk}/retry/").status_code == 404


# --- The alert link --------------------------------------------------------------------------------------------------


def test_the_alert_link_lands_on_the_alert_in_the_inbox_for_its_recipient_only(world: World) -> None:
    note = Notification.objects.create(recipient=world.nurse1, patient=world.patient_a, kind="safety_alert",
                                       title="x", link=f"/staff/patients/{world.patient_a.pk}/intake/")  # fmt: skip
    response = _client(world.nurse1).get(f"/staff/notifications/{note.pk}/")
    assert (response.status_code, response["Location"]) == (302, f"/staff/alerts/?show=all#alert-{note.pk}")
    inbox = _client(world.nurse1).get("/staff/alerts/?show=all")
    assert f'id="alert-{note.pk}"' in inbox.content.decode()
    assert AuditEvent.objects.filter(action="clinic.notification.open", actor=world.nurse1).exists()
    assert _client(world.prescriber1).get(f"/staff/notifications/{note.pk}/").status_code == 404
    assert _client(world.patient_a_user).get(f"/staff/notifications/{note.pk}/").status_code == 404


def test_the_alert_link_never_leaves_the_site(world: World) -> None:
    note = Notification.objects.create(recipient=world.nurse1, kind="safety_alert", title="x",
                                       link="//evil.example/phish")  # fmt: skip
    assert _client(world.nurse1).get(f"/staff/notifications/{note.pk}/")["Location"].startswith("/staff/alerts/")
