"""Session lifetimes (idle and absolute), the devices page, and API tokens that expire and are revoked at sign-out,
password change and deactivation."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from clinic.models import AuditEvent, User
from clinic.security import sessions, tokens
from tests.conftest import World
from tests.factories import TEST_PASSWORD


def _signed_in(user: User, **client_kwargs: str) -> Client:
    client = Client(**client_kwargs)
    client.force_login(user)
    client.get("/home/")  # registers the session
    return client


def _age(client: Client, *, idle_seconds: int = 0, signed_in_seconds: int = 0) -> None:
    session = client.session
    now = int(time.time())
    if idle_seconds:
        session[sessions.LAST_ACTIVITY] = now - idle_seconds
    if signed_in_seconds:
        session[sessions.SIGNED_IN_AT] = now - signed_in_seconds
    session.save()


def _api_token(user: User) -> str:
    return tokens.create(user, via="test").token


@pytest.mark.django_db
def test_staff_are_signed_out_after_15_idle_minutes_and_patients_after_30(world: World) -> None:
    nurse = _signed_in(world.nurse1)
    _age(nurse, idle_seconds=14 * 60)
    assert nurse.get("/staff/").status_code == 200
    _age(nurse, idle_seconds=16 * 60)
    response = nurse.get("/staff/")
    assert response.status_code == 302
    assert "signed_out=idle" in response["Location"]
    assert "next=%2Fstaff%2F" in response["Location"]
    assert nurse.get("/staff/").status_code == 302
    event = AuditEvent.objects.filter(action="clinic.user.logout", actor=world.nurse1).get()
    assert event.details == {"reason": "idle"}

    patient = _signed_in(world.patient_a_user)
    _age(patient, idle_seconds=20 * 60)
    assert patient.get("/portal/").status_code == 200
    _age(patient, idle_seconds=31 * 60)
    assert patient.get("/portal/").status_code == 302


@pytest.mark.django_db
def test_a_background_poll_is_not_activity(world: World) -> None:
    nurse = _signed_in(world.nurse1)
    _age(nurse, idle_seconds=10 * 60)
    assert nurse.get("/staff/", headers={"X-Background-Refresh": "1", "HX-Request": "true"}).status_code == 200
    _age(nurse, idle_seconds=0)  # unchanged by the poll? read it back
    nurse.session  # noqa: B018
    _age(nurse, idle_seconds=10 * 60)
    nurse.get("/staff/", headers={"X-Background-Refresh": "1"})
    assert int(time.time()) - nurse.session[sessions.LAST_ACTIVITY] >= 10 * 60 - 5
    nurse.get("/staff/")
    assert int(time.time()) - nurse.session[sessions.LAST_ACTIVITY] < 5


@pytest.mark.django_db
def test_an_htmx_request_after_the_time_out_is_sent_to_the_sign_in_page(world: World) -> None:
    nurse = _signed_in(world.nurse1)
    _age(nurse, idle_seconds=16 * 60)
    response = nurse.get("/staff/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/?signed_out=idle")


@pytest.mark.django_db
def test_twelve_hours_is_the_longest_session_whatever_the_activity(world: World) -> None:
    nurse = _signed_in(world.nurse1)
    _age(nurse, signed_in_seconds=11 * 3600)
    assert nurse.get("/staff/").status_code == 200
    _age(nurse, signed_in_seconds=12 * 3600 + 60)
    assert "signed_out=absolute" in nurse.get("/staff/")["Location"]


@pytest.mark.django_db
def test_keep_alive_counts_as_activity(world: World) -> None:
    nurse = _signed_in(world.nurse1)
    _age(nurse, idle_seconds=14 * 60)
    response = nurse.post("/accounts/keep-alive/")
    assert response.status_code == 200
    assert response.json() == {"signed_in": True, "idle_seconds": 900, "warn_seconds": 120}
    assert int(time.time()) - nurse.session[sessions.LAST_ACTIVITY] < 5
    assert Client().post("/accounts/keep-alive/").status_code == 401
    _age(nurse, idle_seconds=16 * 60)
    assert nurse.post("/accounts/keep-alive/").status_code == 401


@pytest.mark.django_db
def test_pages_carry_the_warning_dialog_and_its_script(world: World) -> None:
    page = _signed_in(world.nurse1).get("/staff/").content.decode()
    assert 'data-idle-seconds="900"' in page
    assert 'id="session-timeout"' in page
    assert "js/session-timeout.js" in page
    assert "Stay signed in" in page
    assert "data-idle-seconds" not in Client().get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_the_devices_page_lists_sessions_and_signs_out_the_others(world: World) -> None:
    laptop = _signed_in(world.nurse1, HTTP_USER_AGENT="Laptop browser")
    phone = _signed_in(world.nurse1, HTTP_USER_AGENT="Phone browser")
    page = laptop.get("/accounts/security/").content.decode()
    assert "Laptop browser" in page
    assert "Phone browser" in page
    assert "(this device)" in page
    laptop.post("/accounts/security/", {"action": "end_others"})
    assert phone.get("/staff/").status_code == 302
    assert laptop.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="clinic.user.sessions_end", actor=world.nurse1).exists()


@pytest.mark.django_db
def test_one_other_device_can_be_signed_out(world: World) -> None:
    laptop = _signed_in(world.nurse1)
    phone = _signed_in(world.nurse1)
    other = phone.session.session_key
    assert laptop.post("/accounts/security/", {"action": "end_session", "session": other}).status_code == 302
    assert phone.get("/staff/").status_code == 302
    stranger = _signed_in(world.nurse2)
    mine = laptop.session.session_key
    stranger.post("/accounts/security/", {"action": "end_session", "session": mine})
    assert laptop.get("/staff/").status_code == 200  # another person's session is not theirs to end


@pytest.mark.django_db
def test_the_token_endpoint_gives_an_expiring_token_that_works(world: World) -> None:
    response = APIClient().post("/api/v1/auth/token/", {"username": "nurse1", "password": TEST_PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(hours=11) < expires - timezone.now() <= timedelta(hours=12)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get(f"/api/v1/patients/{world.patient_a.pk}/").status_code == 200
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/api/v1/patients/{world.patient_a.pk}/").status_code == 401


@pytest.mark.django_db
def test_a_wrong_password_gets_no_token(world: World) -> None:
    response = APIClient().post("/api/v1/auth/token/", {"username": "nurse1", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    missing = APIClient().post("/api/v1/auth/token/", {"username": "nurse1"}, format="json")
    assert missing.status_code == 400
    assert "password" in missing.json()


@pytest.mark.django_db
def test_api_sign_out_revokes_that_token(world: World) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {_api_token(world.nurse1)}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/patients/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("event", ["web sign-out", "password change", "deactivation"])
def test_tokens_are_revoked_when_the_person_signs_out_changes_password_or_is_deactivated(
    world: World, event: str
) -> None:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {_api_token(world.nurse1)}")
    assert api.get("/api/v1/patients/").status_code == 200
    other_browser = _signed_in(world.nurse1)
    if event == "web sign-out":
        _signed_in(world.nurse1).post("/accounts/logout/")
    elif event == "password change":
        browser = Client()
        browser.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
        response = browser.post(
            "/accounts/password_change/",
            {"old_password": TEST_PASSWORD, "new_password1": "a-new-pass-4471", "new_password2": "a-new-pass-4471"},
        )
        assert response.status_code == 302
        assert browser.get("/staff/").status_code == 200  # this browser stays signed in
    else:
        world.nurse1.is_active = False
        world.nurse1.save()
    assert api.get("/api/v1/patients/").status_code == 401
    assert not AuthToken.objects.filter(user=world.nurse1).exists()
    if event != "web sign-out":
        assert other_browser.get("/staff/").status_code == 302
    revoked = AuditEvent.objects.get(action="clinic.apitoken.revoke")
    assert revoked.details["reason"] == {"web sign-out": "sign-out"}.get(event, event)


@pytest.mark.django_db
def test_tokens_are_listed_and_revocable_on_the_devices_page(world: World) -> None:
    token = _api_token(world.nurse1)
    _api_token(world.nurse2)
    browser = _signed_in(world.nurse1)
    page = browser.get("/accounts/security/").content.decode()
    assert token[:8] in page
    assert page.count("Revoke") == 1
    browser.post("/accounts/security/", {"action": "revoke_token", "token": token[:15]})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/patients/").status_code == 401
    assert AuthToken.objects.filter(user=world.nurse2).count() == 1


@pytest.mark.django_db
def test_the_create_api_token_command_prints_a_working_token(world: World) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("create_api_token", "nurse1", "--hours", "2", stdout=out)
    token = out.getvalue().split()[2]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/patients/").status_code == 200
    assert AuthToken.objects.get().expiry - timezone.now() <= timedelta(hours=2)
