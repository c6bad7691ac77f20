"""Shared fixtures. With CI=true, a missing PostgreSQL or Redis fails the run instead of skipping tests."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.db import connection
from rest_framework.test import APIClient

from clinic.models import Patient, Role, Site, User
from tests.factories import PatientFactory, SiteFactory, on_care_team, patient_user, staff

IN_CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    if not IN_CI:
        return
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problems = []
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems.append("CI=true needs DATABASE_URL pointing at PostgreSQL")
    elif not _reachable(database_url, 5432):
        problems.append(f"PostgreSQL at {urlparse(database_url).hostname} does not answer")
    if not redis_url:
        problems.append("CI=true needs REDIS_URL")
    elif not _reachable(redis_url, 6379):
        problems.append(f"Redis at {urlparse(redis_url).hostname} does not answer")
    if problems:
        pytest.exit("Refusing to run the suite in CI without its services: " + "; ".join(problems), returncode=3)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    has_redis = bool(os.environ.get("REDIS_URL"))
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres and not IN_CI:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://..."))
        if item.get_closest_marker("redis") and not has_redis and not IN_CI:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://..."))


@pytest.fixture
def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL") if IN_CI else pytest.skip("needs PostgreSQL")


@dataclass
class World:
    """The permission matrix: two sites, two patients, one user per role and kind of access."""

    site1: Site
    site2: Site
    patient_a: Patient  # site 1, therapist on care team
    patient_b: Patient  # site 2
    patient_a_user: User
    patient_b_user: User
    prescriber1: User
    nurse1: User
    nurse2: User
    therapist1: User  # on patient A's care team
    therapist_unassigned: User
    front_desk1: User
    admin1: User

    def users(self) -> dict[str, User]:
        return {
            "patient_a": self.patient_a_user,
            "patient_b": self.patient_b_user,
            "prescriber1": self.prescriber1,
            "nurse1": self.nurse1,
            "nurse2": self.nurse2,
            "therapist1": self.therapist1,
            "therapist_unassigned": self.therapist_unassigned,
            "front_desk1": self.front_desk1,
            "admin1": self.admin1,
        }


def make_world() -> World:
    """The permission world: two sites, patient A (site 1, therapist 1 on the care team) and B (site 2), and staff."""
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


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
