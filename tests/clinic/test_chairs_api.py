from __future__ import annotations

import pytest

from clinic.models import AuditEvent, Chair
from tests.conftest import World, api_as
from tests.factories import ChairFactory


@pytest.mark.django_db
def test_staff_list_chairs_of_their_sites(world: World) -> None:
    mine = ChairFactory(site=world.site1, name="Room A")
    ChairFactory(site=world.site2, name="Room B")
    response = api_as(world.nurse1).get("/api/v1/chairs/")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [mine.pk]


@pytest.mark.django_db
def test_patients_cannot_list_chairs(world: World) -> None:
    assert api_as(world.patient_a_user).get("/api/v1/chairs/").status_code == 403


@pytest.mark.django_db
def test_clinic_admin_adds_a_chair_and_it_is_audited(world: World) -> None:
    response = api_as(world.admin1).post("/api/v1/chairs/", {"site": world.site1.pk, "name": "Room C"}, format="json")
    assert response.status_code == 201, response.json()
    chair = Chair.objects.get(pk=response.json()["id"])
    assert chair.name == "Room C"
    assert AuditEvent.objects.filter(action="clinic.chair.create", object_id=str(chair.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nurse1", "prescriber1", "front_desk1", "therapist1"])
def test_only_clinic_admin_adds_chairs(world: World, who: str) -> None:
    response = api_as(world.users()[who]).post("/api/v1/chairs/", {"site": world.site1.pk, "name": "X"}, format="json")
    assert response.status_code == 403
    assert not Chair.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_chair_validation_names_fields(world: World) -> None:
    client = api_as(world.admin1)
    response = client.post("/api/v1/chairs/", {"site": world.site2.pk, "name": ""}, format="json")
    assert response.status_code == 400
    assert {"site", "name"} <= set(response.json())
    ChairFactory(site=world.site1, name="Dup")
    response = client.post("/api/v1/chairs/", {"site": world.site1.pk, "name": "Dup"}, format="json")
    assert response.status_code == 400
