from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from clinic.models import AuditEvent, Chair, Patient, Role, User


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_demo_is_idempotent_and_prints_logins() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (
        Patient.objects.count(),
        User.objects.count(),
        Chair.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert (Patient.objects.count(), User.objects.count(), Chair.objects.count()) == counts[:3]
    assert AuditEvent.objects.count() == counts[3]
    assert Patient.objects.count() >= 30
    assert Chair.objects.count() == 3
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    text = out.getvalue()
    for username in ("prescriber", "nurse", "therapist", "frontdesk", "clinicadmin", "patient1"):
        assert username in text
    assert all("Testperson" in p.family_name for p in Patient.objects.all())
    assert all(p.email.endswith(".invalid") for p in Patient.objects.all())


@pytest.mark.django_db
def test_seed_demo_refuses_production() -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
