"""The world the query budgets count (tests/perf/test_query_budgets.py): the permission world built once per module,
with patient A's records in every state a page shows (tests/records.py, shared with the access matrix)."""

from __future__ import annotations

from clinic.models import User
from tests.conftest import World
from tests.records import Cast, records
from tests.sessions.conftest import Clock


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
