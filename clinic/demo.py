"""Synthetic demo data. Every name is obviously fake; no real person is described.

`seed()` makes the demo clinic (site, chairs, one user per role, patients at every stage), then lets each app add
its own records: an AppConfig that has `seed_demo(ctx)` is called with the `DemoContext`, after the apps it names
in `demo_after` (app labels). So clinic never imports the apps whose records they are (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, cast

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from clinic import audit, services
from clinic.models import CareTeamMember, Chair, Patient, Role, Site, User

DEMO_SITE_NAME = "Demo Clinic (synthetic data)"
DEMO_SITE_CODE = "DEMO"
DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - printed demo login for local use; seed_demo refuses production
STAFF = [
    ("prescriber", Role.PRESCRIBER, "Pat", "Prescriber-Demo", "MD"),
    ("nurse", Role.NURSE, "Nia", "Nurse-Demo", "RN"),
    ("therapist", Role.THERAPIST, "Theo", "Therapist-Demo", "LCSW"),
    ("frontdesk", Role.FRONT_DESK, "Frankie", "Frontdesk-Demo", ""),
    ("clinicadmin", Role.CLINIC_ADMIN, "Ada", "Admin-Demo", ""),
]
GIVEN = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kendall", "Logan",
         "Morgan", "Noel", "Parker", "Quinn", "Reese"]  # fmt: skip
STAGES = ["new", "screening", "cleared", "in_course", "integration", "maintenance"]
PORTAL_PATIENTS = 3
PATIENT_COUNT = 30


@dataclass
class DemoContext:
    site: Site
    staff: dict[str, User]
    patients: list[tuple[Patient, str]] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)


class DemoSeeder(Protocol):
    """What an AppConfig offers to add its demo records (intake.apps.IntakeConfig is one)."""

    label: str
    demo_after: Sequence[str]

    def seed_demo(self, ctx: DemoContext) -> None: ...


def ordered_seeders(configs: Iterable[object]) -> list[DemoSeeder]:
    """The configs that have `seed_demo`, each after the ones its `demo_after` names; otherwise in the order given
    (INSTALLED_APPS). A name that is not a seeding app, or a cycle, is a configuration error."""
    pending = [cast(DemoSeeder, c) for c in configs if callable(getattr(c, "seed_demo", None))]
    labels = {c.label for c in pending}
    for config in pending:
        unknown = set(getattr(config, "demo_after", ())) - labels
        if unknown:
            raise ImproperlyConfigured(f"{config.label}.demo_after names apps without demo data: {sorted(unknown)}")
    ordered: list[DemoSeeder] = []
    while pending:
        done = {c.label for c in ordered}
        ready = next((c for c in pending if set(getattr(c, "demo_after", ())) <= done), None)
        if ready is None:
            raise ImproperlyConfigured(f"demo_after forms a cycle among {sorted(c.label for c in pending)}")
        ordered.append(ready)
        pending.remove(ready)
    return ordered


def _staff(site: Site) -> dict[str, User]:
    users = {}
    for username, role, first, last, credentials in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, first_name=first, last_name=last, credentials=credentials)
            user.set_password(DEMO_PASSWORD)
            user.email = f"{username}@clinic.invalid"
            user.save()
            audit.record("clinic.user.create", obj=user, details={"via": "seed_demo", "role": role})
        user.sites.add(site)
        users[username] = user
    return users


def _patients(site: Site, staff: dict[str, User]) -> list[tuple[Patient, str]]:
    result = []
    for i in range(PATIENT_COUNT):
        family = f"Testperson-{i + 1:02d}"
        patient = Patient.objects.filter(site=site, family_name=family).first()
        stage = STAGES[i % len(STAGES)]
        if patient is None:
            patient = services.register_patient(
                by=None,
                site=site,
                data={
                    "given_name": GIVEN[i % len(GIVEN)],
                    "family_name": family,
                    "date_of_birth": dt.date(1950 + (i * 7) % 50, 1 + i % 12, 1 + (i * 3) % 28),
                    "sex_at_birth": "female" if i % 2 == 0 else "male",
                    "email": f"patient{i + 1:02d}@example.invalid",
                    "phone": f"555-01{i:02d}",
                    "emergency_contact_name": f"Contact Testperson-{i + 1:02d}",
                    "emergency_contact_phone": f"555-02{i:02d}",
                    "emergency_contact_relationship": "friend",
                    "height_cm": Decimal(155 + (i * 3) % 40),
                    "weight_kg": Decimal(55 + (i * 7) % 70),
                },
            )
        for username in ("prescriber", "nurse") + (("therapist",) if i % 2 == 0 else ()):
            if not CareTeamMember.objects.filter(patient=patient, user=staff[username]).exists():
                services.add_care_team_member(
                    by=None, patient=patient, member=staff[username], is_primary=username == "prescriber"
                )
        result.append((patient, stage))
    return result


def _portal_logins(ctx: DemoContext) -> None:
    for n, (patient, _stage) in enumerate(ctx.patients[:PORTAL_PATIENTS], start=1):
        username = f"patient{n}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=Role.PATIENT, patient=patient, first_name=patient.given_name,
                        last_name=patient.family_name)  # fmt: skip
            user.set_password(DEMO_PASSWORD)
            user.save()
            audit.record("clinic.user.create", obj=user, patient=patient, details={"via": "seed_demo"})
        ctx.logins.append((username, DEMO_PASSWORD, f"patient portal ({patient.full_name})"))


def seed(only: Iterable[str] | None = None) -> DemoContext:
    """Create (or complete) the demo clinic, then each app's records (`only` these app labels, if given). Safe to run
    again: nothing is duplicated."""
    with transaction.atomic():
        site = Site.objects.filter(code=DEMO_SITE_CODE).first()
        if site is None:
            site = Site.objects.create(
                name=DEMO_SITE_NAME,
                code=DEMO_SITE_CODE,
                address="1 Example Street, Nowhere",
                phone="555-0100",
            )
            audit.record("clinic.site.create", obj=site, details={"via": "seed_demo"})
        for n in (1, 2, 3):
            Chair.objects.get_or_create(site=site, name=f"Chair {n}")
        services.active_protocol_version(site)
        staff = _staff(site)
        ctx = DemoContext(site=site, staff=staff)
        ctx.logins = [(u, DEMO_PASSWORD, {s[0]: s[1].label for s in STAFF}[u]) for u in staff]
        ctx.patients = _patients(site, staff)
        _portal_logins(ctx)
        seeders = ordered_seeders(apps.get_app_configs())
        if only is not None:
            wanted = set(only)
            if unknown := wanted - {s.label for s in seeders}:
                raise ValueError(f"No app seeds demo data under the label(s) {sorted(unknown)}")
            seeders = [s for s in seeders if s.label in wanted]
        for seeder in seeders:
            seeder.seed_demo(ctx)
    return ctx
