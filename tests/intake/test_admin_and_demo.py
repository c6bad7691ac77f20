"""Intake in the admin (read-only, searchable) and in the demo data (stage-appropriate, idempotent)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from clinic import demo
from clinic.models import AuditEvent, User
from intake.admin import OverrideInline
from intake.models import (
    Assessment,
    Consent,
    HealthQuestionnaire,
    MedicalClearance,
    Override,
    SafetyTask,
    Screening,
)
from intake.services import is_cleared_for_dosing
from tests.conftest import World
from tests.intake.factories import clear_for_dosing, override, screen

MODELS = [Assessment, Screening, Override, Consent, MedicalClearance, SafetyTask, HealthQuestionnaire]


def test_every_intake_model_is_registered_read_only() -> None:
    for model in MODELS:
        model_admin = admin.site._registry[model]
        assert model_admin.editable is False, model
        assert model_admin.search_fields, model
        assert model_admin.date_hierarchy, model
    assert OverrideInline in admin.site._registry[Screening].inlines


@pytest.mark.django_db
def test_admin_lists_search_and_filter_screenings(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    override(screening, world.prescriber1)
    screen(world.patient_b, by=world.nurse2, history=["psychosis_current"])
    client = Client()
    client.force_login(world.admin1)
    for model in MODELS:
        url = f"/admin/intake/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
    found = client.get("/admin/intake/screening/", {"q": world.patient_a.mrn}).context["cl"].result_list
    assert [s.pk for s in found] == [screening.pk]
    ineligible = client.get("/admin/intake/screening/", {"decision__exact": "ineligible"}).context["cl"].result_list
    assert list(ineligible) == []  # patient B's screening is at the other site: not this administrator's
    root = Client()
    root.force_login(User.objects.create_superuser("root", "root@clinic.invalid", "root-pass-123456"))
    ineligible = root.get("/admin/intake/screening/", {"decision__exact": "ineligible"}).context["cl"].result_list
    assert [s.patient_id for s in ineligible] == [world.patient_b.pk]
    page = client.get(f"/admin/intake/screening/{screening.pk}/change/")
    assert page.status_code == 200
    assert "Rechecked with the patient" in page.content.decode()
    assert client.get("/admin/intake/screening/add/").status_code == 403
    assert Client().get("/admin/intake/screening/").status_code == 302


@pytest.mark.django_db
def test_demo_seed_gives_each_stage_its_records_and_runs_twice() -> None:
    ctx = demo.seed(only=["intake"])
    now = timezone.now()
    by_stage: dict[str, list] = {}
    for patient, stage in ctx.patients:
        by_stage.setdefault(stage, []).append(patient)
    assert all(not Assessment.objects.filter(patient=p).exists() for p in by_stage["new"])
    for patient in by_stage["screening"]:
        assert Screening.objects.get(patient=patient).decision in {"override_required", "ineligible"}
        assert not is_cleared_for_dosing(patient, now).cleared
    for stage in ("cleared", "in_course", "integration", "maintenance"):
        for patient in by_stage[stage]:
            assert is_cleared_for_dosing(patient, now).cleared, (stage, is_cleared_for_dosing(patient, now))
    assert Override.objects.exists()
    counts = [m.objects.count() for m in MODELS] + [AuditEvent.objects.count()]
    demo.seed(only=["intake"])
    assert [m.objects.count() for m in MODELS] + [AuditEvent.objects.count()] == counts
    assert all(p.email.endswith(".invalid") for p, _ in ctx.patients)


def test_intake_offers_its_demo_records_first() -> None:
    assert [seeder.label for seeder in demo.ordered_seeders(apps.get_app_configs())][:1] == ["intake"]


@pytest.mark.django_db
def test_the_test_helper_clears_a_patient(world: World) -> None:
    clear_for_dosing(world.patient_a)
    assert is_cleared_for_dosing(world.patient_a, timezone.now()).cleared
