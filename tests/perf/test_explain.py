"""Every hot query has its index (issue 13, item 4): the pages a nurse and a patient open all day are requested on
PostgreSQL with `seed_scale` data, and every SELECT they send is EXPLAINed; a sequential scan of a large table fails.

"Large" is measured, not listed: a table with at least `LARGE_ROWS` rows after seeding (patients, sessions,
assessments, notes, audit events, reminders, vital signs, ...). Small tables (sites, chairs, staff, protocol
versions) are cheaper to read whole, and are left alone. The planner's statistics come from ANALYZE after seeding.

Each query is EXPLAINed with `enable_seqscan = off`. Justified: at a few thousand rows a large table is still only a
few dozen pages, and the planner rightly prefers reading it whole (a hash join over 700 courses, say) to an index;
at 100,000 patients it would not. What the test must know is whether an index *can* serve each query, and with
sequential scans priced out the planner still chooses one only when no index applies: a missing index, a `%q%`
match without its trigram index, a filter on an unindexed column. The self-check at the end proves it finds one.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.models import Patient, Role, User
from sessions.models import DosingSession

PATIENTS = 600
LARGE_ROWS = 500

# The data is seeded once for the module (in a transaction rolled back at its end); the mark tells pytest-django
# to set the test database up.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), transaction.atomic():
        if connection.vendor != "postgresql":
            yield {}
        else:
            yield _seed()
        transaction.set_rollback(True)


def _seed() -> dict[str, Any]:
    call_command("seed_scale", patients=PATIENTS, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT relname FROM pg_class JOIN pg_namespace n ON n.oid = relnamespace "
            "WHERE n.nspname = current_schema() AND relkind = 'r' AND reltuples >= %s",
            [LARGE_ROWS],
        )
        large = {name for (name,) in cursor.fetchall()}
    chart = Patient.objects.order_by("pk").first()
    assert chart is not None
    assert chart.user is not None
    nurse = User.objects.filter(role=Role.NURSE, sites=chart.site).order_by("pk").first()
    day = timezone.localdate()
    session = DosingSession.objects.filter(patient=chart).order_by("-start").first()
    assert session is not None
    return {"large": large, "chart": chart, "nurse": nurse, "day": day, "session": session}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def sequential_scans(sql: str, large: set[str]) -> list[str]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # see the module's docstring
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    return [
        node["Relation Name"]
        for node in _nodes(plan)
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in large
    ]


# (who, url): the hot pages of issue 13. `{chart}`, `{session}`, `{day}`, `{search}` come from the seeded data.
HOT = [
    ("nurse", "/staff/?q={search}"),
    ("nurse", "/api/v1/patients/"),
    ("nurse", "/api/v1/patients/?q={search}"),
    ("nurse", "/staff/schedule/?date={day}"),
    ("nurse", "/api/v1/dosing-sessions/?date={day}"),
    ("nurse", "/staff/schedule/sessions/{session}/"),
    ("nurse", "/staff/patients/{chart}/"),
    ("patient", "/portal/"),
]


@pytest.mark.parametrize(("who", "path"), HOT, ids=[p for _, p in HOT])
def test_the_hot_page_reads_no_large_table_whole(
    require_postgres: None, seeded: dict[str, Any], who: str, path: str
) -> None:
    chart, session = seeded["chart"], seeded["session"]
    url = path.format(chart=chart.pk, session=session.pk, day=seeded["day"].isoformat(), search=chart.mrn[-4:])
    user = seeded["nurse"] if who == "nurse" else chart.user
    if url.startswith("/api/"):
        client: Client | APIClient = APIClient()
        client.force_authenticate(user)
    else:
        client = Client()
        client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, secure=True)
    assert response.status_code == 200
    reads = [q["sql"] for q in captured.captured_queries if re.match(r"\s*SELECT\b", q["sql"], re.IGNORECASE)]
    assert reads, f"{url} read nothing"
    whole = {sql[:300]: scans for sql in reads if (scans := sequential_scans(sql, seeded["large"]))}
    assert whole == {}, f"{url} reads large tables whole (large: {sorted(seeded['large'])}):\n" + "\n".join(
        f"{scans}: {sql}" for sql, scans in whole.items()
    )


def test_the_check_finds_a_large_table_read_whole(require_postgres: None, seeded: dict[str, Any]) -> None:
    assert {"clinic_patient", "treatment_sessions_dosingsession", "intake_assessment"} <= seeded["large"]
    unindexed = "SELECT id FROM clinic_patient WHERE phone LIKE '%555%'"
    assert sequential_scans(unindexed, seeded["large"]) == ["clinic_patient"]
    searched = "SELECT id FROM clinic_patient WHERE UPPER(family_name::text) LIKE UPPER('%000123%')"
    assert sequential_scans(searched, seeded["large"]) == []


def index_scans(sql: str) -> set[str]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    return {node["Index Name"] for node in _nodes(plan) if "Index Name" in node}


def test_a_days_sessions_at_every_site_are_found_by_their_start(require_postgres: None, seeded: dict[str, Any]) -> None:
    """A nurse working at every site asks for the day's sessions: the query finds them by their start (one range
    over the day's windows in all time zones), not by walking every patient the nurse may see (no sequential scan
    either way, but the walk grows with the patients: 3.7 ms at 1,000, far more at 100,000)."""
    from clinic.models import Site

    nurse = seeded["nurse"]
    nurse.sites.set(Site.objects.all())
    client = APIClient()
    client.force_authenticate(nurse)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/dosing-sessions/?date={seeded['day'].isoformat()}", secure=True)
    assert response.status_code == 200
    [listed] = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "treatment_sessions_dos')]
    assert "dosing_session_start_idx" in index_scans(listed)
