"""Reads of clinical records in the admin are audited once per read: a change view per record, a list per patient."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.urls import reverse

from clinic.models import AuditEvent, Role
from intake import services as intake_services
from intake.models import Assessment, HealthQuestionnaire, MedicalClearance, Screening
from sessions import services as session_services
from sessions.models import AdverseEvent, SessionStatus, VitalSign
from tests.factories import staff
from tests.sessions.conftest import Clinic, Clock, advance_to, book, ny, signed_in


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _views_of(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


@pytest.mark.parametrize("model", [Screening, Assessment, MedicalClearance], ids=lambda m: m._meta.model_name)
def test_opening_an_intake_record_in_the_admin_is_audited_once(clinic: Clinic, model: type[Model]) -> None:
    record = model.objects.filter(patient=clinic.patient).first()
    client = signed_in(staff(Role.CLINIC_ADMIN, clinic.site, username="admin.reads"))
    assert client.get(_url(model, "change", record.pk)).status_code == 200
    [event] = _views_of(f"intake.{model._meta.model_name}.view")
    assert (event.patient_id, event.object_id) == (clinic.patient.pk, str(record.pk))
    assert event.actor.username == "admin.reads"


def test_the_admin_lists_of_vitals_adverse_events_and_questionnaires_are_audited_per_patient(
    clinic: Clinic, clock: Clock
) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING, clock)
    session_services.record_adverse_event(
        by=clinic.nurse, session=session, kind="nausea_vomiting", severity="mild", action_taken="Ondansetron given."
    )
    intake_services.record_health_questionnaire(by=clinic.nurse, patient=clinic.patient, data={"history": []})
    other = clinic.cleared_patient(given_name="Other")
    intake_services.record_health_questionnaire(by=clinic.nurse, patient=other, data={"history": []})
    client = signed_in(staff(Role.CLINIC_ADMIN, clinic.site, username="admin.lists"))
    for model, patients in (
        (VitalSign, {clinic.patient.pk}),
        (AdverseEvent, {clinic.patient.pk}),
        (HealthQuestionnaire, {clinic.patient.pk, other.pk}),
    ):
        assert client.get(_url(model, "changelist")).status_code == 200
        events = _views_of(f"{model._meta.app_label}.{model._meta.model_name}.list")
        assert sorted(e.patient_id for e in events) == sorted(patients), model


def test_every_admin_of_patient_records_audits_its_list_and_change_views(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DISCHARGED, clock)
    session_services.record_adverse_event(
        by=clinic.nurse, session=session, kind="distress", severity="mild", action_taken="Reassured."
    )
    client = signed_in(staff(Role.CLINIC_ADMIN, clinic.site, username="admin.every"))
    covered = set()
    for model, model_admin in admin.site._registry.items():
        path = getattr(model_admin, "patient_lookup", None)
        if path is None:
            continue
        scoped = model_admin.get_queryset(client.get("/admin/").wsgi_request)
        record = scoped.filter(**{f"{path}__isnull": False}).first()
        if record is None:
            continue
        prefix = f"{model._meta.app_label}.{model._meta.model_name}"
        lists = AuditEvent.objects.filter(action=f"{prefix}.list")
        listed_before = lists.count()
        assert client.get(_url(model, "changelist")).status_code == 200
        assert lists.count() > listed_before, prefix
        assert client.get(_url(model, "change", record.pk)).status_code == 200
        assert AuditEvent.objects.filter(action=f"{prefix}.view", object_id=str(record.pk)).count() == 1, prefix
        covered.add(model._meta.label)
    expected = {"clinic.Patient", "intake.Screening", "treatment_sessions.VitalSign", "treatment_sessions.Discharge"}
    assert expected <= covered


def test_an_admin_may_name_its_reads_after_the_services_actions() -> None:
    from clinic.admin_base import ReadOnlyModelAdmin

    named = type("NamedReads", (ReadOnlyModelAdmin,), {"read_action": "intake.screening.view"})(Screening, admin.site)
    unnamed = ReadOnlyModelAdmin(VitalSign, admin.site)
    assert (named._read("view"), named._read("list")) == ("intake.screening.view", "intake.screening.list")
    assert unnamed._read("list") == "treatment_sessions.vitalsign.list"
    assert unnamed.patient_lookup == "session__patient"
