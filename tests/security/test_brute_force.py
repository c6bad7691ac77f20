"""The brute-force battery: 20 wrong passwords on each sign-in path pause that username from that address; the
right password is refused while paused; the same person signs in from another address; every attempt is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import AuditEvent
from tests.conftest import World
from tests.factories import TEST_PASSWORD

ATTACKER = "203.0.113.66"
CLINIC_PC = "198.51.100.10"
WRONG = "not-the-password-0"
ROUNDS = 20


@dataclass(frozen=True)
class Path:
    name: str
    url: str
    who: str
    api: bool = False


PATHS = [
    Path("staff sign-in", "/accounts/login/", "nurse1"),
    Path("portal sign-in", "/portal/login/", "patient_a"),
    Path("admin sign-in", "/admin/login/", "admin1"),
    Path("API token", "/api/v1/auth/token/", "prescriber1", api=True),
]


def _attempt(path: Path, address: str, username: str, password: str):
    if path.api:
        return APIClient(REMOTE_ADDR=address).post(
            path.url, {"username": username, "password": password}, format="json"
        )
    client = Client(REMOTE_ADDR=address)
    response = client.post(path.url, {"username": username, "password": password})
    response.client_signed_in = "_auth_user_id" in client.session
    return response


def _signed_in(path: Path, response) -> bool:
    if path.api:
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302 and response.client_signed_in


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_twenty_wrong_passwords_pause_the_username_from_that_address_only(world: World, path: Path) -> None:
    username = world.users()[path.who].username
    statuses = [_attempt(path, ATTACKER, username, WRONG).status_code for _ in range(ROUNDS)]
    wrong_status = 400 if path.api else 200
    assert statuses[:4] == [wrong_status] * 4
    assert statuses[4:] == [429] * (ROUNDS - 4), statuses

    refused = _attempt(path, ATTACKER, username, TEST_PASSWORD)
    assert refused.status_code == 429
    assert not _signed_in(path, refused)
    assert refused["Retry-After"].isdigit()

    elsewhere = _attempt(path, CLINIC_PC, username, TEST_PASSWORD)
    assert _signed_in(path, elsewhere), elsewhere.status_code

    failed = AuditEvent.objects.filter(action="clinic.user.login_failed", details__username=username)
    assert failed.count() == ROUNDS + 1  # every wrong password, and the right one refused while paused
    assert failed.filter(ip_address=ATTACKER).count() == ROUNDS + 1
    locked = AuditEvent.objects.filter(action="clinic.user.locked_out", details__username=username)
    assert locked.filter(details__refused_while_locked=False).count() == 1  # the pause began once
    assert locked.filter(details__refused_while_locked=True).count() == ROUNDS - 5 + 1
    assert AuditEvent.objects.filter(action="clinic.user.login", actor=world.users()[path.who]).count() == (
        0 if path.api else 1
    )


@pytest.mark.django_db
def test_the_paused_page_says_when_to_try_again_and_whom_to_call(world: World, settings) -> None:
    settings.SIGN_IN_HELP = "the North clinic office at 555-0100"
    for _ in range(5):
        response = _attempt(PATHS[0], ATTACKER, "nurse1", WRONG)
    assert response.status_code == 429
    text = response.content.decode()
    assert "you can try again after" in text
    assert "in about 15 minutes" in text
    assert "the North clinic office at 555-0100" in text
    api = _attempt(PATHS[3], ATTACKER, "nurse1", WRONG)
    assert api.json()["code"] == "locked_out"
    assert "555-0100" in api.json()["detail"]


@pytest.mark.django_db
def test_the_pause_ends_after_the_cool_off(world: World) -> None:
    for _ in range(5):
        _attempt(PATHS[0], ATTACKER, "nurse1", WRONG)
    assert _attempt(PATHS[0], ATTACKER, "nurse1", TEST_PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _signed_in(PATHS[0], _attempt(PATHS[0], ATTACKER, "nurse1", TEST_PASSWORD))
    assert not AccessAttempt.objects.exists()  # reset on success


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_header_does_not_dodge_the_pause(world: World) -> None:
    client = Client(REMOTE_ADDR=ATTACKER)
    statuses = [
        client.post(
            "/accounts/login/", {"username": "nurse1", "password": WRONG}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(6)
    ]
    assert statuses[-1] == 429


@pytest.mark.django_db
def test_a_clinic_admin_lifts_a_pause_in_the_admin(world: World) -> None:
    for _ in range(5):
        _attempt(PATHS[0], ATTACKER, "nurse1", WRONG)
    admin = Client()
    admin.force_login(world.admin1)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "nurse1" in listing.content.decode()
    attempt = AccessAttempt.objects.get()
    response = admin.post(
        "/admin/axes/accessattempt/", {"action": "lift", "_selected_action": [attempt.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(action="clinic.user.unlock", actor=world.admin1).exists()
    assert _signed_in(PATHS[0], _attempt(PATHS[0], ATTACKER, "nurse1", TEST_PASSWORD))
