"""The page access matrix (issue 12, the battery's "Access matrix" for pages): every staff and portal URL pattern x
every kind of requester, the expected answer of a GET in one table (`MATRIX`). A page the application gains without
a row fails, and so does a row whose page is gone. It is modelled on tests/test_access_matrix.py (the API's).

Columns: anonymous; patient A (site 1) and patient B (site 2); each staff role at site 1 and at site 2. Each URL is
filled with patient A's record of its kind (tests/security/pages.py); `999999` stands where patient A has no such
record (a reminder, an evaluation, a safety task), so that row shows how the page answers a missing record. Every cell
runs in a savepoint that is rolled back. A cell is the status code of the answer; `302` is the sign-in page for
anonymous (and the target of a page that redirects), `405` a page that only takes POST. Invitation links
(`/portal/welcome/<token>/`) carry a fresh invitation of a site-1 patient without an account; the questionnaire link
a missing token. The parts only htmx asks for (`HTMX_PAGES`) are requested as htmx.

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
from tests.security.pages import COLUMNS, Cast, cast_of, headers_for, page_patterns, url_of
from tests.sessions.conftest import NOW, Clock

# fmt: off
MATRIX = """
                                                                                                     anon  pat_a pat_b adm1  pre1  nur1  the1  fd1   adm2  pre2  nur2  the2  fd2
/portal/                                                                                             302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/consent/                                                                                     302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/health/                                                                                      302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/integration/<int:pk>/                                                                        302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/integration/<int:pk>/calendar.ics                                                            302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/integration/<int:pk>/change/                                                                 302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/login/                                                                                       200   200   200   200   200   200   200   200   200   200   200   200   200
/portal/messages/                                                                                    302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/messages/<int:pk>/                                                                           302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/my-plan/                                                                                     302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/my-progress/                                                                                 302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/profile/                                                                                     302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/profile/password/                                                                            302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/profile/reminders/                                                                           302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/questionnaires/<str:instrument>/                                                             302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/questionnaires/<str:instrument>/draft/                                                       302   405   405   404   404   404   404   404   404   404   404   404   404
/portal/questionnaires/answers/<int:assessment_pk>/                                                  302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/questionnaires/link/<str:token>/                                                             302   404   404   404   404   404   404   404   404   404   404   404   404
/portal/reports/                                                                                     302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/reports/<int:pk>/                                                                            302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/reports/<int:pk>/download/                                                                   302   302   404   404   404   404   404   404   404   404   404   404   404
/portal/sessions/                                                                                    302   200   200   404   404   404   404   404   404   404   404   404   404
/portal/sessions/<int:pk>/calendar.ics                                                               302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/sessions/<int:pk>/change/                                                                    302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/sessions/<int:pk>/check-in/                                                                  302   200   404   404   404   404   404   404   404   404   404   404   404
/portal/welcome/<str:token>/                                                                         200   200   200   200   200   200   200   200   200   200   200   200   200
/portal/welcome/<str:token>/new-link/                                                                405   405   405   405   405   405   405   405   405   405   405   405   405
/staff/                                                                                              302   404   404   200   200   200   200   200   200   200   200   200   200
/staff/alerts/                                                                                       302   404   404   200   200   200   200   200   200   200   200   200   200
/staff/alerts/<int:pk>/acknowledge/                                                                  302   404   404   404   404   404   405   404   404   404   404   404   404
/staff/alerts/<int:pk>/open/                                                                         302   404   404   404   404   404   405   404   404   404   404   404   404
/staff/break-glass/                                                                                  302   404   404   404   200   404   404   404   404   200   404   404   404
/staff/intake/                                                                                       302   404   404   200   200   200   200   404   200   200   200   200   404
/staff/integration/patients/<int:patient_pk>/                                                        302   404   404   404   200   200   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/dosing-session/                                         302   404   404   404   200   200   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/maintenance-evaluations/<int:evaluation_pk>/resolve/    302   404   404   404   404   404   404   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/                                    302   404   404   404   200   200   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/addenda/                            302   404   404   404   200   403   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/edit/                               302   404   404   404   403   403   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/sign/                               302   404   404   404   403   403   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/notes/new/<str:modality>/                               302   404   404   404   200   403   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/relapse-plan/                                           302   404   404   404   200   200   200   404   404   404   404   404   404
/staff/integration/patients/<int:patient_pk>/relapse-plan/edit/                                      302   404   404   404   200   403   200   404   404   404   404   404   404
/staff/messages/patients/<int:patient_pk>/                                                           302   404   404   404   200   200   200   404   404   404   404   404   404
/staff/messages/patients/<int:patient_pk>/<int:thread_pk>/                                           302   404   404   404   200   200   200   404   404   404   404   404   404
/staff/notifications/<int:pk>/                                                                       302   404   404   404   404   404   302   404   404   404   404   404   404
/staff/operations/                                                                                   302   404   404   200   404   404   404   404   200   404   404   404   404
/staff/operations/reminders/<int:pk>/retry/                                                          302   404   404   405   404   404   404   404   405   404   404   404   404
/staff/patients/<int:patient_pk>/                                                                    302   404   404   200   200   200   200   200   404   404   404   404   404
/staff/patients/<int:patient_pk>/care-team/                                                          302   404   404   405   405   405   405   405   404   404   404   404   404
/staff/patients/<int:patient_pk>/care-team/<int:user_pk>/remove/                                     302   404   404   405   405   405   405   405   404   404   404   404   404
/staff/patients/<int:patient_pk>/intake/                                                             302   404   404   200   200   200   200   404   404   404   404   404   404
/staff/patients/<int:patient_pk>/intake/consent/                                                     302   404   404   403   200   200   200   404   404   404   404   404   404
/staff/patients/<int:patient_pk>/intake/medical-clearance/                                           302   404   404   403   405   403   403   404   404   404   404   404   404
/staff/patients/<int:patient_pk>/intake/questionnaires/<str:instrument>/                             302   404   404   403   200   200   200   404   404   404   404   404   404
/staff/patients/<int:patient_pk>/intake/safety-tasks/<int:task_pk>/resolve/                          302   404   404   404   404   404   404   404   404   404   404   404   404
/staff/patients/<int:patient_pk>/intake/screening/                                                   302   404   404   403   200   200   403   404   404   404   404   404   404
/staff/patients/<int:patient_pk>/intake/screenings/<int:screening_pk>/override/                      302   404   404   403   405   403   403   404   404   404   404   404   404
/staff/patients/<int:patient_pk>/invite/                                                             302   404   404   405   405   405   405   405   404   404   404   404   404
/staff/patients/<int:patient_pk>/reminder-preferences/                                               302   404   404   200   200   200   403   200   404   404   404   404   404
/staff/patients/<int:patient_pk>/reports/                                                            302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/patients/new/                                                                                 302   404   404   200   200   200   404   200   200   200   200   404   200
/staff/reports/<int:pk>/                                                                             302   404   404   200   200   200   200   404   404   404   404   404   404
/staff/reports/<int:pk>/download/                                                                    302   404   404   302   302   302   302   404   404   404   404   404   404
/staff/reports/<int:pk>/retry/                                                                       302   404   404   405   404   404   404   404   405   404   404   404   404
/staff/reports/attention/                                                                            302   404   404   200   404   404   404   404   200   404   404   404   404
/staff/schedule/                                                                                     302   404   404   200   200   200   200   200   200   200   200   200   200
/staff/schedule/book-course/                                                                         302   404   404   200   200   200   404   200   200   200   200   404   200
/staff/schedule/book/                                                                                302   404   404   200   200   200   404   200   200   200   200   404   200
/staff/schedule/integration/<int:pk>/                                                                302   404   404   200   200   200   200   200   404   404   404   404   404
/staff/schedule/integration/<int:pk>/calendar.ics                                                    302   404   404   200   200   200   200   200   404   404   404   404   404
/staff/schedule/integration/<int:pk>/cancel/                                                         302   404   404   405   405   405   405   405   404   404   404   404   404
/staff/schedule/patients/<int:patient_pk>/integration/                                               302   404   404   200   200   200   200   200   404   404   404   404   404
/staff/schedule/rems/                                                                                302   404   404   200   200   200   200   404   200   200   200   200   404
/staff/schedule/requests/<int:pk>/                                                                   302   404   404   200   200   200   200   200   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/                                                                   302   404   404   200   200   200   200   200   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/acknowledge-review/                                                302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/adverse-events/                                                    302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/calendar.ics                                                       302   404   404   200   200   200   200   200   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/cancel/                                                            302   404   404   405   405   405   405   405   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/check-in/                                                          302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/check-in/correct/                                                  302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/defer/                                                             302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/discharge/                                                         302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/discharge/check/                                                   302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/dissociation/                                                      302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/dose-preview/                                                      302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/end/                                                               302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/monitor/                                                           302   404   404   200   200   200   200   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/no-show/                                                           302   404   404   405   405   405   405   405   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/rems/submit/                                                       302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/start/                                                             302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/start/check/                                                       302   404   404   405   405   405   405   404   404   404   404   404   404
/staff/schedule/sessions/<int:pk>/vitals/                                                            302   404   404   405   405   405   405   404   404   404   404   404   404
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
        response = client.get(url_of(pattern, cast.targets), headers=headers_for(pattern))
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
