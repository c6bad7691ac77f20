"""The patient services decide who may write what, whichever interface calls them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from clinic import services
from clinic.errors import NotAllowed
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
