from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from clinic.models import AuditEvent, Role, Site, User
from tests.factories import PatientFactory

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
def test_creates_a_portal_account_for_a_patient() -> None:
    patient = PatientFactory()
    call_command("create_user", username="pat", password=PW, role="patient", patient_id=patient.pk)
    assert User.objects.get(username="pat").patient == patient


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
        ({"role": "patient"}, "needs --patient-id"),
        ({"role": "patient", "patient_id": 987654}, "No patient with id 987654"),
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
def test_second_portal_account_for_a_patient_is_refused() -> None:
    patient = PatientFactory()
    call_command("create_user", username="p1", password=PW, role="patient", patient_id=patient.pk)
    with pytest.raises(CommandError, match="already has a portal account"):
        call_command("create_user", username="p2", password=PW, role="patient", patient_id=patient.pk)
