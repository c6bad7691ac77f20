"""`GET /api/v1/me/` and `GET`/`POST /api/v1/me/messages/` (issue 11, item 9): only the token's own patient; staff
tokens 403; every answer in the schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from clinic.models import AuditEvent, Notification
from messaging.models import Message, MessageRead, Thread
from tests.conftest import World, api_as


@pytest.mark.django_db
def test_me_answers_the_patients_own_record(world: World) -> None:
    response = api_as(world.patient_a_user).get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["profile"]["id"] == world.patient_a.pk
    assert body["profile"]["mrn"] == world.patient_a.mrn
    assert body["next_session"] is None
    assert {q["instrument"] for q in body["due_questionnaires"]} == {"phq9", "gad7", "cssrs_screen"}
    assert {q["reason"] for q in body["due_questionnaires"]} == {"intake"}
    assert body["unread_messages"] == 0
    assert [m["role"] for m in body["care_team"]] == ["Therapist"]
    assert AuditEvent.objects.filter(action="portal.me.view", patient=world.patient_a).exists()
    other = api_as(world.patient_b_user).get("/api/v1/me/").json()
    assert other["profile"]["id"] == world.patient_b.pk
    assert world.patient_a.mrn not in str(other)


@pytest.mark.django_db
def test_a_started_questionnaire_says_so(world: World) -> None:
    client = api_as(world.patient_a_user)
    from django.test import Client

    portal = Client()
    portal.force_login(world.patient_a_user)
    portal.post("/portal/questionnaires/gad7/draft/", {"item_1": "1"}, HTTP_HX_REQUEST="true")
    rows = {q["instrument"]: q for q in client.get("/api/v1/me/").json()["due_questionnaires"]}
    assert rows["gad7"]["started"] is True
    assert rows["phq9"]["started"] is False
    assert rows["gad7"]["portal_url"] == "/portal/questionnaires/gad7/"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nurse1", "prescriber1", "therapist1", "front_desk1", "admin1"])
def test_staff_tokens_are_refused(world: World, who: str) -> None:
    client = api_as(world.users()[who])
    assert client.get("/api/v1/me/").status_code == 403
    assert client.get("/api/v1/me/messages/").status_code == 403
    assert client.post("/api/v1/me/messages/", {"subject": "x", "body": "y"}, format="json").status_code == 403
    assert not Thread.objects.exists()


@pytest.mark.django_db
def test_anonymous_is_refused(world: World) -> None:
    assert APIClient().get("/api/v1/me/").status_code in (401, 403)
    assert APIClient().get("/api/v1/me/messages/").status_code in (401, 403)


@pytest.mark.django_db
def test_a_message_round_trip_through_the_api(world: World) -> None:
    client = api_as(world.patient_a_user)
    sent = client.post("/api/v1/me/messages/", {"subject": "Parking", "body": "Where do I park?"}, format="json")
    assert sent.status_code == 201
    body = sent.json()
    assert body["message"]["author"] == "You"
    assert "988" in body["automatic_reply"]["body"]
    assert body["flagged"] is False
    assert body["crisis_resources"] is None
    thread = body["message"]["thread"]
    reply = client.post("/api/v1/me/messages/", {"thread": thread, "body": "Thank you."}, format="json")
    assert reply.status_code == 201
    listed = client.get("/api/v1/me/messages/").json()
    assert next(m["body"] for m in listed["results"]) == "Thank you."
    automatic = next(m for m in listed["results"] if m["automatic"])
    assert automatic["unread"] is True
    assert client.get("/api/v1/me/messages/").json()["results"][-1]["unread"] is False  # read by the first list
    assert MessageRead.objects.filter(reader=world.patient_a_user).exists()
    assert api_as(world.patient_b_user).get("/api/v1/me/messages/").json()["results"] == []


@pytest.mark.django_db
def test_crisis_words_through_the_api_alert_the_team(world: World) -> None:
    sent = api_as(world.patient_a_user).post(
        "/api/v1/me/messages/", {"subject": "Tonight", "body": "I might kill myself"}, format="json"
    )
    assert sent.status_code == 201
    assert sent.json()["flagged"] is True
    assert "988" in sent.json()["crisis_resources"]
    assert Notification.objects.filter(patient=world.patient_a, kind="safety_alert").exists()


@pytest.mark.django_db
def test_another_patients_thread_is_404(world: World) -> None:
    sent = api_as(world.patient_a_user).post("/api/v1/me/messages/", {"subject": "A", "body": "a"}, format="json")
    thread = sent.json()["message"]["thread"]
    response = api_as(world.patient_b_user).post("/api/v1/me/messages/", {"thread": thread, "body": "b"}, format="json")
    assert response.status_code == 404
    assert Message.objects.filter(thread_id=thread).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "no subject"}, "subject"),
        ({"subject": "x"}, "body"),
        ({"subject": "x", "body": "y" * 2001}, "body"),
        ({"subject": "x" * 121, "body": "y"}, "subject"),
        ({"subject": "x", "body": "   "}, "body"),
        ({"thread": "abc", "body": "y"}, "thread"),
    ],
)
def test_bad_input_names_the_field(world: World, payload: dict[str, object], field: str) -> None:
    response = api_as(world.patient_a_user).post("/api/v1/me/messages/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_the_schema_documents_every_answer(world: World) -> None:
    schema = api_as(world.nurse1).get("/api/v1/schema/?format=json").json()
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(me)
    messages = schema["paths"]["/api/v1/me/messages/"]
    assert {"200", "401", "403"} <= set(messages["get"]["responses"])
    assert {"201", "400", "401", "403", "404"} <= set(messages["post"]["responses"])


@pytest.mark.django_db
def test_a_page_of_the_list_marks_read_only_the_messages_it_shows(world: World) -> None:
    from messaging import services

    client = api_as(world.patient_a_user)
    sent = client.post("/api/v1/me/messages/", {"subject": "Rides", "body": "Who drives me?"}, format="json").json()
    thread = Thread.objects.get(pk=sent["message"]["thread"])
    for n in range(3):
        services.send_message(by=world.nurse1, thread=thread, body=f"Answer {n}.")
    page = client.get("/api/v1/me/messages/", {"limit": 1}).json()["results"]
    assert [m["body"] for m in page] == ["Answer 2."]
    read = set(MessageRead.objects.filter(reader=world.patient_a_user).values_list("message__body", flat=True))
    assert read == {"Answer 2."}  # the two older answers and the automatic reply are still unread
    everything = client.get("/api/v1/me/messages/").json()["results"]
    assert [m["body"] for m in everything if m["unread"]] == ["Answer 1.", "Answer 0.", sent["automatic_reply"]["body"]]
