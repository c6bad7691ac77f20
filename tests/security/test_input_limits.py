"""Input limits (issue 12, item 8): every text field has a length limit, phone numbers and room and chair names are
validated, control characters are refused; the form, the API and the services refuse the same, naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models

from clinic import validators
from clinic.errors import InvalidInput
from clinic.models import Chair, Patient
from intake.models import MedicalClearance
from tests.conftest import World, api_as
from tests.sessions.conftest import signed_in

PROJECT_APPS = {"clinic", "security", "intake", "treatment_sessions", "integration", "messaging"}
MEGABYTE_NOTE = "Fictional clearance note. " * 40_330  # a little over 1 MB


def project_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]


def unlimited(model_list: list[type[models.Model]]) -> list[str]:
    """The text fields of `model_list` without a length limit."""
    return [
        f"{model._meta.label}.{field.name}"
        for model in model_list
        for field in validators.text_fields(model)
        if field.max_length is None
    ]


def test_every_text_field_of_every_model_has_a_length_limit() -> None:
    assert sum(len(validators.text_fields(model)) for model in project_models()) > 100  # the walk finds them
    assert unlimited(project_models()) == []


def test_the_walk_would_catch_a_text_field_without_a_limit() -> None:
    class Stray(models.Model):
        words = models.TextField()
        title = models.CharField(max_length=20)

        class Meta:
            app_label = "clinic"
            managed = False

        def __str__(self) -> str:
            return self.title

    try:
        assert unlimited([Stray]) == ["clinic.Stray.words"]
    finally:
        apps.all_models["clinic"].pop("stray", None)


@pytest.mark.django_db
def test_a_megabyte_clearance_note_is_refused_by_the_api_naming_the_field(world: World) -> None:
    response = api_as(world.prescriber1).post(
        f"/api/v1/patients/{world.patient_a.pk}/medical-clearance/", {"note": MEGABYTE_NOTE}, format="json"
    )
    assert response.status_code == 400
    [message] = response.json()["note"]
    assert "10000" in message
    assert not MedicalClearance.objects.exists()


@pytest.mark.django_db
def test_a_megabyte_clearance_note_is_refused_by_the_form_beside_the_field(world: World) -> None:
    page = signed_in(world.prescriber1).post(
        f"/staff/patients/{world.patient_a.pk}/intake/medical-clearance/", {"note": MEGABYTE_NOTE[:20_000]}
    )
    assert page.status_code == 400
    assert "at most 10000 characters" in page.content.decode()
    assert "Fictional clearance note." in page.content.decode()  # what was typed comes back
    assert not MedicalClearance.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_what_a_form_without_the_limit_would_let_through(world: World) -> None:
    from intake import services

    with pytest.raises(InvalidInput) as refused:
        services.record_medical_clearance(by=world.prescriber1, patient=world.patient_a, note=MEGABYTE_NOTE)
    assert list(refused.value.errors) == ["note"]
    assert "Note is too long: at most 10,000 characters" in refused.value.errors["note"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["Reviewed\x07 with the patient.", "Bell\x1b[31m", "Nul\x00", "C1\x85 in the middle"])
def test_control_characters_are_refused_by_the_api_and_the_form(world: World, text: str) -> None:
    api = api_as(world.prescriber1).post(
        f"/api/v1/patients/{world.patient_a.pk}/medical-clearance/", {"note": text}, format="json"
    )
    assert api.status_code == 400
    assert list(api.json()) == ["note"]
    page = signed_in(world.prescriber1).post(
        f"/staff/patients/{world.patient_a.pk}/intake/medical-clearance/", {"note": text}
    )
    assert page.status_code == 400
    assert not MedicalClearance.objects.exists()


def test_line_breaks_and_tabs_are_text() -> None:
    validators.no_control_characters("First line.\r\nSecond\tline.")


@pytest.mark.parametrize(
    "phone", ["555-0199", "(617) 555-0100", "+1 617 555 0100", "+44 20 7946 0000", "617.555.0100 x12"]
)
def test_possible_phone_numbers_are_accepted(phone: str) -> None:
    validators.validate_phone(phone)


@pytest.mark.parametrize("phone", ["1", "call me", "<b>555</b>", "555-0199; DROP", "+999 1", "12345678901234567890"])
def test_other_phone_numbers_are_refused(phone: str) -> None:
    with pytest.raises(validators.ValidationError):
        validators.validate_phone(phone)


@pytest.mark.django_db
def test_a_patients_phone_is_checked_by_the_api(world: World) -> None:
    client = api_as(world.nurse1)
    refused = client.patch(f"/api/v1/patients/{world.patient_a.pk}/", {"phone": "call me maybe"}, format="json")
    assert refused.status_code == 400
    assert "phone number" in refused.json()["phone"][0]
    accepted = client.patch(f"/api/v1/patients/{world.patient_a.pk}/", {"phone": "617-555-0100"}, format="json")
    assert accepted.status_code == 200


@pytest.mark.django_db
def test_a_patients_phone_is_checked_by_the_services_too(world: World) -> None:
    from clinic import services

    with pytest.raises(InvalidInput) as refused:
        services.update_patient(by=world.nurse1, patient=world.patient_a, data={"emergency_contact_phone": "ring"})
    assert list(refused.value.errors) == ["emergency_contact_phone"]
    assert Patient.objects.get(pk=world.patient_a.pk).emergency_contact_phone == ""


@pytest.mark.parametrize("name", ["Room B", "Chair 3", "Recliner (window)", "Room 2/3", "Suite #4", "Salle d'été"])
def test_room_and_chair_names_are_accepted(name: str) -> None:
    validators.validate_place_name(name)


@pytest.mark.parametrize("name", ["<script>", "Room\nB", " Room", "-", "Room; B", 'Room "B"'])
def test_other_room_and_chair_names_are_refused(name: str) -> None:
    with pytest.raises(validators.ValidationError):
        validators.validate_place_name(name)


@pytest.mark.django_db
def test_a_chair_name_is_checked_by_the_api(world: World) -> None:
    response = api_as(world.admin1).post(
        "/api/v1/chairs/", {"site": world.site1.pk, "name": "<img src=x>"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert not Chair.objects.filter(name__startswith="<").exists()


@pytest.mark.django_db
def test_a_room_is_checked_when_an_integration_session_is_booked(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from django.utils import timezone

    from sessions import services
    from tests.intake.factories import clear_for_dosing
    from tests.sessions.conftest import NOW, Clock

    monkeypatch.setattr(timezone, "now", Clock(NOW))
    clear_for_dosing(world.patient_a, nurse=world.nurse1, prescriber=world.prescriber1)
    booking: dict[str, Any] = {
        "by": world.nurse1,
        "patient": world.patient_a,
        "therapist": world.therapist1,
        "start": NOW + dt.timedelta(days=3),
        "duration_min": 60,
        "dosing_session": None,
        "room": "Room <B>",
    }
    with pytest.raises(InvalidInput) as refused:
        services.book_integration_appointment(**booking)
    assert "room" in refused.value.errors


@pytest.mark.django_db
def test_every_api_body_refuses_control_characters_naming_the_field(world: World) -> None:
    response = api_as(world.nurse1).post(
        f"/api/v1/patients/{world.patient_a.pk}/care-team/", {"username": "therapist\x07unassigned"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["username"]


@pytest.mark.django_db
def test_line_breaks_and_tabs_in_a_note_are_kept(world: World) -> None:
    note = "History reviewed.\r\nExamination:\tnormal."
    response = api_as(world.prescriber1).post(
        f"/api/v1/patients/{world.patient_a.pk}/medical-clearance/", {"note": note}, format="json"
    )
    assert response.status_code == 201
    assert MedicalClearance.objects.get().note == note
