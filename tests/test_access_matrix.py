"""The access matrix (issue 12, the battery's "Access matrix"): every API route x every kind of requester, the expected
answer of each cell in one table (`MATRIX`). A route the API gains without a row fails, and so does a row whose route
is gone.

Columns: anonymous; patient A (site 1) and patient B (site 2); each staff role at site 1 and at site 2. Requests are
about patient A's records (site 1); therapist 1 is on patient A's care team, therapist 2 on no one's. Each record a
route needs is in the state the route acts on (a scheduled session for check-in, a dosing one for its end, ...), and
writes send a valid body (`BODIES`), so a role that may act gets the success code. Every cell runs in a savepoint
that is rolled back: each sees the same records. A cell is

- a status code; `NA`: the answer to a request without credentials (401 with a token scheme first, else 403);
- `200+` / `200-`: a list (200) that does / does not include patient A's record (`LIST_TARGETS`).

Staff and portal pages get rows in the same table (`GET /staff/...`), with a walk of their part of the URL resolver.
"""
# ruff: noqa: E501 - the table's rows are as wide as their columns

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from clinic.api import ScopedViewSet, unknown_endpoint
from clinic.models import Role, User
from intake.consent import CURRENT_CONSENT_VERSION
from tests.conftest import World
from tests.factories import staff
from tests.records import Cast, records
from tests.sessions.conftest import NOW, PROCEED, Clock

COLUMNS = ("anon", "pat_a", "pat_b", "adm1", "pre1", "nur1", "the1", "fd1", "adm2", "pre2", "nur2", "the2", "fd2")

# fmt: off
MATRIX = """
                                                           anon  pat_a pat_b adm1  pre1  nur1  the1  fd1   adm2  pre2  nur2  the2  fd2
GET    /api/v1/                                            NA    200   200   200   200   200   200   200   200   200   200   200   200
GET    /api/v1/chairs/                                     NA    403   403   200+  200+  200+  200+  200+  200-  200-  200-  200-  200-
POST   /api/v1/chairs/                                     NA    403   403   201   403   403   403   403   400   403   403   403   403
GET    /api/v1/courses/                                    NA    200+  200-  200+  200+  200+  200+  200+  200-  200-  200-  200-  200-
POST   /api/v1/courses/                                    NA    403   404   201   201   201   403   201   404   404   404   404   404
GET    /api/v1/courses/{id}/                               NA    200   404   200   200   200   200   200   404   404   404   404   404
POST   /api/v1/courses/{id}/complete/                      NA    403   404   403   200   403   403   403   404   404   404   404   404
POST   /api/v1/courses/{id}/stop/                          NA    403   404   403   200   403   403   403   404   404   404   404   404
GET    /api/v1/docs/                                       200   200   200   200   200   200   200   200   200   200   200   200   200
POST   /api/v1/dose-calculations/                          NA    403   403   200   200   200   200   403   200   200   200   200   403
GET    /api/v1/dosing-sessions/                            NA    200+  200-  200+  200+  200+  200+  200+  200-  200-  200-  200-  200-
POST   /api/v1/dosing-sessions/                            NA    403   404   201   201   201   403   201   404   404   404   404   404
GET    /api/v1/dosing-sessions/{id}/                       NA    200   404   200   200   200   200   200   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/acknowledge-review/    NA    403   404   403   201   403   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/adverse-events/        NA    403   404   403   201   201   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/cancel/                NA    403   404   200   200   200   403   200   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/check-in/              NA    403   404   403   200   200   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/defer/                 NA    403   404   403   200   200   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/discharge/             NA    403   404   403   200   200   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/dissociation/          NA    403   404   403   201   201   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/end/                   NA    403   404   403   200   200   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/no-show/               NA    403   404   200   200   200   403   200   404   404   404   404   404
GET    /api/v1/dosing-sessions/{id}/rems/                  NA    404   404   200   200   200   200   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/rems/submit/           NA    403   404   201   201   201   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/start/                 NA    403   404   403   200   200   403   404   404   404   404   404   404
POST   /api/v1/dosing-sessions/{id}/vitals/                NA    403   404   403   201   201   403   404   404   404   404   404   404
GET    /api/v1/integration-appointments/                   NA    200+  200-  200+  200+  200+  200+  200+  200-  200-  200-  200-  200-
POST   /api/v1/integration-appointments/                   NA    403   404   201   201   201   201   201   404   404   404   404   404
GET    /api/v1/integration-appointments/{id}/              NA    200   404   200   200   200   200   200   404   404   404   404   404
POST   /api/v1/integration-appointments/{id}/cancel/       NA    403   404   200   200   200   200   200   404   404   404   404   404
GET    /api/v1/me/                                         NA    200   200   403   403   403   403   403   403   403   403   403   403
GET    /api/v1/me/messages/                                NA    200   200   403   403   403   403   403   403   403   403   403   403
POST   /api/v1/me/messages/                                NA    201   201   403   403   403   403   403   403   403   403   403   403
GET    /api/v1/me/appointments/                            NA    200   200   403   403   403   403   403   403   403   403   403   403
POST   /api/v1/me/appointment-requests/                    NA    201   404   403   403   403   403   403   403   403   403   403   403
GET    /api/v1/patients/                                   NA    200+  200-  200+  200+  200+  200+  200+  200-  200-  200-  200-  200-
POST   /api/v1/patients/                                   NA    403   403   201   201   201   403   201   201   201   201   403   201
GET    /api/v1/patients/{id}/                              NA    200   404   200   200   200   200   200   404   404   404   404   404
PATCH  /api/v1/patients/{id}/                              NA    403   404   200   200   200   403   200   404   404   404   404   404
POST   /api/v1/patients/{id}/invite/                       NA    403   404   409   409   409   403   409   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/assessments/          NA    404   404   200   200   200   200   404   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/assessments/          NA    404   404   403   201   201   201   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/care-team/            NA    404   404   200   200   200   200   200   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/care-team/            NA    404   404   201   201   201   403   403   404   404   404   404   404
DELETE /api/v1/patients/{patient_pk}/care-team/{user_id}/  NA    404   404   204   204   204   403   403   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/consent/              NA    404   404   200   200   200   200   404   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/consent/              NA    404   404   403   201   201   201   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/dosing-clearance/     NA    404   404   200   200   200   200   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/medical-clearance/    NA    404   404   200   200   200   200   404   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/medical-clearance/    NA    404   404   403   201   403   403   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/screenings/           NA    404   404   200   200   200   200   404   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/screenings/           NA    404   404   403   201   201   403   404   404   404   404   404   404
GET    /api/v1/schema/                                     200   200   200   200   200   200   200   200   200   200   200   200   200
GET    /api/v1/screenings/{id}/                            NA    404   404   200   200   200   200   404   404   404   404   404   404
POST   /api/v1/screenings/{id}/override/                   NA    404   404   403   200   403   403   404   404   404   404   404   404
POST   /api/v1/auth/logout/                                NA    204   204   204   204   204   204   204   204   204   204   204   204
POST   /api/v1/auth/token/                                 400   400   400   400   400   400   400   400   400   400   400   400   400
GET    /api/v1/integration-notes/{id}/                     NA    404   404   404   200   200   200   404   404   404   404   404   404
PATCH  /api/v1/integration-notes/{id}/                     NA    404   404   404   403   403   200   404   404   404   404   404   404
POST   /api/v1/integration-notes/{id}/addenda/             NA    404   404   404   201   403   201   404   404   404   404   404   404
POST   /api/v1/integration-notes/{id}/sign/                NA    404   404   404   403   403   200   404   404   404   404   404   404
POST   /api/v1/maintenance-evaluations/{id}/resolve/       NA    404   404   404   200   403   403   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/integration-notes/    NA    404   404   404   200   200   200   404   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/integration-notes/    NA    404   404   404   201   403   201   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/maintenance-evaluations/ NA 404   404   404   200   200   200   404   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/maintenance-evaluations/ NA 404   404   404   200   200   200   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/outcomes/             NA    200   404   404   200   200   200   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/relapse-plan/         NA    200   404   404   200   200   200   404   404   404   404   404   404
PUT    /api/v1/patients/{patient_pk}/relapse-plan/         NA    403   404   404   200   403   200   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/relapse-plan/revisions/ NA  200   404   404   200   200   200   404   404   404   404   404   404
GET    /api/v1/patients/{patient_pk}/reminders/            NA    404   404   200   200   200   200   200   404   404   404   404   404
POST   /api/v1/patients/{patient_pk}/reports/              NA    404   404   202   202   202   202   404   404   404   404   404   404
POST   /api/v1/reminders/{id}/retry/                       NA    404   404   200   403   403   403   403   404   404   404   404   404
GET    /api/v1/reports/{id}/                               NA    404   404   200   200   200   200   404   404   404   404   404   404
GET    /api/v1/reports/{id}/download/                      NA    404   404   200   200   200   200   404   404   404   404   404   404
POST   /api/v1/reports/{id}/retry/                         NA    404   404   409   403   403   403   404   404   404   404   404   404
"""
# fmt: on

# Lists, and the record of patient A a `200+` cell finds in them.
LIST_TARGETS = {
    "/api/v1/patients/": "patient",
    "/api/v1/chairs/": "chair",
    "/api/v1/dosing-sessions/": "scheduled",
    "/api/v1/courses/": "course",
    "/api/v1/integration-appointments/": "appointment",
}
# The record in each `{id}` of a path, by the route's first segment, or by its action for a session.
PATH_TARGETS = {
    "patients": "patient",
    "courses": "course",
    "integration-appointments": "appointment",
    "screenings": "screening",
    "dosing-sessions": "scheduled",
    "dosing-sessions/{id}/no-show": "overdue",
    "dosing-sessions/{id}/vitals": "checked_in",
    "dosing-sessions/{id}/start": "checked_in",
    "dosing-sessions/{id}/defer": "checked_in",
    "dosing-sessions/{id}/acknowledge-review": "review",
    "dosing-sessions/{id}/end": "dosing",
    "dosing-sessions/{id}/adverse-events": "dosing",
    "dosing-sessions/{id}/dissociation": "dosing",
    "dosing-sessions/{id}/discharge": "monitoring",
    "dosing-sessions/{id}/rems": "esketamine_discharged",
    "dosing-sessions/{id}/rems/submit": "esketamine_discharged",
    "integration-notes": "note_draft",
    "integration-notes/{id}/addenda": "note_signed",
    "maintenance-evaluations": "evaluation",
    "reminders": "reminder",
    "reports": "report",
}
# Routes the schema does not list (the API's root and its documentation).
NOT_IN_SCHEMA = {"GET /api/v1/", "GET /api/v1/schema/", "GET /api/v1/docs/"}


def bodies(targets: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A valid body for each write, by row (`METHOD path`)."""
    later = NOW + dt.timedelta(days=10)
    return {
        "POST /api/v1/patients/": {"given_name": "Matrix", "family_name": "Testperson", "date_of_birth": "1980-01-02",
                                   "sex_at_birth": "female", "email": "matrix@example.invalid"},
        "PATCH /api/v1/patients/{id}/": {"phone": "555-0199"},
        "POST /api/v1/chairs/": {"site": targets["site1"], "name": "New chair"},
        "POST /api/v1/patients/{patient_pk}/care-team/": {"username": "therapist_unassigned"},
        "POST /api/v1/me/messages/": {"subject": "Matrix", "body": "A fictional question for the care team."},
        "POST /api/v1/patients/{patient_pk}/assessments/": {"instrument": "phq9", "answers": [0] * 9},
        "POST /api/v1/patients/{patient_pk}/screenings/": {
            "height_cm": 170, "weight_kg": 70, "systolic": 120, "diastolic": 80, "heart_rate": 70,
            "failed_antidepressant_trials": 2},
        "POST /api/v1/patients/{patient_pk}/consent/": {"document_version": CURRENT_CONSENT_VERSION,
                                                        "signed_name": "Alpha Testperson"},
        "POST /api/v1/patients/{patient_pk}/medical-clearance/": {"note": "Reviewed."},
        "POST /api/v1/screenings/{id}/override/": {"reason": "Blood pressure reviewed with the patient.",
                                                   "addressed_findings": ["elevated_blood_pressure"]},
        "POST /api/v1/dose-calculations/": {"route": "iv", "weight_kg": 70, "height_cm": 170, "sex_at_birth": "female"},
        "POST /api/v1/dosing-sessions/": {"patient": targets["patient"], "chair": targets["chair"],
                                          "start": later.isoformat(), "route": "iv"},
        "POST /api/v1/dosing-sessions/{id}/cancel/": {"reason": "Moved."},
        "POST /api/v1/dosing-sessions/{id}/check-in/": {"fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3,
                                                        "escort_confirmed": True},
        "POST /api/v1/dosing-sessions/{id}/vitals/": PROCEED,
        "POST /api/v1/dosing-sessions/{id}/acknowledge-review/": {"reason": "Reviewed."},
        "POST /api/v1/dosing-sessions/{id}/start/": {"lot_number": "LOT-9"},
        "POST /api/v1/dosing-sessions/{id}/defer/": {"reason": "Blood pressure high."},
        "POST /api/v1/dosing-sessions/{id}/adverse-events/": {"kind": "nausea_vomiting", "severity": "mild",
                                                              "action_taken": "Ondansetron given."},
        "POST /api/v1/dosing-sessions/{id}/dissociation/": {"items": [0, 0, 0, 0, 0, 0]},
        "POST /api/v1/dosing-sessions/{id}/discharge/": {"aldrete": [2, 2, 2, 2, 2], "escort_confirmed": True},
        "POST /api/v1/dosing-sessions/{id}/rems/submit/": {"reference": "REMS-1", "note": "Sent with the form."},
        "POST /api/v1/courses/": {"patient": targets["patient"], "template": "standard_induction",
                                  "start": (NOW + dt.timedelta(days=90)).date().isoformat(), "weekdays": [0, 3],
                                  "time": "09:00", "chair": targets["chair"]},
        "POST /api/v1/courses/{id}/stop/": {"reason": "Side effects."},
        "POST /api/v1/courses/{id}/complete/": {"reason": "Remission."},
        "POST /api/v1/integration-appointments/": {"patient": targets["patient"], "therapist": targets["therapist1"],
                                                   "start": (NOW + dt.timedelta(days=32)).isoformat(),
                                                   "duration_min": 60, "room": "Room B"},
        "POST /api/v1/integration-appointments/{id}/cancel/": {"reason": "Moved."},
        "POST /api/v1/patients/{patient_pk}/integration-notes/": {
            "modality": "general", "dosing_session": targets["monitoring"], "started_at": NOW.isoformat(),
            "duration_min": 50, "narrative": "Matrix note."},
        "PATCH /api/v1/integration-notes/{id}/": {"plan": "Next week: walk twice."},
        "POST /api/v1/integration-notes/{id}/addenda/": {"text": "Matrix addendum."},
        "POST /api/v1/patients/{patient_pk}/maintenance-evaluations/": {"reason": "PHQ-9 rising again."},
        "POST /api/v1/maintenance-evaluations/{id}/resolve/": {"outcome": "no_action", "reason": "Stable on review."},
        "PUT /api/v1/patients/{patient_pk}/relapse-plan/": {"warning_signs": ["Not sleeping"]},
        "POST /api/v1/patients/{patient_pk}/reports/": {"kind": "session_record",
                                                        "session": targets["esketamine_discharged"]},
        "POST /api/v1/auth/token/": {"username": "nurse1", "password": "not-the-password"},
        "POST /api/v1/me/appointment-requests/": {"dosing_session": targets["scheduled"], "kind": "reschedule",
                                                  "reason": "A family wedding that day."},
    }  # fmt: skip


# --- The table ---------------------------------------------------------------------------------------------------


def rows() -> dict[str, dict[str, str]]:
    """MATRIX as {"METHOD path": {column: expected}}."""
    table = {}
    for line in MATRIX.strip().splitlines()[1:]:
        method, path, *cells = line.split()
        assert len(cells) == len(COLUMNS), f"{method} {path}: {len(cells)} cells for {len(COLUMNS)} columns"
        table[f"{method} {path}"] = dict(zip(COLUMNS, cells, strict=True))
    return table


def api_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = ("get", "post", "put", "patch", "delete")
    return {f"{m.upper()} {path}" for path, item in schema["paths"].items() for m in methods if m in item}


def unauthenticated_status() -> int:
    """What DRF answers a request without credentials: 401 when the first authentication scheme names itself in
    `WWW-Authenticate` (a token), 403 when it cannot (a session)."""
    first = api_settings.DEFAULT_AUTHENTICATION_CLASSES[0]()
    return 401 if first.authenticate_header(HttpRequest()) else 403


# --- Patient A's records, in every state a route acts on ---------------------------------------------------------


@pytest.fixture
def cast(world: World, clock: Clock, settings: Any, tmp_path: Any) -> Cast:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    users: dict[str, User | None] = {
        "anon": None,
        "pat_a": world.patient_a_user,
        "pat_b": world.patient_b_user,
        "adm1": world.admin1,
        "pre1": world.prescriber1,
        "nur1": world.nurse1,
        "the1": world.therapist1,
        "fd1": world.front_desk1,
        "adm2": staff(Role.CLINIC_ADMIN, world.site2, username="admin2"),
        "pre2": staff(Role.PRESCRIBER, world.site2, username="prescriber2"),
        "nur2": world.nurse2,
        "the2": staff(Role.THERAPIST, world.site2, username="therapist2"),
        "fd2": staff(Role.FRONT_DESK, world.site2, username="front_desk2"),
    }
    return Cast(users=users, targets=records(world, clock))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(NOW)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def url_of(path: str, targets: dict[str, Any]) -> str:
    first = path.removeprefix("/api/v1/").split("/", 1)[0]
    action = path.removeprefix("/api/v1/").rstrip("/")
    return (
        path.replace("{patient_pk}", str(targets["patient"]))
        .replace("{user_id}", str(targets["therapist1"]))
        .replace("{id}", str(targets[PATH_TARGETS.get(action, PATH_TARGETS.get(first, "patient"))]))
    )


def observe(client: APIClient, key: str, cast: Cast, body: dict[str, Any] | None) -> str:
    """The cell: one request in a savepoint that is rolled back afterwards."""
    method, path = key.split(" ", 1)
    with transaction.atomic():
        data = json.dumps(body) if body is not None else None
        response = client.generic(method, url_of(path, cast.targets), data or "", content_type="application/json")
        transaction.set_rollback(True)
    # A download streams its file: close it as the server would, but without request_finished's
    # close_old_connections, which would close the test's connection inside its transaction (as Django's test client
    # does for the streaming responses it consumes itself).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    code = response.status_code
    if code == 200 and method == "GET" and path in LIST_TARGETS:
        listed = {row["id"] for row in response.json()["results"]}
        return "200+" if cast.targets[LIST_TARGETS[path]] in listed else "200-"
    return str(code)


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- The tests ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_api_route_has_a_row_and_every_row_a_route() -> None:
    expected = api_operations() | NOT_IN_SCHEMA
    table = set(rows())
    assert sorted(expected - table) == [], "routes without a row in MATRIX"
    assert sorted(table - expected) == [], "rows in MATRIX for routes that are gone"


def test_every_api_view_is_in_the_schema_or_listed() -> None:
    """A view under /api/v1/ outside the scoped viewsets (which the schema lists) must be one of NOT_IN_SCHEMA's."""
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView, SpectacularSwaggerView
    from rest_framework.routers import APIRootView

    known = {SpectacularAPIView, SpectacularSwaggerView, SpectacularSwaggerSplitView}

    def walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
        found = []
        for entry in patterns:
            if isinstance(entry, URLResolver):
                found += walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and prefix.startswith("api/v1/"):
                found.append((prefix + str(entry.pattern), entry.callback))
        return found

    strays = []
    for route, callback in walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if callback is unknown_endpoint or view in known or (view and issubclass(view, ScopedViewSet | APIRootView)):
            continue
        strays.append(route)
    assert strays == []


@pytest.mark.django_db
def test_each_requester_gets_the_answer_the_matrix_says(cast: Cast) -> None:
    table = rows()
    writes = bodies(cast.targets)
    na = str(unauthenticated_status())
    observed: dict[str, dict[str, str]] = {}
    discover = bool(os.environ.get("MATRIX_DISCOVER"))  # print the observed table, to write new rows from
    for key in sorted(api_operations() | NOT_IN_SCHEMA) if discover else table:
        observed[key] = {
            column: observe(client_for(user), key, cast, writes.get(key)) for column, user in cast.users.items()
        }
    if discover:
        for key, cells in observed.items():
            method, path = key.split(" ", 1)
            print(f"{method:<6} {path:<51} " + " ".join(f"{c:<5}" for c in cells.values()))
    mismatches = [
        f"{key} [{column}]: expected {expected}, got {observed[key][column]}"
        for key, cells in table.items()
        for column, expected in cells.items()
        if (na if expected == "NA" else expected) != observed[key][column]
    ]
    assert mismatches == []
