"""The patient services decide who may write what, whichever interface calls them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from clinic import services
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import Patient
from tests.conftest import World

NEW = {"given_name": "Echo", "family_name": "Testperson", "date_of_birth": dt.date(1990, 1, 1), "sex_at_birth": "male"}


@pytest.mark.django_db
def test_front_desk_may_change_contact_details_but_not_measurements(world: World) -> None:
    services.update_patient(by=world.front_desk1, patient=world.patient_a, data={"phone": "555-0111"})
    with pytest.raises(NotAllowed, match="weight_kg"):
        services.update_patient(by=world.front_desk1, patient=world.patient_a, data={"weight_kg": Decimal("80")})
    with pytest.raises(NotAllowed, match="height_cm"):
        services.register_patient(by=world.front_desk1, site=world.site1, data={**NEW, "height_cm": Decimal("170")})
    world.patient_a.refresh_from_db()
    assert (world.patient_a.phone, world.patient_a.weight_kg) == ("555-0111", Decimal("70.0"))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["therapist1", "patient_a"])
def test_roles_that_do_not_register_patients_cannot_change_them(world: World, who: str) -> None:
    with pytest.raises(NotAllowed):
        services.update_patient(by=world.users()[who], patient=world.patient_a, data={"phone": "1"})


@pytest.mark.django_db
def test_a_patient_at_another_site_is_not_found(world: World) -> None:
    with pytest.raises(Http404):
        services.update_patient(by=world.nurse2, patient=world.patient_a, data={"phone": "1"})
    world.patient_a.refresh_from_db()
    assert world.patient_a.phone == ""


# --- Registration (issue 8, item 13) ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_text_message_reminders_need_a_phone_number(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.register_patient(
            by=world.front_desk1, site=world.site1, data={**NEW, "preferred_reminder_channel": "sms"}
        )
    assert refused.value.errors == {"phone": [services.SMS_NEEDS_PHONE]}
    patient = services.register_patient(
        by=world.front_desk1, site=world.site1, data={**NEW, "preferred_reminder_channel": "sms", "phone": "555-0190"}
    )
    with pytest.raises(InvalidInput, match="mobile phone number"):
        services.update_patient(by=world.front_desk1, patient=patient, data={"phone": ""})


@pytest.mark.django_db
def test_a_record_from_before_the_rule_is_only_checked_when_its_contact_changes(world: World) -> None:
    Patient.objects.filter(pk=world.patient_a.pk).update(preferred_reminder_channel="sms", phone="")
    services.update_patient(by=world.nurse1, patient=world.patient_a, data={"weight_kg": Decimal("71.0")})
    services.update_patient(by=world.nurse1, patient=world.patient_a, data={"email": "new@example.invalid"})
    services.update_patient(by=world.nurse1, patient=world.patient_a, data={"preferred_reminder_channel": "email"})
    with pytest.raises(InvalidInput):
        services.update_patient(by=world.nurse1, patient=world.patient_a, data={"preferred_reminder_channel": "sms"})


@pytest.mark.django_db
def test_a_namesake_born_the_same_day_at_the_site_is_refused_until_confirmed(world: World) -> None:
    first = services.register_patient(by=world.front_desk1, site=world.site1, data=NEW)
    namesake = {**NEW, "given_name": " echo ", "family_name": "TESTPERSON"}
    with pytest.raises(Conflict) as refused:
        services.register_patient(by=world.front_desk1, site=world.site1, data=namesake, refuse_same_person=True)
    assert refused.value.code == "possible_duplicate"
    assert refused.value.details == {"patients": [first.pk]}
    assert (
        refused.value.message == "A patient with this name and date of birth is already registered at North Test Site."
    )
    assert Patient.objects.filter(family_name__iexact="testperson", given_name__iexact="echo").count() == 1
    other_day = {**NEW, "date_of_birth": dt.date(1990, 1, 2)}
    services.register_patient(by=world.front_desk1, site=world.site1, data=other_day, refuse_same_person=True)
    services.register_patient(by=world.front_desk1, site=world.site1, data=namesake)  # confirmed: someone else
    assert services.same_person_at_site(world.site2, "Echo", "Testperson", NEW["date_of_birth"]).count() == 0
