"""The registration page: refusals beside their field with what was typed, a namesake shown before a second record,
a confirmation on the patient page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from clinic.models import Patient
from tests.conftest import World
from tests.factories import PatientFactory

FORM = {
    "site": "",
    "given_name": "Kai",
    "family_name": "Testperson-09",
    "date_of_birth": "1988-02-03",
    "sex_at_birth": "male",
    "email": "kai@example.invalid",
    "phone": "",
    "preferred_reminder_channel": "email",
}


def _post(world: World, client: Client, **changes: Any) -> Any:
    client.force_login(world.front_desk1)
    return client.post("/staff/patients/new/", {**FORM, "site": world.site1.pk, **changes})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"preferred_reminder_channel": "sms"}, "phone", "Give a mobile phone number for text-message reminders."),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "Date of birth cannot be in the future."),
        ({"email": "not an address"}, "email", "Enter a valid email address."),
        ({"given_name": ""}, "given_name", "Give the given name."),
        ({"sex_at_birth": ""}, "sex_at_birth", "Choose the sex at birth."),
    ],
)
def test_a_refused_registration_keeps_what_was_typed_with_the_reason_beside_the_field(
    world: World, client: Client, changes: dict[str, str], field: str, message: str
) -> None:
    response = _post(world, client, **changes)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'value="Testperson-09"' in html
    assert not Patient.objects.filter(family_name="Testperson-09").exists()


@pytest.mark.django_db
def test_the_patient_page_confirms_the_registration(world: World, client: Client) -> None:
    response = _post(world, client, preferred_reminder_channel="sms", phone="555-0191")
    patient = Patient.objects.get(family_name="Testperson-09")
    assert response["Location"] == f"/staff/patients/{patient.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f"Kai Testperson-09 is registered with medical record number {patient.mrn}." in page


@pytest.mark.django_db
def test_a_namesake_is_shown_and_nothing_is_created_until_the_desk_ticks_someone_else(
    world: World, client: Client
) -> None:
    existing = PatientFactory(
        site=world.site1, given_name="Kai", family_name="Testperson-09", date_of_birth=dt.date(1988, 2, 3)
    )
    shown = _post(world, client)
    assert shown.status_code == 400
    assert shown.context["same_person"] == [existing]
    assert f'href="/staff/patients/{existing.pk}/"' in shown.content.decode()
    assert Patient.objects.filter(family_name="Testperson-09").count() == 1
    confirmed = _post(world, client, register_anyway="on")
    assert confirmed.status_code == 302
    assert Patient.objects.filter(family_name="Testperson-09").count() == 2


@pytest.mark.django_db
def test_a_namesake_at_another_site_is_not_a_duplicate(world: World, client: Client) -> None:
    PatientFactory(site=world.site2, given_name="Kai", family_name="Testperson-09", date_of_birth=dt.date(1988, 2, 3))
    assert _post(world, client).status_code == 302


@pytest.mark.django_db
def test_every_problem_of_a_registration_shows_at_once(world: World, client: Client) -> None:
    response = _post(world, client, sex_at_birth="", preferred_reminder_channel="sms")
    errors = response.context["form"].errors
    assert errors["sex_at_birth"] == ["Choose the sex at birth."]
    assert errors["phone"] == ["Give a mobile phone number for text-message reminders."]
