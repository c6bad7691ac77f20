"""The Django admin: clinic administrators only; every model registered; clinical records read-only; audited."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from clinic.models import AuditEvent, Patient, Role
from clinic.services import active_protocol_version
from tests.conftest import World
from tests.factories import UserFactory

PROJECT_APPS = {"clinic", "intake", "treatment_sessions", "integration"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_project_model_is_registered() -> None:
    missing = [
        m._meta.label for m in apps.get_models() if m._meta.app_label in PROJECT_APPS and m not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [("admin1", 200), ("nurse1", 302), ("prescriber1", 302), ("patient_a", 302)]
)
def test_only_clinic_admins_enter_the_admin(world: World, who: str, status: int) -> None:
    assert _client(world.users()[who]).get("/admin/").status_code == status


@pytest.mark.django_db
def test_superuser_enters_the_admin() -> None:
    root = UserFactory(role="", is_superuser=True, username="root")
    assert _client(root).get("/admin/").status_code == 200


@pytest.mark.django_db
def test_patient_changes_in_the_admin_go_through_the_service_and_are_audited(world: World) -> None:
    client = _client(world.admin1)
    page = client.get(f"/admin/clinic/patient/{world.patient_a.pk}/change/")
    assert page.status_code == 200
    data = {
        "given_name": "Alpha",
        "family_name": "Testperson-Renamed",
        "date_of_birth": "1980-05-17",
        "sex_at_birth": "female",
        "is_active": "on",
        "email": world.patient_a.email,
        "phone": "",
        "preferred_reminder_channel": "email",
        "emergency_contact_name": "",
        "emergency_contact_relationship": "",
        "emergency_contact_phone": "",
        "height_cm": "170.0",
        "weight_kg": "70.0",
        "care_team-TOTAL_FORMS": "0",
        "care_team-INITIAL_FORMS": "0",
        "care_team-MIN_NUM_FORMS": "0",
        "care_team-MAX_NUM_FORMS": "1000",
    }
    response = client.post(f"/admin/clinic/patient/{world.patient_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    world.patient_a.refresh_from_db()
    assert world.patient_a.family_name == "Testperson-Renamed"
    event = AuditEvent.objects.get(action="clinic.patient.update")
    assert event.actor == world.admin1
    assert event.details["changes"]["family_name"]["to"] == "Testperson-Renamed"


@pytest.mark.django_db
def test_audit_events_cannot_be_added_or_changed_in_the_admin(world: World) -> None:
    client = _client(world.admin1)
    assert client.get("/admin/clinic/auditevent/add/").status_code == 403


@pytest.mark.django_db
def test_protocol_versions_are_not_editable_in_place(world: World) -> None:
    version = active_protocol_version(world.site1)
    client = _client(world.admin1)
    page = client.get(f"/admin/clinic/protocolversion/{version.pk}/change/")
    assert page.status_code == 200
    assert 'name="settings"' not in page.content.decode()


@pytest.mark.django_db
def test_admin_can_add_a_staff_user(world: World) -> None:
    response = _client(world.admin1).post(
        "/admin/clinic/user/add/",
        {
            "username": "newnurse",
            "password1": "a-long-test-passphrase-42",
            "password2": "a-long-test-passphrase-42",
            "usable_password": "true",
            "role": Role.NURSE,
            "sites": [world.site1.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditEvent.objects.filter(action="clinic.user.create").exists()


@pytest.mark.django_db
def test_patient_admin_search_and_filters(world: World) -> None:
    client = _client(world.admin1)
    response = client.get("/admin/clinic/patient/", {"q": "Alpha"})
    assert [p.pk for p in response.context["cl"].result_list] == [world.patient_a.pk]
    response = client.get("/admin/clinic/patient/", {"site__id__exact": world.site2.pk})
    assert list(response.context["cl"].result_list) == []
    assert Patient.objects.count() == 2


@pytest.mark.django_db
def test_a_clinic_admin_sees_only_their_sites_records_in_the_admin(world: World) -> None:
    from clinic import audit

    audit.record("clinic.test.elsewhere", patient=world.patient_b, actor=world.nurse2)
    client = _client(world.admin1)
    assert client.get(f"/admin/clinic/patient/{world.patient_b.pk}/change/").status_code == 302  # "does not exist"
    assert client.get(f"/admin/clinic/patient/{world.patient_a.pk}/change/").status_code == 200
    assert world.nurse2.username not in client.get("/admin/clinic/user/").content.decode()
    assert world.site2.name not in client.get("/admin/clinic/site/").content.decode()
    actions = {e.action for e in client.get("/admin/clinic/auditevent/").context["cl"].result_list}
    assert "clinic.test.elsewhere" not in actions
    site_choices = client.get("/admin/clinic/patient/add/").context["adminform"].form.fields["site"].queryset
    assert list(site_choices) == [world.site1]
    root = _client(UserFactory(role="", is_superuser=True, username="root"))
    assert root.get(f"/admin/clinic/patient/{world.patient_b.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_password_change_in_the_admin_is_audited_without_the_password(world: World) -> None:
    client = _client(world.admin1)
    url = f"/admin/clinic/user/{world.nurse1.pk}/password/"
    refused = client.post(url, {"password1": "short", "password2": "short", "usable_password": "true"})
    assert refused.status_code == 200
    assert not AuditEvent.objects.filter(action="clinic.user.password_change").exists()
    response = client.post(
        url, {"password1": "another-long-pass-4321", "password2": "another-long-pass-4321", "usable_password": "true"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="clinic.user.password_change")
    assert event.actor == world.admin1
    assert event.object_id == str(world.nurse1.pk)
    assert "another-long-pass-4321" not in str(event.details)


def _change_form_data(client: Client, url: str) -> dict[str, object]:
    """What the account's change form would post unchanged (its fields' current values)."""
    form = client.get(url).context["adminform"].form
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple) or hasattr(value, "all"):
            data[name] = [getattr(v, "pk", v) for v in (value.all() if hasattr(value, "all") else value)]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = getattr(value, "pk", value)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "changes", "field"), [
    ("nurse1", {"role": Role.PATIENT}, "role"),
    ("nurse1", {"patient": "patient_a"}, "patient"),
    ("patient_user", {"role": Role.NURSE}, "role"),
])  # fmt: skip
def test_the_admin_does_not_turn_a_staff_account_into_a_patients_or_back(
    world: World, who: str, changes: dict[str, object], field: str
) -> None:
    account = world.patient_a_user if who == "patient_user" else getattr(world, who)
    client = _client(world.admin1)
    url = f"/admin/clinic/user/{account.pk}/change/"
    data = _change_form_data(client, url)
    data.update({k: (getattr(world, v).pk if v == "patient_a" else v) for k, v in changes.items()})
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with what was typed
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    account.refresh_from_db()
    assert (account.role == Role.PATIENT) == (who == "patient_user")
    assert account.patient_id == (world.patient_a.pk if who == "patient_user" else None)
    unchanged = client.post(url, _change_form_data(client, url))
    assert unchanged.status_code == 302, unchanged.context["adminform"].form.errors
