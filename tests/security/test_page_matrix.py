"""The page access matrix (issue 12, the battery's "Access matrix" for pages): every staff and portal URL pattern x
every kind of requester, the expected answer of a GET in one table (`MATRIX`). A page the application gains without
a row fails, and so does a row whose page is gone. It is modelled on tests/test_access_matrix.py (the API's).

Columns: anonymous; patient A (site 1) and patient B (site 2); each staff role at site 1 and at site 2. Each URL is
filled with patient A's record of its kind (tests/security/pages.py); `999999` stands where patient A has no such
record (a reminder, an evaluation, a safety task), so that row shows how the page answers a missing record. Every cell
runs in a savepoint that is rolled back. A cell is the status code of the answer; `302` is the sign-in page for
anonymous (and the target of a page that redirects), `405` a page that only takes POST.

`MATRIX_DISCOVER=1` prints the observed table, to write new rows from.
"""
# ruff: noqa: E501 - the table's rows are as wide as their columns

from __future__ import annotations

import os

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from clinic.models import User
from tests.conftest import World
from tests.security.pages import COLUMNS, Cast, cast_of, page_patterns, url_of
from tests.sessions.conftest import NOW, Clock

# fmt: off
MATRIX = """
"""
# fmt: on


def rows() -> dict[str, dict[str, str]]:
    table = {}
    for line in MATRIX.strip().splitlines()[1:]:
        path, *cells = line.split()
        assert len(cells) == len(COLUMNS), f"{path}: {len(cells)} cells for {len(COLUMNS)} columns"
        table[path] = dict(zip(COLUMNS, cells, strict=True))
    return table


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(NOW)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def cast(world: World, clock: Clock) -> Cast:
    return cast_of(world, clock)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def observe(client: Client, pattern: str, cast: Cast) -> str:
    with transaction.atomic():
        response = client.get(url_of(pattern, cast.targets))
        transaction.set_rollback(True)
    return str(response.status_code)


def test_every_page_has_a_row_and_every_row_a_page() -> None:
    patterns, table = set(page_patterns()), set(rows())
    assert sorted(patterns - table) == [], "pages without a row in MATRIX"
    assert sorted(table - patterns) == [], "rows in MATRIX for pages that are gone"


@pytest.mark.django_db
def test_each_requester_gets_the_answer_the_matrix_says(cast: Cast) -> None:
    table = rows()
    discover = bool(os.environ.get("MATRIX_DISCOVER"))
    clients = {column: client_for(user) for column, user in cast.users.items()}
    observed = {
        pattern: {column: observe(client, pattern, cast) for column, client in clients.items()}
        for pattern in (page_patterns() if discover else table)
    }
    if discover:
        print(f"{'':<78} " + " ".join(f"{c:<5}" for c in COLUMNS))
        for pattern, cells in observed.items():
            print(f"{pattern:<78} " + " ".join(f"{c:<5}" for c in cells.values()))
    mismatches = [
        f"{pattern} [{column}]: expected {expected}, got {observed[pattern][column]}"
        for pattern, cells in table.items()
        for column, expected in cells.items()
        if expected != observed[pattern][column]
    ]
    assert mismatches == []
    print(f"page matrix: {len(table)} pages x {len(COLUMNS)} requesters = {len(table) * len(COLUMNS)} cells")
