"""Reads of patient data in the admin are audited once and truly; malformed ids never raise a server error."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.urls import reverse

from clinic.models import AuditEvent
from intake.models import Screening
from tests.conftest import World
from tests.factories import UserFactory
from tests.intake.factories import screen
from tests.sessions.conftest import signed_in

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_a_non_numeric_id_is_answered_without_a_server_error(world: World, model: type[Model]) -> None:
    root = UserFactory(role="", is_superuser=True, username="root")
    for user in (world.admin1, root):
        client = signed_in(user)
        for view in ("change", "history", "delete"):
            response = client.get(_url(model, view, "abc"))
            assert response.status_code in {302, 403, 404}, (user, view, response.status_code)
        assert client.get(_url(model, "change", "999999999")).status_code in {302, 403, 404}


@pytest.mark.django_db
def test_protocol_add_with_a_malformed_site_says_so(world: World) -> None:
    response = signed_in(world.admin1).get("/admin/clinic/protocolversion/add/", {"site": "abc"})
    assert response.status_code == 200
    assert "Choose one of your sites" in response.content.decode()


def _views_of(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


@pytest.mark.django_db
def test_a_clinic_admin_bounced_from_another_sites_patient_leaves_a_refusal_not_a_view(world: World) -> None:
    client = signed_in(world.admin1)
    assert client.get(_url(world.patient_b.__class__, "change", world.patient_b.pk)).status_code == 302
    assert not AuditEvent.objects.filter(action="clinic.patient.view").exists()
    [refusal] = _views_of("clinic.access.denied")
    assert refusal.actor == world.admin1
    assert refusal.patient_id == world.patient_b.pk
    assert refusal.details["via"] == "admin"


@pytest.mark.django_db
def test_a_refused_clinical_record_of_another_site_is_recorded_as_a_refusal(world: World) -> None:
    screening = screen(world.patient_b, by=world.nurse2)
    response = signed_in(world.admin1).get(_url(Screening, "change", screening.pk))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="intake.screening.view").exists()
    [refusal] = _views_of("clinic.access.denied")
    assert (refusal.patient_id, refusal.object_id) == (world.patient_b.pk, str(screening.pk))


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_a_nul_character_in_the_search_is_no_server_error(world: World, model: type[Model]) -> None:
    response = signed_in(world.admin1).get(_url(model, "changelist"), {"q": "Alpha\x00"})
    assert response.status_code in {200, 403}


@pytest.mark.django_db
def test_a_nul_character_in_the_audit_filters_is_no_server_error(world: World) -> None:
    params = {"patient": "A\x00", "action": "clinic\x00", "occurred_from": "2026\x00", "actor": "1\x00"}
    assert signed_in(world.admin1).get("/admin/clinic/auditevent/", params).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_filter_choices_keep_to_the_administrators_sites(world: World, model: type[Model]) -> None:
    from tests.factories import ChairFactory

    ChairFactory(site=world.site2, name="Southern Recliner")
    page = signed_in(world.admin1).get(_url(model, "changelist"))
    if page.status_code == 403:
        return  # Django's own models a clinic admin does not see
    text = page.content.decode()
    assert "South Test Site" not in text
    assert "Southern Recliner" not in text
    assert world.nurse2.get_full_name() not in text
