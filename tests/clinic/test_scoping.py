"""The permission matrix: who sees which patient through the API and the staff patient page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World, api_as

# user -> the patients (by letter) they may see
VISIBLE = {
    "patient_a": {"a"},
    "patient_b": {"b"},
    "prescriber1": {"a"},
    "nurse1": {"a"},
    "nurse2": {"b"},
    "therapist1": {"a"},
    "therapist_unassigned": set(),
    "front_desk1": {"a"},
    "admin1": {"a"},
}
STAFF_USERS = {
    "prescriber1",
    "nurse1",
    "nurse2",
    "therapist1",
    "therapist_unassigned",
    "front_desk1",
    "admin1",
}


def _patients(world: World) -> dict[str, int]:
    return {"a": world.patient_a.pk, "b": world.patient_b.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_patient_list_shows_only_visible_patients(world: World, who: str) -> None:
    response = api_as(world.users()[who]).get("/api/v1/patients/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {_patients(world)[letter] for letter in VISIBLE[who]}


@pytest.mark.django_db
@pytest.mark.parametrize("who", sorted(VISIBLE))
@pytest.mark.parametrize("letter", ["a", "b"])
def test_patient_detail_is_404_unless_visible(world: World, who: str, letter: str) -> None:
    response = api_as(world.users()[who]).get(f"/api/v1/patients/{_patients(world)[letter]}/")
    expected = 200 if letter in VISIBLE[who] else 404
    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("who", sorted(VISIBLE))
@pytest.mark.parametrize("letter", ["a", "b"])
def test_staff_patient_page_is_404_unless_staff_and_visible(world: World, who: str, letter: str) -> None:
    client = Client()
    client.force_login(world.users()[who])
    response = client.get(f"/staff/patients/{_patients(world)[letter]}/")
    expected = 200 if who in STAFF_USERS and letter in VISIBLE[who] else 404
    assert response.status_code == expected


@pytest.mark.django_db
def test_front_desk_sees_demographics_but_no_clinical_fields(world: World) -> None:
    body = api_as(world.front_desk1).get(f"/api/v1/patients/{world.patient_a.pk}/").json()
    assert body["family_name"] == "Testperson"
    assert "weight_kg" not in body
    assert "height_cm" not in body
    page = Client()
    page.force_login(world.front_desk1)
    html = page.get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
    assert "Measurements" not in html
    assert "Demographics" in html


@pytest.mark.django_db
def test_clinician_sees_clinical_fields(world: World) -> None:
    body = api_as(world.nurse1).get(f"/api/v1/patients/{world.patient_a.pk}/").json()
    assert body["weight_kg"] == 70.0


@pytest.mark.django_db
def test_anonymous_gets_nothing(world: World, api) -> None:
    assert api.get("/api/v1/patients/").status_code in {401, 403}
    assert Client().get(f"/staff/patients/{world.patient_a.pk}/").status_code == 302


@pytest.mark.django_db
def test_inactive_staff_sees_no_patient(world: World) -> None:
    world.nurse1.is_active = False
    world.nurse1.save()
    response = api_as(world.nurse1).get("/api/v1/patients/")
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_portal_is_only_for_patients(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    assert client.get("/portal/").status_code == 404
    client.force_login(world.patient_a_user)
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "Alpha" in response.content.decode()
    assert client.get("/staff/").status_code == 404


@pytest.mark.django_db
def test_staff_search_lists_only_visible_patients(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    html = client.get("/staff/", {"q": "Testperson"}).content.decode()
    assert "Alpha" in html
    assert "Bravo" not in html


@pytest.mark.django_db
def test_staff_search_answers_htmx_with_the_results_fragment(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    response = client.get("/staff/", {"q": "Alpha"}, headers={"HX-Request": "true", "HX-Target": "patient-results"})
    html = response.content.decode()
    assert 'id="patient-results"' in html
    assert "<html" not in html
    assert "Alpha" in html
