"""Every create, update and read of patient data leaves an AuditEvent; audit rows cannot be changed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from clinic import audit
from clinic.models import AuditEvent
from tests.conftest import World, api_as

NEW_PATIENT = {
    "given_name": "Charlie",
    "family_name": "Testperson",
    "date_of_birth": "1990-02-03",
    "sex_at_birth": "male",
    "email": "charlie@example.invalid",
}


@pytest.mark.django_db
def test_api_create_is_audited_with_actor_role_and_request_id(world: World) -> None:
    client = api_as(world.nurse1)
    response = client.post("/api/v1/patients/", NEW_PATIENT, format="json", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action="clinic.patient.create")
    assert event.patient_id == response.json()["id"]
    assert event.actor == world.nurse1
    assert event.actor_role == "nurse"
    assert event.request_id == "req-12345678"
    assert response["X-Request-ID"] == "req-12345678"
    assert event.object_type == "clinic.patient"


@pytest.mark.django_db
def test_api_update_is_audited_with_old_and_new_values(world: World) -> None:
    response = api_as(world.nurse1).patch(
        f"/api/v1/patients/{world.patient_a.pk}/", {"phone": "555-0199", "weight_kg": 72.5}, format="json"
    )
    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(action="clinic.patient.update")
    assert event.patient_id == world.patient_a.pk
    assert event.details["changes"]["phone"] == {"from": "", "to": "555-0199"}
    assert event.details["changes"]["weight_kg"]["to"] == "72.5"


@pytest.mark.django_db
def test_update_without_changes_writes_nothing(world: World) -> None:
    api_as(world.nurse1).patch(
        f"/api/v1/patients/{world.patient_a.pk}/", {"given_name": world.patient_a.given_name}, format="json"
    )
    assert not AuditEvent.objects.filter(action="clinic.patient.update").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("via", "url_template", "user_attr", "action"),
    [
        ("api", "/api/v1/patients/{pk}/", "nurse1", "clinic.patient.view"),
        ("staff", "/staff/patients/{pk}/", "nurse1", "clinic.patient.view"),
        ("portal", "/portal/", "patient_a_user", "portal.patient.view"),
        ("admin", "/admin/clinic/patient/{pk}/change/", "admin1", "clinic.patient.view"),
    ],
)
def test_reads_of_a_patient_record_are_audited(
    world: World, via: str, url_template: str, user_attr: str, action: str
) -> None:
    client = Client()
    client.force_login(getattr(world, user_attr))
    response = client.get(url_template.format(pk=world.patient_a.pk))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=action)
    assert event.patient_id == world.patient_a.pk
    assert event.actor == getattr(world, user_attr)
    assert event.request_id == response["X-Request-ID"]


@pytest.mark.django_db
def test_refused_read_is_not_reported_as_a_read(world: World) -> None:
    api_as(world.nurse2).get(f"/api/v1/patients/{world.patient_a.pk}/")
    assert not AuditEvent.objects.filter(action="clinic.patient.view").exists()


@pytest.mark.django_db
def test_orm_refuses_to_edit_or_delete_audit_rows(world: World) -> None:
    event = audit.record("clinic.test.touch", patient=world.patient_a)
    event.action = "clinic.test.changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


@pytest.mark.django_db
@pytest.mark.postgres
def test_postgres_trigger_refuses_update_and_delete(world: World, require_postgres: None) -> None:
    event = audit.record("clinic.test.touch", patient=world.patient_a)
    for statement in (
        "UPDATE clinic_auditevent SET action = 'x.y.z' WHERE id = %s",
        "DELETE FROM clinic_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    # and through the queryset API, which bypasses Model.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="x.y.z")
    assert AuditEvent.objects.get(pk=event.pk).action == "clinic.test.touch"


def test_secrets_are_masked_at_any_depth() -> None:
    masked = audit.mask_secrets({"password": "p", "nested": {"api_token": "t", "ok": 1}, "list": [{"secret": 2}]})
    assert masked == {
        "password": "********",
        "nested": {"api_token": "********", "ok": 1},
        "list": [{"secret": "********"}],
    }


@pytest.mark.django_db
def test_action_names_are_checked() -> None:
    with pytest.raises(ValueError, match=r"app\.object\.verb"):
        audit.record("patientviewed")


@pytest.mark.django_db
def test_admin_shows_audit_log_read_only_and_filterable(world: World) -> None:
    audit.record("clinic.test.one", patient=world.patient_a, actor=world.nurse1)
    audit.record("clinic.test.two", patient=world.patient_b, actor=world.nurse2)
    client = Client()
    client.force_login(world.admin1)

    def shown(params: dict[str, object]) -> set[str]:
        response = client.get("/admin/clinic/auditevent/", params)
        assert response.status_code == 200
        return {event.action for event in response.context["cl"].result_list}

    assert shown({"patient": world.patient_a.pk}) == {"clinic.test.one"}
    assert shown({"action": "clinic.test.two"}) == set()  # patient B is at the other site
    assert shown({"actor__id__exact": world.nurse1.pk}) == {"clinic.test.one"}
    event = AuditEvent.objects.get(action="clinic.test.one")
    change = client.get(f"/admin/clinic/auditevent/{event.pk}/change/")
    assert change.status_code == 200
    assert 'name="action"' not in change.content.decode()  # read-only: no input
    assert client.post(f"/admin/clinic/auditevent/{event.pk}/delete/").status_code == 403
