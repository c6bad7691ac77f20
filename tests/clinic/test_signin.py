"""Sign-in landing by role, sign-out, and password reset by email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import World
from tests.factories import TEST_PASSWORD


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "landing"), [("nurse1", "/staff/"), ("front_desk1", "/staff/"), ("patient_a", "/portal/")]
)
def test_sign_in_lands_by_role(world: World, who: str, landing: str) -> None:
    client = Client()
    user = world.users()[who]
    response = client.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200


@pytest.mark.django_db
def test_sign_out_needs_post_and_ends_the_session(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/staff/").status_code == 302  # back to the login page


@pytest.mark.django_db
def test_password_reset_by_email(world: World) -> None:
    world.nurse1.email = "nurse1@clinic.invalid"
    world.nurse1.save()
    client = Client()
    response = client.post("/accounts/password_reset/", {"email": "nurse1@clinic.invalid"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "brand-new-pass-9876", "new_password2": "brand-new-pass-9876"})
    assert done.status_code == 302
    world.nurse1.refresh_from_db()
    assert world.nurse1.check_password("brand-new-pass-9876")


@pytest.mark.django_db
def test_password_reset_does_not_reveal_unknown_addresses() -> None:
    response = Client().post("/accounts/password_reset/", {"email": "nobody@clinic.invalid"})
    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.django_db
def test_sign_in_sign_out_and_failures_are_audited(world: World) -> None:
    from clinic.models import AuditEvent

    client = Client()
    client.post("/accounts/login/", {"username": "nurse1", "password": "wrong-password"})
    failed = AuditEvent.objects.get(action="clinic.user.login_failed")
    assert failed.details == {"username": "nurse1"}
    assert failed.actor is None
    client.post("/accounts/login/", {"username": "nurse1", "password": TEST_PASSWORD})
    login = AuditEvent.objects.get(action="clinic.user.login")
    assert login.actor == world.nurse1
    assert login.request_id
    client.post("/accounts/logout/")
    assert AuditEvent.objects.get(action="clinic.user.logout").actor == world.nurse1


@pytest.mark.django_db
def test_a_patient_sign_in_is_filed_under_the_patient(world: World) -> None:
    from clinic.models import AuditEvent

    Client().post("/accounts/login/", {"username": "patient_a", "password": TEST_PASSWORD})
    assert AuditEvent.objects.get(action="clinic.user.login").patient_id == world.patient_a.pk
