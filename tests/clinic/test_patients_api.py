from __future__ import annotations

import io

import pytest

from clinic.models import Patient
from tests.conftest import World, api_as
from tests.factories import staff

VALID = {
    "given_name": "Delta",
    "family_name": "Testperson",
    "date_of_birth": "1985-07-09",
    "sex_at_birth": "female",
    "email": "delta@example.invalid",
    "phone": "555-0142",
    "height_cm": 168.5,
    "weight_kg": 64.2,
}


@pytest.mark.django_db
def test_create_defaults_to_the_only_site_and_issues_an_mrn(world: World) -> None:
    response = api_as(world.nurse1).post("/api/v1/patients/", VALID, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["site"] == world.site1.pk
    assert body["mrn"].startswith("NORTH-")
    assert body["date_of_birth"] == "1985-07-09"
    assert body["height_cm"] == 168.5
    assert set(body) >= {"id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth", "email",
                         "phone", "site", "height_cm", "weight_kg"}  # fmt: skip


@pytest.mark.django_db
def test_mrns_are_sequential_and_unique_per_site(world: World) -> None:
    client = api_as(world.nurse1)
    first = client.post("/api/v1/patients/", VALID, format="json").json()["mrn"]
    second = client.post("/api/v1/patients/", {**VALID, "given_name": "Echo"}, format="json").json()["mrn"]
    assert first != second
    assert int(second.split("-")[1]) == int(first.split("-")[1]) + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_of_birth": "09/07/1985"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"sex_at_birth": "other"}, "sex_at_birth"),
        ({"email": "not-an-email"}, "email"),
        ({"given_name": ""}, "given_name"),
        ({"height_cm": 900}, "height_cm"),
        ({"weight_kg": "heavy"}, "weight_kg"),
        ({"site": 999999}, "site"),
    ],
)
def test_validation_errors_name_the_field(world: World, change: dict[str, object], field: str) -> None:
    response = api_as(world.nurse1).post("/api/v1/patients/", {**VALID, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Patient.objects.filter(given_name="Delta").exists()


@pytest.mark.django_db
def test_missing_required_fields_are_all_named(world: World) -> None:
    response = api_as(world.nurse1).post("/api/v1/patients/", {}, format="json")
    assert response.status_code == 400
    assert {"given_name", "family_name", "date_of_birth", "sex_at_birth"} <= set(response.json())


@pytest.mark.django_db
def test_site_is_required_when_the_requester_works_at_two(world: World) -> None:
    roaming = staff("nurse", world.site1, world.site2)
    response = api_as(roaming).post("/api/v1/patients/", VALID, format="json")
    assert response.status_code == 400
    assert "site" in response.json()
    response = api_as(roaming).post("/api/v1/patients/", {**VALID, "site": world.site2.pk}, format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_cannot_register_at_a_site_you_do_not_work_at(world: World) -> None:
    response = api_as(world.nurse1).post("/api/v1/patients/", {**VALID, "site": world.site2.pk}, format="json")
    assert response.status_code == 400
    assert "site" in response.json()


@pytest.mark.django_db
def test_patch_changes_only_the_given_fields(world: World) -> None:
    response = api_as(world.nurse1).patch(
        f"/api/v1/patients/{world.patient_a.pk}/", {"email": "new@example.invalid"}, format="json"
    )
    assert response.status_code == 200
    world.patient_a.refresh_from_db()
    assert world.patient_a.email == "new@example.invalid"
    assert world.patient_a.given_name == "Alpha"


@pytest.mark.django_db
def test_patch_validation_error_keeps_the_record(world: World) -> None:
    response = api_as(world.nurse1).patch(
        f"/api/v1/patients/{world.patient_a.pk}/", {"email": "bad", "phone": "555-0000"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()
    world.patient_a.refresh_from_db()
    assert world.patient_a.phone == ""


@pytest.mark.django_db
def test_mrn_and_site_cannot_be_changed(world: World) -> None:
    client = api_as(world.nurse1)
    response = client.patch(f"/api/v1/patients/{world.patient_a.pk}/", {"mrn": "HACK-1"}, format="json")
    assert response.status_code == 200
    world.patient_a.refresh_from_db()
    assert world.patient_a.mrn != "HACK-1"
    response = client.patch(f"/api/v1/patients/{world.patient_a.pk}/", {"site": world.site2.pk}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["patient_a", "therapist1"])
def test_roles_that_cannot_register_patients_get_403(world: World, who: str) -> None:
    client = api_as(world.users()[who])
    assert client.post("/api/v1/patients/", VALID, format="json").status_code == 403
    assert client.patch(f"/api/v1/patients/{world.patient_a.pk}/", {"phone": "1"}, format="json").status_code == 403


@pytest.mark.django_db
def test_front_desk_registers_without_clinical_fields(world: World) -> None:
    response = api_as(world.front_desk1).post("/api/v1/patients/", VALID, format="json")
    assert response.status_code == 201
    patient = Patient.objects.get(pk=response.json()["id"])
    assert patient.weight_kg is None  # clinical fields are not accepted from front desk


@pytest.mark.django_db
def test_delete_is_not_offered(world: World) -> None:
    assert api_as(world.admin1).delete(f"/api/v1/patients/{world.patient_a.pk}/").status_code == 405


@pytest.mark.django_db
def test_search_by_name_or_mrn(world: World) -> None:
    client = api_as(world.nurse1)
    assert [r["id"] for r in client.get("/api/v1/patients/", {"q": "alph"}).json()["results"]] == [world.patient_a.pk]
    assert client.get("/api/v1/patients/", {"q": "zzz"}).json()["results"] == []


@pytest.mark.django_db
def test_token_auth_works_and_is_audited(world: World, api) -> None:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("create_api_token", world.nurse1.username, stdout=out)
    api.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().split()[2]}")
    assert api.get(f"/api/v1/patients/{world.patient_a.pk}/").status_code == 200
    from clinic.models import AuditEvent

    assert AuditEvent.objects.get(action="clinic.patient.view").actor == world.nurse1


@pytest.mark.django_db
def test_schema_and_docs_are_served(world: World) -> None:
    client = api_as(world.nurse1)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/patients/" in schema.content.decode()
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert "swagger" in docs.content.decode().lower()
