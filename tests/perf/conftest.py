"""The world the query budgets count (tests/perf/test_query_budgets.py): the permission world built once per module,
with patient A's records in every state a page shows (tests/records.py, shared with the access matrix)."""

from __future__ import annotations

from clinic.models import Role, User
from tests.conftest import World
from tests.factories import PatientFactory, SiteFactory, on_care_team, patient_user, staff
from tests.records import Cast, records
from tests.sessions.conftest import Clock


def make_world() -> World:
    """The permission world of tests/conftest.py (`world`), as a function: the budgets build it once per module."""
    site1 = SiteFactory(name="North Test Site", code="NORTH")
    site2 = SiteFactory(name="South Test Site", code="SOUTH")
    patient_a = PatientFactory(site=site1, given_name="Alpha", family_name="Testperson")
    patient_b = PatientFactory(site=site2, given_name="Bravo", family_name="Testperson")
    therapist1 = staff(Role.THERAPIST, site1, username="therapist1")
    on_care_team(patient_a, therapist1)
    return World(
        site1=site1,
        site2=site2,
        patient_a=patient_a,
        patient_b=patient_b,
        patient_a_user=patient_user(patient_a, username="patient_a"),
        patient_b_user=patient_user(patient_b, username="patient_b"),
        prescriber1=staff(Role.PRESCRIBER, site1, username="prescriber1"),
        nurse1=staff(Role.NURSE, site1, username="nurse1"),
        nurse2=staff(Role.NURSE, site2, username="nurse2"),
        therapist1=therapist1,
        therapist_unassigned=staff(Role.THERAPIST, site1, username="therapist_unassigned"),
        front_desk1=staff(Role.FRONT_DESK, site1, username="front_desk1"),
        admin1=staff(Role.CLINIC_ADMIN, site1, username="admin1"),
    )


def make_cast(world: World, clock: Clock) -> Cast:
    """Every kind of requester, and patient A's records in every state (the clock must be frozen at NOW)."""
    users: dict[str, User | None] = {
        "anon": None,
        "pat_a": world.patient_a_user,
        "pat_b": world.patient_b_user,
        "adm1": world.admin1,
        "pre1": world.prescriber1,
        "nur1": world.nurse1,
        "the1": world.therapist1,
        "fd1": world.front_desk1,
        "nur2": world.nurse2,
    }
    return Cast(users=users, targets=records(world, clock))
