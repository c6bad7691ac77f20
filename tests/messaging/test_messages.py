"""Secure messages between a patient and their care team: threads from the portal, the automatic reply, read
receipts, unread counts on both home pages, crisis words flagged at once, every message audited, and who may see
what (clinical protocol §10)."""

from __future__ import annotations

import pytest
from django.test import Client

from clinic.models import AuditEvent, Notification, NotificationSeverity, User
from messaging.models import Message, MessageRead, Thread
from messaging.services import AUTOMATIC_REPLY
from tests.conftest import World


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(world: World, body: str = "Can I drive home after the session?") -> Thread:
    response = client_for(world.patient_a_user).post("/portal/messages/", {"subject": "Driving home", "body": body})
    assert response.status_code == 302, response.content.decode()
    return Thread.objects.get(patient=world.patient_a)


@pytest.mark.django_db
def test_a_new_thread_gets_the_automatic_reply(world: World) -> None:
    thread = start(world)
    messages = list(thread.messages.all())
    assert [(m.from_patient, m.automatic) for m in messages] == [(True, False), (False, True)]
    assert messages[1].body == AUTOMATIC_REPLY
    assert "988" in AUTOMATIC_REPLY
    assert "911" in AUTOMATIC_REPLY
    assert "not watched around the clock" in AUTOMATIC_REPLY
    page = client_for(world.patient_a_user).get(f"/portal/messages/{thread.pk}/").content.decode()
    assert "Automatic reply" in page
    assert "Can I drive home" in page
    assert "crisis-banner" not in page
    assert AuditEvent.objects.filter(action="messaging.message.create", patient=world.patient_a).count() == 2
    assert not Notification.objects.filter(patient=world.patient_a).exists()


@pytest.mark.django_db
def test_round_trip_with_read_receipts_and_unread_counts(world: World) -> None:
    thread = start(world)
    nurse = client_for(world.nurse1)
    therapist = client_for(world.therapist1)  # on the care team: the staff home lists the patient's messages
    home = therapist.get("/staff/").content.decode()
    assert "Unread messages" in home
    assert "Driving home" in home
    assert "Unread messages" not in nurse.get("/staff/").content.decode()  # not on this patient's care team
    patient_page = nurse.get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
    assert "1 unread" in patient_page
    page = nurse.get(f"/staff/messages/patients/{world.patient_a.pk}/{thread.pk}/").content.decode()
    assert "Can I drive home" in page
    patient_message = thread.messages.get(from_patient=True)
    assert MessageRead.objects.filter(message=patient_message, reader=world.nurse1).exists()
    assert AuditEvent.objects.filter(action="messaging.message.read", object_id=str(patient_message.pk)).exists()
    therapist.get(f"/staff/messages/patients/{world.patient_a.pk}/{thread.pk}/")
    assert "Unread messages" not in therapist.get("/staff/").content.decode()
    # a second clinician sees who read it
    receipt = client_for(world.prescriber1).get(f"/staff/messages/patients/{world.patient_a.pk}/{thread.pk}/")
    assert "Read by " + (world.nurse1.get_full_name() or world.nurse1.username) in receipt.content.decode()
    reply = nurse.post(
        f"/staff/messages/patients/{world.patient_a.pk}/{thread.pk}/", {"body": "Yes: someone must drive you."}
    )
    assert reply.status_code == 302
    portal = client_for(world.patient_a_user)
    assert "You have 2 new messages from your care team." in portal.get("/portal/").content.decode()
    assert "someone must drive you" in portal.get(f"/portal/messages/{thread.pk}/").content.decode()
    assert "new message" not in portal.get("/portal/").content.decode().split("Messages</h2>")[1][:200]
    staff_reply = thread.messages.get(author=world.nurse1)
    assert MessageRead.objects.filter(message=staff_reply, reader=world.patient_a_user).exists()


@pytest.mark.django_db
def test_crisis_words_alert_the_care_team_at_once(world: World) -> None:
    thread = start(world, body="Honestly I want to die some days.")
    message = thread.messages.get(from_patient=True)
    assert message.crisis_words == ["want to die"]
    alerts = Notification.objects.filter(patient=world.patient_a, kind="safety_alert")
    assert alerts.exists()
    assert {a.severity for a in alerts} == {NotificationSeverity.CRITICAL}
    assert {a.link for a in alerts} == {f"/staff/messages/patients/{world.patient_a.pk}/{thread.pk}/"}
    assert world.therapist1 in [a.recipient for a in alerts]
    page = client_for(world.patient_a_user).get(f"/portal/messages/{thread.pk}/").content.decode()
    assert "crisis-banner" in page
    assert 'href="tel:988"' in page
    assert "crisis words" in client_for(world.therapist1).get("/staff/").content.decode()


@pytest.mark.django_db
def test_a_later_message_with_crisis_words_is_flagged_too(world: World) -> None:
    thread = start(world)
    client_for(world.patient_a_user).post(f"/portal/messages/{thread.pk}/", {"body": "I keep thinking of an overdose"})
    assert Notification.objects.filter(patient=world.patient_a, dedupe_key__startswith="messaging.message.").exists()


@pytest.mark.django_db
def test_too_long_a_message_comes_back_with_what_was_typed(world: World) -> None:
    body = "Fictional text. " * 200  # 3200 characters, over the protocol's 2000
    response = client_for(world.patient_a_user).post("/portal/messages/", {"subject": "Long", "body": body})
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most 2000 characters" in html
    assert "Fictional text. Fictional text." in html
    assert 'value="Long"' in html
    assert not Thread.objects.exists()


@pytest.mark.django_db
def test_an_empty_subject_is_refused_beside_the_field(world: World) -> None:
    response = client_for(world.patient_a_user).post("/portal/messages/", {"subject": "", "body": "Hello"})
    assert response.status_code == 400
    assert "Give your message a subject." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["front_desk1", "admin1", "therapist_unassigned", "nurse2", "patient_b"])
def test_who_may_not_read_a_patients_messages(world: World, who: str) -> None:
    thread = start(world)
    client = client_for(world.users()[who])
    assert client.get(f"/staff/messages/patients/{world.patient_a.pk}/{thread.pk}/").status_code == 404
    assert client.get(f"/staff/messages/patients/{world.patient_a.pk}/").status_code == 404
    if who == "patient_b":
        assert client.get(f"/portal/messages/{thread.pk}/").status_code == 404
        assert client.post(f"/portal/messages/{thread.pk}/", {"body": "hi"}).status_code == 404
    assert not MessageRead.objects.filter(reader=world.users()[who]).exists()


@pytest.mark.django_db
def test_a_thread_of_another_patient_is_404_on_the_staff_page_of_this_one(world: World) -> None:
    thread = start(world)
    other = client_for(world.nurse2).get(f"/staff/messages/patients/{world.patient_b.pk}/{thread.pk}/")
    assert other.status_code == 404


@pytest.mark.django_db
def test_staff_cannot_start_a_thread_in_the_portal(world: World) -> None:
    assert client_for(world.nurse1).post("/portal/messages/", {"subject": "x", "body": "y"}).status_code == 404
    assert Message.objects.count() == 0
