"""A request's read entries are appended to the audit chain in one go when the view has answered
(clinic.audit.one_append_per_request); an entry written with a change of state is appended in its transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic import audit
from clinic.models import AuditEvent
from tests.conftest import World


def heads_read(queries: CaptureQueriesContext) -> int:
    """How many times the chain's head was read: one per append."""
    return sum('FROM "clinic_auditevent" ORDER BY' in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_reads_are_held_and_appended_together_in_order(world: World) -> None:
    with audit.one_append_per_request():
        audit.record("clinic.patient.view", patient=world.patient_a)
        audit.record_reads("clinic.patient.list", [world.patient_a, world.patient_b])
        assert not AuditEvent.objects.exists()
    entries = list(AuditEvent.objects.order_by("sequence").values_list("action", "patient_id", "sequence"))
    assert entries == [
        ("clinic.patient.view", world.patient_a.pk, 1),
        ("clinic.patient.list", world.patient_a.pk, 2),
        ("clinic.patient.list", world.patient_b.pk, 3),
    ]
    assert audit.verify_chain() == (3, None)


def failed_change(world: World) -> None:
    with transaction.atomic():
        audit.record("clinic.patient.update", patient=world.patient_b)
        raise RuntimeError("the change failed")


@pytest.mark.django_db
def test_an_entry_written_in_a_transaction_commits_or_rolls_back_with_it(world: World) -> None:
    with audit.one_append_per_request():
        audit.record("clinic.patient.view", patient=world.patient_a)
        with transaction.atomic():
            audit.record("clinic.patient.update", patient=world.patient_a)
            assert AuditEvent.objects.filter(action="clinic.patient.update").exists()  # appended at once
        with pytest.raises(RuntimeError):
            failed_change(world)
    assert sorted(AuditEvent.objects.values_list("action", "patient_id")) == [
        ("clinic.patient.update", world.patient_a.pk),
        ("clinic.patient.view", world.patient_a.pk),  # the read still written, after the change
    ]
    assert audit.verify_chain() == (2, None)


@pytest.mark.django_db
def test_outside_a_request_each_entry_is_appended_at_once(world: World) -> None:
    audit.record("clinic.patient.view", patient=world.patient_a)
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_page_with_several_audited_reads_appends_to_the_chain_once(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/staff/patients/{world.patient_a.pk}/")
    assert response.status_code == 200
    written = AuditEvent.objects.filter(patient=world.patient_a, actor=world.nurse1)
    assert written.count() >= 2  # the page and its panels (outcomes, messages) each audit their read
    assert heads_read(queries) == 1


@pytest.mark.django_db
def test_a_page_whose_audit_cannot_be_written_is_not_served(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(events: list[AuditEvent]) -> list[AuditEvent]:
        raise RuntimeError("the audit table is unavailable")

    client = Client(raise_request_exception=False)
    client.force_login(world.nurse1)
    monkeypatch.setattr(audit, "_append", broken)
    response = client.get(f"/staff/patients/{world.patient_a.pk}/")
    assert response.status_code == 500
    assert world.patient_a.family_name not in response.content.decode()
