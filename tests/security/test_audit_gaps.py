"""The audit gaps of issue 12 (defect 2) that the battery's fixed records cannot show: the day board with sessions
on it, the booking pages with a patient and with a search, the monitor's own refresh, a person's own password
change, and a refusal of an existing record through each kind of scoped lookup."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic.models import AuditEvent
from tests.conftest import World, api_as
from tests.factories import TEST_PASSWORD
from tests.sessions.conftest import Clinic, advance_to, book, clinic, clock, signed_in

__all__ = ["clinic", "clock"]  # the sessions tests' fixtures: a cleared patient at a New York site, a frozen clock


def entries(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def test_the_day_board_records_one_list_entry_per_patient_on_it(clinic: Clinic) -> None:
    other = clinic.cleared_patient(given_name="Robin")
    book(clinic)
    book(clinic, patient=other, chair=clinic.chair2)
    assert signed_in(clinic.nurse).get("/staff/schedule/").status_code == 200
    listed = entries("sessions.dosingsession.list")
    assert sorted(e.patient_id for e in listed) == sorted([clinic.patient.pk, other.pk])
    assert {e.details["via"] for e in listed} == {"board"}


def test_a_booking_page_for_a_patient_and_its_search_are_recorded(clinic: Clinic) -> None:
    client = signed_in(clinic.nurse)
    assert client.get("/staff/schedule/book/", {"patient": clinic.patient.pk}).status_code == 200
    [opened] = entries("sessions.booking.view")
    assert (opened.patient_id, opened.details["page"]) == (clinic.patient.pk, "session")
    assert client.get("/staff/schedule/book-course/", {"q": "Sam"}).status_code == 200
    [found] = entries("clinic.patient.list")
    assert found.patient_id == clinic.patient.pk


def test_the_monitor_records_each_refresh_and_says_when_the_page_asked_by_itself(clinic: Clinic) -> None:
    session = advance_to(clinic, book(clinic), "dosing")
    client = signed_in(clinic.nurse)
    url = f"/staff/schedule/sessions/{session.pk}/monitor/"
    assert client.get(url).status_code == 200
    assert client.get(url, headers={"X-Background-Refresh": "1"}).status_code == 200
    reads = entries("sessions.dosingsession.monitor")
    assert [(e.patient_id, e.details["background"]) for e in reads] == [
        (clinic.patient.pk, False),
        (clinic.patient.pk, True),
    ]


def test_a_persons_own_password_change_is_recorded_once(world: World) -> None:
    browser = Client()
    browser.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
    response = browser.post(
        "/accounts/password_change/",
        {"old_password": TEST_PASSWORD, "new_password1": "a-new-pass-4471", "new_password2": "a-new-pass-4471"},
    )
    assert response.status_code == 302
    [change] = entries("clinic.user.password_change")
    assert (change.actor, change.object_id, change.details["via"]) == (
        world.nurse1,
        str(world.nurse1.pk),
        "self-service",
    )


def test_a_wrong_old_password_changes_nothing_and_records_no_change(world: World) -> None:
    browser = signed_in(world.nurse1)
    response = browser.post(
        "/accounts/password_change/",
        {"old_password": "not-it", "new_password1": "a-new-pass-4471", "new_password2": "a-new-pass-4471"},
    )
    assert response.status_code == 200
    assert entries("clinic.user.password_change") == []


def test_a_new_password_from_a_reset_link_is_recorded(world: World) -> None:
    user = world.patient_a_user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    browser = Client()
    landing = browser.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    assert landing.status_code == 200
    form_url = landing.redirect_chain[-1][0]
    done = browser.post(form_url, {"new_password1": "a-new-pass-4471", "new_password2": "a-new-pass-4471"})
    assert done.status_code == 302
    [change] = entries("clinic.user.password_change")
    assert (change.actor, change.patient_id, change.details["via"]) == (user, world.patient_a.pk, "reset link")


def test_a_refusal_names_the_patient_whatever_the_lookup(world: World) -> None:
    """A patient's page, an API record and the API's nested routes, each refused once with the patient named."""
    signed_in(world.nurse2).get(f"/staff/patients/{world.patient_a.pk}/")
    api_as(world.nurse2).get(f"/api/v1/patients/{world.patient_a.pk}/")
    api_as(world.patient_a_user).get(f"/api/v1/patients/{world.patient_a.pk}/care-team/")  # a patient on staff's API
    refusals = entries("clinic.access.denied")
    assert [(e.actor, e.patient_id, e.details["status"]) for e in refusals] == [
        (world.nurse2, world.patient_a.pk, 404),
        (world.nurse2, world.patient_a.pk, 404),
        (world.patient_a_user, world.patient_a.pk, 404),
    ]
    assert [e.details["via"] for e in refusals] == ["staff", "api", "api"]


def test_a_missing_record_of_a_visible_patient_is_no_refusal(world: World) -> None:
    response = api_as(world.nurse1).get(f"/api/v1/patients/{world.patient_a.pk}/relapse-plan/")
    assert response.status_code == 404
    assert entries("clinic.access.denied") == []


def test_a_role_refusal_is_recorded(world: World) -> None:
    response = signed_in(world.front_desk1).get(f"/staff/patients/{world.patient_a.pk}/intake/")
    assert response.status_code == 404
    [refusal] = entries("clinic.access.denied")
    assert (refusal.actor, refusal.patient_id) == (world.front_desk1, world.patient_a.pk)
