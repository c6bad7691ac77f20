"""Portal invitations (clinic/invitations.py): staff invite, the patient sets a password from the one-time link and
lands signed in on the portal home; an expired or used link gets a clear page and a way to a new link."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic import invitations
from clinic.celery import app as celery_app
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import AuditEvent, PortalInvitation, Role, User
from tests.conftest import World, api_as
from tests.factories import PatientFactory, staff

PASSWORD = "harbor-lantern-quietly-47"


@pytest.fixture(autouse=True)
def eager_tasks() -> Iterator[None]:
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def link_in(message: Any) -> str:
    match = re.search(r"https?://[^\s]+/portal/welcome/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


def invite(world: World, patient: Any, capture: Any) -> str:
    with capture(execute=True):
        invitations.invite_patient(by=world.front_desk1, patient=patient)
    return link_in(mail.outbox[-1])


@pytest.mark.django_db
def test_an_invitation_emails_a_link_that_sets_a_password_and_signs_in(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    patient = PatientFactory(site=world.site1, given_name="Cleo", email="Cleo.Testperson@example.invalid")
    token = invite(world, patient, django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == ["Cleo.Testperson@example.invalid"]
    assert "Hello Cleo" in message.body
    invitation = PortalInvitation.objects.get(patient=patient)
    assert token not in invitation.token_hash
    assert invitation.sent_at is not None
    assert invitation.expires_at - invitation.created_at == dt.timedelta(hours=72)

    client = Client()
    page = client.get(reverse("portal:invitation", args=[token]))
    assert page.status_code == 200
    assert b"cleo.testperson@example.invalid" in page.content
    answer = client.post(
        reverse("portal:invitation", args=[token]), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert answer.status_code == 302
    assert answer["Location"] == reverse("portal:home")
    user = User.objects.get(patient=patient)
    assert user.username == "cleo.testperson@example.invalid"
    assert user.role == Role.PATIENT
    assert user.check_password(PASSWORD)
    assert client.get(reverse("portal:home")).status_code == 200
    actions = set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))
    assert {"clinic.invitation.send", "clinic.invitation.deliver", "clinic.invitation.accept"} <= actions
    assert {"clinic.invitation.open", "clinic.user.create"} <= actions

    again = Client().get(reverse("portal:invitation", args=[token]))
    assert again.status_code == 410
    assert b"This link was already used" in again.content


@pytest.mark.django_db
def test_a_weak_password_is_refused_beside_the_field(world: World, django_capture_on_commit_callbacks: Any) -> None:
    patient = PatientFactory(site=world.site1, given_name="Dana")
    token = invite(world, patient, django_capture_on_commit_callbacks)
    answer = Client().post(reverse("portal:invitation", args=[token]), {"new_password1": "123", "new_password2": "123"})
    assert answer.status_code == 400
    assert b"id_new_password2_error" in answer.content
    assert not User.objects.filter(patient=patient).exists()
    with pytest.raises(InvalidInput) as refused:
        invitations.accept_invitation(token=token, password="password")
    assert "new_password1" in refused.value.errors


@pytest.mark.django_db
def test_an_expired_link_offers_a_new_one_once(world: World, django_capture_on_commit_callbacks: Any) -> None:
    patient = PatientFactory(site=world.site1, given_name="Eli")
    token = invite(world, patient, django_capture_on_commit_callbacks)
    PortalInvitation.objects.filter(patient=patient).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page = Client().get(reverse("portal:invitation", args=[token]))
    assert page.status_code == 410
    assert b"This link has expired" in page.content
    assert b"Email me a new link" in page.content
    with pytest.raises(Conflict):
        invitations.accept_invitation(token=token, password=PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post(reverse("portal:invitation_new_link", args=[token]))
    assert b"We sent a new link" in answer.content
    new_token = link_in(mail.outbox[-1])
    assert new_token != token
    assert invitations.check_link(new_token).state is invitations.LinkState.VALID
    assert AuditEvent.objects.filter(action="clinic.invitation.resend", patient=patient).exists()

    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        twice = Client().post(reverse("portal:invitation_new_link", args=[token]))
    assert b"A newer link was sent" in twice.content
    assert len(mail.outbox) == sent


@pytest.mark.django_db
def test_who_may_invite_and_when(world: World) -> None:
    with pytest.raises(NotAllowed):
        invitations.invite_patient(by=world.therapist1, patient=world.patient_a)
    with pytest.raises(Conflict) as has_account:
        invitations.invite_patient(by=world.nurse1, patient=world.patient_a)
    assert has_account.value.code == "already_has_account"
    no_email = PatientFactory(site=world.site1, email="")
    with pytest.raises(InvalidInput) as refused:
        invitations.invite_patient(by=world.nurse1, patient=no_email)
    assert list(refused.value.errors) == ["email"]


@pytest.mark.django_db
def test_a_new_invitation_replaces_the_open_one(world: World, django_capture_on_commit_callbacks: Any) -> None:
    patient = PatientFactory(site=world.site1)
    first = invite(world, patient, django_capture_on_commit_callbacks)
    second = invite(world, patient, django_capture_on_commit_callbacks)
    assert invitations.check_link(first).state is invitations.LinkState.REPLACED
    assert invitations.check_link(second).state is invitations.LinkState.VALID
    assert Client().get(reverse("portal:invitation", args=["not-a-link"])).status_code == 404


@pytest.mark.django_db
def test_staff_invite_from_the_patient_page(world: World, django_capture_on_commit_callbacks: Any) -> None:
    patient = PatientFactory(site=world.site1, given_name="Fay")
    client = Client()
    client.force_login(world.front_desk1)
    page = client.get(reverse("staff:patient_detail", args=[patient.pk]))
    assert b"Invite to the portal" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("staff:patient_invite", args=[patient.pk]), follow=True)
    assert f"The invitation is on its way to {patient.email}.".encode() in answer.content
    assert b"Send a new invitation" in answer.content
    assert mail.outbox[-1].to == [patient.email]
    other_site = staff(Role.FRONT_DESK, world.site2, username="fd_south")
    client.force_login(other_site)
    assert client.post(reverse("staff:patient_invite", args=[patient.pk])).status_code == 404


@pytest.mark.django_db
def test_the_api_invites_and_answers_each_refusal(world: World) -> None:
    patient = PatientFactory(site=world.site1)
    url = f"/api/v1/patients/{patient.pk}/invite/"
    answer = api_as(world.nurse1).post(url)
    assert answer.status_code == 201
    assert answer.json()["email"] == patient.email
    assert "token" not in answer.json()
    assert api_as(world.therapist1).post(f"/api/v1/patients/{world.patient_a.pk}/invite/").status_code == 403
    assert api_as(world.nurse2).post(url).status_code == 404
    conflict = api_as(world.nurse1).post(f"/api/v1/patients/{world.patient_a.pk}/invite/")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "already_has_account"
    no_email = PatientFactory(site=world.site1, email="")
    assert api_as(world.nurse1).post(f"/api/v1/patients/{no_email.pk}/invite/").status_code == 400


@pytest.mark.django_db
def test_a_prescriber_seeing_another_sites_patient_through_break_glass_may_not_invite_them(world: World) -> None:
    from clinic.security import breakglass

    breakglass.open_grant(by=world.prescriber1, patient=world.patient_b, reason="Seen in the emergency room tonight.")
    assert not invitations.can_invite(world.prescriber1, world.patient_b)
    assert invitations.can_invite(world.prescriber1, world.patient_a)
    with pytest.raises(NotAllowed):
        invitations.invite_patient(by=world.prescriber1, patient=world.patient_b)
    assert not PortalInvitation.objects.filter(patient=world.patient_b).exists()
