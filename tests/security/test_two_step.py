"""Two-step sign-in (django-otp): required for staff when MFA_REQUIRED_FOR_STAFF is on, optional for patients; the
admin signs in the same way; a clinic administrator resets it; wrong codes count towards the lockout."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.config import load
from clinic.models import AuditEvent, User
from tests.conftest import World
from tests.factories import TEST_PASSWORD


def _code(user: User, steps_ahead: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True) if steps_ahead else TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def _enrol(client: Client, user: User, next_url: str = "") -> list[str]:
    response = client.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/set-up/"
    page = client.get("/accounts/login/set-up/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code, drawn on the server
    done = client.post("/accounts/login/set-up/", {"code": _code(user)})
    assert done.status_code == 200, done.content.decode()
    return re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())


@pytest.fixture
def mfa_on(settings) -> None:
    settings.MFA_REQUIRED_FOR_STAFF = True


def test_required_for_staff_by_default_when_debug_is_off_and_not_in_demo_mode(tmp_path: Path) -> None:
    assert load({"SECRET_KEY": "x" * 60}, tmp_path).security.mfa_required_for_staff is True
    assert load({"DEBUG": "1"}, tmp_path).security.mfa_required_for_staff is False
    assert load({"DEBUG": "1", "MFA_REQUIRED_FOR_STAFF": "1"}, tmp_path).security.mfa_required_for_staff is True


@pytest.mark.django_db
def test_staff_set_it_up_at_first_sign_in_and_are_signed_in_only_then(world: World, mfa_on: None) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
    assert client.get("/staff/").status_code == 302  # the password alone does not sign in
    codes = _enrol(client, world.nurse1)
    assert len(codes) == 10
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="clinic.user.mfa_enrol", actor=world.nurse1).exists()
    assert client.get("/accounts/security/").status_code == 200
    assert codes[0] not in client.get("/accounts/security/").content.decode()  # shown once


@pytest.mark.django_db
def test_next_sign_in_asks_for_the_code_and_a_recovery_code_works_once(world: World, mfa_on: None) -> None:
    codes = _enrol(Client(), world.nurse1)
    client = Client()
    response = client.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    wrong = client.post("/accounts/login/code/", {"code": "000000"})
    assert wrong.status_code == 400
    assert "did not work" in wrong.content.decode()
    TOTPDevice.objects.update(throttling_failure_timestamp=None)  # django-otp's own back-off: a second later
    assert client.post("/accounts/login/code/", {"code": _code(world.nurse1, 1)}).status_code == 302
    assert client.get("/staff/").status_code == 200

    again = Client()
    again.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
    assert again.post("/accounts/login/code/", {"code": codes[0]}).status_code == 302
    assert AuditEvent.objects.filter(action="clinic.user.mfa_recovery_code_used").exists()
    third = Client()
    third.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
    assert third.post("/accounts/login/code/", {"code": codes[0]}).status_code == 400  # used up


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_lockout(world: World, mfa_on: None) -> None:
    _enrol(Client(), world.nurse1)
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
    statuses = [client.post("/accounts/login/code/", {"code": "123456"}).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    TOTPDevice.objects.update(throttling_failure_timestamp=None)
    assert client.post("/accounts/login/code/", {"code": _code(world.nurse1, 1)}).status_code == 429
    failed = AuditEvent.objects.filter(action="clinic.user.login_failed", details__step="two-step code")
    assert failed.count() == 5


@pytest.mark.django_db
def test_the_admin_uses_the_same_sign_in_with_its_second_step(world: World, mfa_on: None) -> None:
    client = Client()
    first = client.get("/admin/", follow=True)
    assert first.redirect_chain[-1][0].startswith("/admin/login/")
    assert b'name="password"' in first.content
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin1", "password": TEST_PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/accounts/login/set-up/"
    assert client.get("/admin/").status_code == 302
    client.get("/accounts/login/set-up/")
    client.post("/accounts/login/set-up/", {"code": _code(world.admin1)})
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_session_without_the_second_step_is_ended_when_it_is_required(world: World, settings) -> None:
    client = Client()
    client.force_login(world.nurse1)
    assert client.get("/staff/").status_code == 200
    settings.MFA_REQUIRED_FOR_STAFF = True
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "signed_out=two-step" in response["Location"]
    assert client.get("/staff/").status_code == 302


@pytest.mark.django_db
def test_patients_are_not_required_but_may_turn_it_on_and_off(world: World, mfa_on: None) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "patient_a", "password": TEST_PASSWORD})
    assert client.get("/portal/").status_code == 200
    page = client.get("/accounts/security/two-step/")
    assert page.status_code == 200
    done = client.post("/accounts/security/two-step/", {"code": _code(world.patient_a_user)})
    assert done.status_code == 200
    assert TOTPDevice.objects.filter(user=world.patient_a_user, confirmed=True).exists()
    other = Client()
    assert other.post("/accounts/login/", {"username": "patient_a", "password": TEST_PASSWORD})["Location"] == (
        "/accounts/login/code/"
    )
    client.post("/accounts/security/", {"action": "mfa_off"})
    assert not TOTPDevice.objects.filter(user=world.patient_a_user).exists()


@pytest.mark.django_db
def test_staff_cannot_turn_it_off_while_it_is_required(world: World, mfa_on: None) -> None:
    client = Client()
    _enrol(client, world.nurse1)
    client.post("/accounts/security/", {"action": "mfa_off"})
    assert TOTPDevice.objects.filter(user=world.nurse1, confirmed=True).exists()


@pytest.mark.django_db
def test_a_clinic_admin_resets_a_staff_members_two_step_sign_in(world: World, mfa_on: None) -> None:
    nurse = Client()
    _enrol(nurse, world.nurse1)
    admin = Client()  # the admin's own session needs its second step too
    _enrol(admin, world.admin1)
    listing = admin.get("/admin/security/staffsigninsecurity/")
    assert listing.status_code == 200
    assert "nurse1" in listing.content.decode()
    assert "nurse2" not in listing.content.decode()  # another site's staff
    admin.post(
        "/admin/security/staffsigninsecurity/", {"action": "reset_two_step", "_selected_action": [world.nurse1.pk]}
    )
    assert not TOTPDevice.objects.filter(user=world.nurse1).exists()
    assert nurse.get("/staff/").status_code == 302  # signed out everywhere
    event = AuditEvent.objects.get(action="clinic.user.mfa_reset")
    assert event.actor == world.admin1
    assert event.object_id == str(world.nurse1.pk)
