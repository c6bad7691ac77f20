from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings

from clinic import demo
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


@dataclass
class FakeSeeder:
    label: str
    demo_after: tuple[str, ...] = ()

    def seed_demo(self, ctx: object) -> None:
        raise AssertionError("ordering never seeds")


def test_apps_seed_after_the_apps_they_name_otherwise_in_installed_order() -> None:
    plain = object()  # an app without demo data is passed over
    notes, intake, sessions = (
        FakeSeeder("notes", ("sessions",)),
        FakeSeeder("intake"),
        FakeSeeder("sessions", ("intake",)),
    )
    ordered = demo.ordered_seeders([notes, plain, sessions, intake])
    assert [s.label for s in ordered] == ["intake", "sessions", "notes"]
    assert [s.label for s in demo.ordered_seeders([FakeSeeder("b"), FakeSeeder("a")])] == ["b", "a"]


def test_a_wrong_demo_dependency_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"names apps without demo data: \['portal'\]"):
        demo.ordered_seeders([FakeSeeder("intake", ("portal",))])
    with pytest.raises(ImproperlyConfigured, match="cycle"):
        demo.ordered_seeders([FakeSeeder("a", ("b",)), FakeSeeder("b", ("a",))])


def test_the_installed_apps_offer_their_demo_data_through_their_app_configs() -> None:
    labels = [s.label for s in demo.ordered_seeders(apps.get_app_configs())]
    assert labels == ["intake", "treatment_sessions", "integration", "messaging"]


@pytest.mark.django_db
def test_seeding_only_an_unknown_app_is_refused() -> None:
    with pytest.raises(ValueError, match="portal"):
        demo.seed(only=["portal"])
