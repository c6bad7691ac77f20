from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from clinic.models import AuditEvent, PortalInvitation, Role, Site, User
from tests.factories import PatientFactory, patient_user

PW = "a-long-test-passphrase-42"


@pytest.mark.django_db
def test_creates_staff_and_the_site() -> None:
    call_command("create_user", username="nina", password=PW, role="nurse", site="Harbor Test Clinic", stdout=None)
    user = User.objects.get(username="nina")
    assert user.role == Role.NURSE
    assert user.check_password(PW)
    assert list(user.sites.values_list("name", flat=True)) == ["Harbor Test Clinic"]
    assert Site.objects.get(name="Harbor Test Clinic").code == "HARBOR"
    assert AuditEvent.objects.filter(action="clinic.user.create", object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_a_patient_gets_an_invitation_not_an_account() -> None:
    patient = PatientFactory(email="pat.testperson@example.invalid")
    call_command("create_user", role="patient", patient_id=patient.pk)
    assert not User.objects.filter(patient=patient).exists()
    invitation = PortalInvitation.objects.get(patient=patient)
    assert invitation.email == "pat.testperson@example.invalid"
    assert AuditEvent.objects.filter(action="clinic.invitation.send", patient=patient).exists()


@pytest.mark.django_db
def test_a_patient_never_gets_a_password_chosen_for_them() -> None:
    patient = PatientFactory(email="pat.testperson@example.invalid")
    with pytest.raises(CommandError, match="choose their own password"):
        call_command("create_user", username="pat", password=PW, role="patient", patient_id=patient.pk)
    assert not PortalInvitation.objects.exists()


@pytest.mark.django_db
def test_clinic_admin_can_enter_the_admin() -> None:
    call_command("create_user", username="boss", password=PW, role="clinic_admin", site="HQ Test")
    assert User.objects.get(username="boss").is_staff is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "wizard", "site": "X"}, "Unknown role 'wizard'"),
        ({"role": "nurse"}, "Staff need --site"),
        ({"role": "patient", "username": "", "password": None}, "needs --patient-id"),
        ({"role": "patient", "username": "", "password": None, "patient_id": 987654}, "No patient with id 987654"),
        ({"role": "nurse", "site": "X", "patient_id": 1}, "only for role patient"),
        ({"role": "nurse", "site": "X", "password": "123"}, "Password refused"),
    ],
)
def test_clear_errors(kwargs: dict[str, object], message: str) -> None:
    options = {"username": "someone", "password": PW, **kwargs}
    with pytest.raises(CommandError, match=message):
        call_command("create_user", **options)
    assert not User.objects.filter(username="someone").exists()


@pytest.mark.django_db
def test_duplicate_user_is_refused() -> None:
    call_command("create_user", username="dup", password=PW, role="nurse", site="X Test")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_user", username="DUP", password=PW, role="nurse", site="X Test")


@pytest.mark.django_db
def test_a_patient_with_an_account_is_not_invited_again() -> None:
    patient = PatientFactory(email="p1@example.invalid")
    patient_user(patient, username="p1")
    with pytest.raises(CommandError, match="already has a portal account"):
        call_command("create_user", role="patient", patient_id=patient.pk)
    assert not PortalInvitation.objects.exists()
