"""Audit completeness (issue 12, the battery): every read of patient data, every write and every refused request is
recorded once, truly.

- `READS`: every staff and portal page and every API route a GET reaches, with who reads it (a column of the page
  matrix) and the entries the read leaves: `action:A` (about patient A), `action:B` (about another patient: patient B, or the
  site-1 patient invited in tests/security/pages.py), `action:-` (about no patient), or `-` (a page without patient
  data). A page or route without a row fails.
- `WRITES`: a write per kind of record through the API (`METHOD route who body -> entries`), and the entries it
  leaves.
- Refusals: every page and API route about patient A, asked by the nurse of the other site (404), leaves exactly
  one `clinic.access.denied` entry, naming patient A.
- Afterwards the chain verifies (`verify_audit`), and on PostgreSQL a direct SQL UPDATE of an entry fails.

`AUDIT_DISCOVER=1` prints what is observed, to write new rows from.
"""
# ruff: noqa: E501 - the table's rows are as wide as their columns

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from clinic.audit import verify_chain
from clinic.models import AuditEvent, User
from tests.conftest import World
from tests.security.pages import MISSING, Cast, cast_of, headers_for, page_patterns
from tests.security.pages import url_of as page_url
from tests.sessions.conftest import NOW, Clock

# fmt: off
READS = """
/api/v1/chairs/                                                                                      nur1  200 -
/api/v1/courses/                                                                                     nur1  200 sessions.treatmentcourse.list:A
/api/v1/courses/{id}/                                                                                nur1  200 sessions.treatmentcourse.view:A
/api/v1/dosing-sessions/                                                                             nur1  200 sessions.dosingsession.list:A
/api/v1/dosing-sessions/{id}/                                                                        nur1  200 sessions.dosingsession.view:A
/api/v1/dosing-sessions/{id}/rems/                                                                   nur1  200 sessions.dosingsession.view:A
/api/v1/integration-appointments/                                                                    nur1  200 sessions.integrationappointment.list:A
/api/v1/integration-appointments/{id}/                                                               nur1  200 sessions.integrationappointment.view:A
/api/v1/integration-notes/{id}/                                                                      nur1  200 integration.note.view:A
/api/v1/me/                                                                                          nur1  403 clinic.access.denied:-
/api/v1/me/appointments/                                                                             nur1  403 clinic.access.denied:-
/api/v1/me/messages/                                                                                 nur1  403 clinic.access.denied:-
/api/v1/patients/                                                                                    nur1  200 clinic.patient.list:A clinic.patient.list:B
/api/v1/patients/{id}/                                                                               nur1  200 clinic.patient.view:A
/api/v1/patients/{patient_pk}/assessments/                                                           nur1  200 intake.assessment.view:A
/api/v1/patients/{patient_pk}/care-team/                                                             nur1  200 clinic.careteammember.list:A
/api/v1/patients/{patient_pk}/consent/                                                               nur1  200 intake.consent.view:A
/api/v1/patients/{patient_pk}/dosing-clearance/                                                      nur1  200 intake.clearance.view:A
/api/v1/patients/{patient_pk}/integration-notes/                                                     nur1  200 integration.note.view:A
/api/v1/patients/{patient_pk}/maintenance-evaluations/                                               nur1  200 integration.maintenanceevaluation.view:A
/api/v1/patients/{patient_pk}/medical-clearance/                                                     nur1  200 intake.medicalclearance.view:A
/api/v1/patients/{patient_pk}/outcomes/                                                              nur1  200 integration.outcomes.view:A
/api/v1/patients/{patient_pk}/relapse-plan/                                                          nur1  404 integration.relapseplan.view:A
/api/v1/patients/{patient_pk}/relapse-plan/revisions/                                                nur1  200 integration.relapseplan.view:A
/api/v1/patients/{patient_pk}/reminders/                                                             nur1  200 clinic.reminder.list:A
/api/v1/patients/{patient_pk}/screenings/                                                            nur1  200 intake.screening.view:A
/api/v1/reports/{id}/                                                                                nur1  200 clinic.report.view:A
/api/v1/reports/{id}/download/                                                                       nur1  409 -
/api/v1/screenings/{id}/                                                                             nur1  200 intake.screening.view:A
/portal/                                                                                             pat_a 200 integration.outcomes.view:A integration.outcomes.view:A integration.relapseplan.view:A portal.patient.view:A
/portal/consent/                                                                                     pat_a 200 portal.consent.view:A
/portal/health/                                                                                      pat_a 200 portal.healthquestionnaire.view:A
/portal/integration/<int:pk>/                                                                        pat_a 200 portal.patient.view:A
/portal/integration/<int:pk>/calendar.ics                                                            pat_a 200 sessions.integrationappointment.calendar:A
/portal/integration/<int:pk>/change/                                                                 pat_a 200 portal.patient.view:A
/portal/login/                                                                                       pat_a 200 -
/portal/messages/                                                                                    pat_a 200 messaging.thread.list:A
/portal/messages/<int:pk>/                                                                           pat_a 200 messaging.message.read:A messaging.thread.view:A
/portal/my-plan/                                                                                     pat_a 200 integration.relapseplan.view:A
/portal/my-progress/                                                                                 pat_a 200 integration.outcomes.view:A
/portal/profile/                                                                                     pat_a 200 portal.patient.view:A
/portal/profile/password/                                                                            pat_a 200 -
/portal/profile/reminders/                                                                           pat_a 200 portal.patient.view:A
/portal/questionnaires/<str:instrument>/                                                             pat_a 200 -
/portal/questionnaires/<str:instrument>/draft/                                                       pat_a 405 -
/portal/questionnaires/answers/<int:assessment_pk>/                                                  pat_a 200 portal.assessment.view:A
/portal/questionnaires/link/<str:token>/                                                             pat_a 404 clinic.access.denied:-
/portal/reports/                                                                                     pat_a 200 portal.patient.view:A
/portal/reports/<int:pk>/                                                                            pat_a 200 clinic.report.view:A
/portal/reports/<int:pk>/download/                                                                   pat_a 302 -
/portal/sessions/                                                                                    pat_a 200 portal.patient.view:A
/portal/sessions/<int:pk>/calendar.ics                                                               pat_a 200 sessions.dosingsession.calendar:A
/portal/sessions/<int:pk>/change/                                                                    pat_a 200 portal.patient.view:A
/portal/sessions/<int:pk>/check-in/                                                                  pat_a 200 portal.patient.view:A
/portal/welcome/<str:token>/                                                                         anon  200 clinic.invitation.open:B
/portal/welcome/<str:token>/new-link/                                                                pat_a 405 -
/staff/                                                                                              nur1  200 clinic.patient.list:A clinic.patient.list:B sessions.appointmentrequest.list:-
/staff/alerts/                                                                                       nur1  200 clinic.notification.list:-
/staff/alerts/<int:pk>/acknowledge/                                                                  the1  405 -
/staff/alerts/<int:pk>/open/                                                                         the1  405 -
/staff/break-glass/                                                                                  pre1  200 -
/staff/intake/                                                                                       nur1  200 intake.worklist.view:-
/staff/integration/patients/<int:patient_pk>/                                                        nur1  200 integration.note.view:A
/staff/integration/patients/<int:patient_pk>/dosing-session/                                         nur1  200 -
/staff/integration/patients/<int:patient_pk>/maintenance-evaluations/<int:evaluation_pk>/resolve/    nur1  404 -
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/                                    nur1  200 integration.note.view:A
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/addenda/                            the1  200 integration.note.view:A
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/edit/                               the1  200 integration.note.view:A
/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/sign/                               the1  200 integration.note.view:A
/staff/integration/patients/<int:patient_pk>/notes/new/<str:modality>/                               the1  200 integration.note_form.view:A
/staff/integration/patients/<int:patient_pk>/relapse-plan/                                           nur1  200 integration.relapseplan.view:A
/staff/integration/patients/<int:patient_pk>/relapse-plan/edit/                                      the1  200 integration.relapseplan.view:A
/staff/messages/patients/<int:patient_pk>/                                                           nur1  200 messaging.thread.list:A
/staff/messages/patients/<int:patient_pk>/<int:thread_pk>/                                           nur1  200 messaging.message.read:A messaging.message.read:A messaging.thread.view:A
/staff/notifications/<int:pk>/                                                                       the1  302 clinic.notification.open:A
/staff/operations/                                                                                   adm1  200 clinic.reminder.failed_list:- clinic.report.failed_list:-
/staff/operations/reminders/<int:pk>/retry/                                                          adm1  405 -
/staff/patients/<int:patient_pk>/                                                                    nur1  200 clinic.patient.view:A clinic.reminder.list:A integration.outcomes.view:A messaging.thread.list:A
/staff/patients/<int:patient_pk>/care-team/                                                          nur1  405 -
/staff/patients/<int:patient_pk>/care-team/<int:user_pk>/remove/                                     nur1  405 -
/staff/patients/<int:patient_pk>/intake/                                                             nur1  200 intake.patient.view:A
/staff/patients/<int:patient_pk>/intake/consent/                                                     nur1  200 intake.patient.view:A
/staff/patients/<int:patient_pk>/intake/medical-clearance/                                           pre1  405 -
/staff/patients/<int:patient_pk>/intake/questionnaires/<str:instrument>/                             nur1  200 intake.patient.view:A
/staff/patients/<int:patient_pk>/intake/safety-tasks/<int:task_pk>/resolve/                          nur1  404 -
/staff/patients/<int:patient_pk>/intake/screening/                                                   nur1  200 intake.screeningform.view:A
/staff/patients/<int:patient_pk>/intake/screenings/<int:screening_pk>/override/                      pre1  405 -
/staff/patients/<int:patient_pk>/invite/                                                             nur1  405 -
/staff/patients/<int:patient_pk>/reminder-preferences/                                               nur1  200 clinic.patient.view:A
/staff/patients/<int:patient_pk>/reports/                                                            nur1  405 -
/staff/patients/new/                                                                                 nur1  200 -
/staff/reports/<int:pk>/                                                                             nur1  200 clinic.report.view:A
/staff/reports/<int:pk>/download/                                                                    nur1  302 -
/staff/reports/<int:pk>/retry/                                                                       adm1  405 -
/staff/reports/attention/                                                                            adm1  200 clinic.report.failed_list:-
/staff/schedule/                                                                                     nur1  200 -
/staff/schedule/book-course/                                                                         nur1  200 -
/staff/schedule/book/                                                                                nur1  200 -
/staff/schedule/integration/<int:pk>/                                                                nur1  200 sessions.integrationappointment.view:A
/staff/schedule/integration/<int:pk>/calendar.ics                                                    nur1  200 sessions.integrationappointment.calendar:A
/staff/schedule/integration/<int:pk>/cancel/                                                         nur1  405 -
/staff/schedule/patients/<int:patient_pk>/integration/                                               nur1  200 sessions.booking.view:A
/staff/schedule/rems/                                                                                nur1  200 sessions.remssubmission.due_list:A
/staff/schedule/requests/<int:pk>/                                                                   nur1  200 sessions.appointmentrequest.view:A
/staff/schedule/sessions/<int:pk>/                                                                   nur1  200 sessions.dosingsession.view:A
/staff/schedule/sessions/<int:pk>/acknowledge-review/                                                nur1  405 -
/staff/schedule/sessions/<int:pk>/adverse-events/                                                    nur1  405 -
/staff/schedule/sessions/<int:pk>/calendar.ics                                                       nur1  200 sessions.dosingsession.calendar:A
/staff/schedule/sessions/<int:pk>/cancel/                                                            nur1  405 -
/staff/schedule/sessions/<int:pk>/check-in/                                                          nur1  405 -
/staff/schedule/sessions/<int:pk>/check-in/correct/                                                  nur1  405 -
/staff/schedule/sessions/<int:pk>/defer/                                                             nur1  405 -
/staff/schedule/sessions/<int:pk>/discharge/                                                         nur1  405 -
/staff/schedule/sessions/<int:pk>/discharge/check/                                                   nur1  405 -
/staff/schedule/sessions/<int:pk>/dissociation/                                                      nur1  405 -
/staff/schedule/sessions/<int:pk>/dose-preview/                                                      nur1  405 -
/staff/schedule/sessions/<int:pk>/end/                                                               nur1  405 -
/staff/schedule/sessions/<int:pk>/monitor/                                                           nur1  200 sessions.dosingsession.monitor:A
/staff/schedule/sessions/<int:pk>/no-show/                                                           nur1  405 -
/staff/schedule/sessions/<int:pk>/rems/submit/                                                       nur1  405 -
/staff/schedule/sessions/<int:pk>/start/                                                             nur1  405 -
/staff/schedule/sessions/<int:pk>/start/check/                                                       nur1  405 -
/staff/schedule/sessions/<int:pk>/vitals/                                                            nur1  405 -
"""

WRITES = """
PATCH /api/v1/patients/{id}/                           nur1 {"phone": "555-0199"} -> clinic.patient.update:A
POST  /api/v1/patients/{patient_pk}/assessments/       nur1 {"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 0]} -> intake.assessment.create:A
POST  /api/v1/patients/{patient_pk}/screenings/        nur1 {"height_cm": 170, "weight_kg": 70, "systolic": 120, "diastolic": 80, "heart_rate": 70, "failed_antidepressant_trials": 2} -> intake.screening.create:A intake.screening.decide:A intake.screening.status:A
POST  /api/v1/patients/{patient_pk}/medical-clearance/ pre1 {"note": "Reviewed with the patient."} -> intake.medicalclearance.create:A
POST  /api/v1/patients/{patient_pk}/care-team/         nur1 {"username": "therapist_unassigned"} -> clinic.careteam.add:A
POST  /api/v1/dosing-sessions/{id}/adverse-events/     nur1 {"kind": "nausea_vomiting", "severity": "mild", "action_taken": "Ondansetron given."} -> sessions.adverseevent.create:A
POST  /api/v1/integration-appointments/{id}/cancel/    nur1 {"reason": "Moved."} -> clinic.reminder.cancel:A sessions.integrationappointment.cancel:A sessions.integrationappointment.status:A
POST  /api/v1/courses/{id}/stop/                       pre1 {"reason": "Side effects."} -> clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A clinic.reminder.cancel:A sessions.dosingsession.status:A sessions.dosingsession.status:A sessions.dosingsession.status:A sessions.dosingsession.status:A sessions.dosingsession.status:A sessions.dosingsession.status:A sessions.treatmentcourse.status:A sessions.treatmentcourse.stop:A
"""
# fmt: on

# The API's routes: the record in each id, by the route's first segment (or the whole route).
API_TARGETS = {
    "patients": "patient",
    "courses": "course",
    "integration-appointments": "appointment",
    "screenings": "screening",
    "dosing-sessions": "monitoring",
    "dosing-sessions/{id}/rems": "esketamine",
    "integration-notes": "note",
    "reports": "report",
}
NOT_ABOUT_PATIENTS = {"/api/v1/chairs/", "/api/v1/schema/", "/api/v1/docs/", "/api/v1/", "/staff/intake/"}


def api_url(path: str, targets: dict[str, Any]) -> str:
    route = path.removeprefix("/api/v1/").rstrip("/")
    first = route.split("/", 1)[0]
    target = API_TARGETS.get(route, API_TARGETS.get(first))

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "patient_pk":
            return str(targets["patient"])
        if name == "user_id":
            return str(targets["therapist1"])
        return str(targets[target]) if target else str(MISSING)

    return re.sub(r"\{(\w+)\}", fill, path)


def api_gets() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, item in schema["paths"].items() if "get" in item)


def table(text: str) -> dict[str, tuple[str, int, list[str]]]:
    """READS as {route: (who, status, entries)}."""
    rows = {}
    for line in text.strip().splitlines():
        route, who, status, *entries = line.split()
        rows[route] = (who, int(status), [] if entries == ["-"] else sorted(entries))
    return rows


# Who reads a route in discovery, when not the nurse of site 1 (the patient for the portal).
READERS = {
    "/staff/integration/patients/<int:patient_pk>/notes/new/<str:modality>/": "the1",
    "/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/addenda/": "the1",
    "/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/edit/": "the1",
    "/staff/integration/patients/<int:patient_pk>/notes/<int:note_pk>/sign/": "the1",
    "/staff/integration/patients/<int:patient_pk>/relapse-plan/edit/": "the1",
    "/staff/notifications/<int:pk>/": "the1",
    "/staff/alerts/<int:pk>/open/": "the1",
    "/staff/alerts/<int:pk>/acknowledge/": "the1",
    "/staff/patients/<int:patient_pk>/intake/medical-clearance/": "pre1",
    "/staff/patients/<int:patient_pk>/intake/screenings/<int:screening_pk>/override/": "pre1",
    "/staff/break-glass/": "pre1",
    "/portal/welcome/<str:token>/": "anon",  # an invitation link is opened before signing in
    "/staff/operations/": "adm1",
    "/staff/operations/reminders/<int:pk>/retry/": "adm1",
    "/staff/reports/attention/": "adm1",
    "/staff/reports/<int:pk>/retry/": "adm1",
}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(NOW)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def cast(world: World, clock: Clock) -> Cast:
    return cast_of(world, clock)


def entries_of(request: Any, url: str, cast: Cast, **kwargs: Any) -> tuple[int, list[str]]:
    """The status of a request and the audit entries it wrote (`action:A`), in a savepoint rolled back after."""
    patient_a = cast.targets["patient"]
    with transaction.atomic():
        last = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        response = request(url, **kwargs)
        written = AuditEvent.objects.filter(sequence__gt=last).values_list("action", "patient_id")
        entries = sorted(
            f"{action}:{'A' if patient == patient_a else '-' if patient is None else 'B'}"
            for action, patient in written
        )
        transaction.set_rollback(True)
    return response.status_code, entries


def page_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def readable_routes(cast: Cast) -> dict[str, str]:
    """Every page and API GET route, with its URL for patient A's records."""
    routes = {pattern: page_url(pattern, cast.targets) for pattern in page_patterns()}
    routes.update({path: api_url(path, cast.targets) for path in api_gets()})
    return routes


@pytest.mark.django_db
def test_every_read_leaves_exactly_the_entries_expected(cast: Cast) -> None:
    rows = table(READS)
    discover = bool(os.environ.get("AUDIT_DISCOVER"))
    urls = readable_routes(cast)
    mismatches, missing = [], []
    for route, url in urls.items():
        if route not in rows:
            missing.append(route)
            if not discover:
                continue
        default = READERS.get(route, "pat_a" if route.startswith("/portal/") else "nur1")
        who, expected_status, expected = rows.get(route, (default, 200, []))
        user = cast.users[who]
        client = api_client(user) if route.startswith("/api/") else page_client(user)
        status, entries = entries_of(client.get, url, cast, headers=headers_for(route))
        if discover:
            print(f"{route:<80} {who:<5} {status} {' '.join(entries) or '-'}")
        if status != expected_status:
            mismatches.append(f"{route} as {who}: answered {status}, not {expected_status}")
        elif entries != expected:
            mismatches.append(f"{route} as {who}: expected {expected}, got {entries}")
    assert missing == [], "routes without a row in READS"
    assert sorted(set(rows) - set(urls)) == [], "rows in READS for routes that are gone"
    assert mismatches == []
    print(f"audit battery: {len(rows)} read routes")


@pytest.mark.django_db
def test_every_write_leaves_exactly_the_entries_expected(cast: Cast) -> None:
    mismatches = []
    for line in WRITES.strip().splitlines():
        request, _, written = line.partition(" ->")
        method, route, who, body = request.split(maxsplit=3)
        expected = written.split()
        client = api_client(cast.users[who])
        url = api_url(route, cast.targets)
        data = json.loads(body)
        status, entries = entries_of(
            lambda u, **_: client.generic(method, u, json.dumps(data), content_type="application/json"),  # noqa: B023
            url,
            cast,
        )
        if os.environ.get("AUDIT_DISCOVER"):
            print(f"{method} {route} {who} {status} {' '.join(entries)}")
        if status >= 300 or entries != sorted(expected):
            mismatches.append(f"{method} {route} as {who}: {status}, expected {sorted(expected)}, got {entries}")
    assert mismatches == []


@pytest.mark.django_db
def test_every_refused_request_for_a_patients_record_leaves_one_refusal(cast: Cast) -> None:
    """The nurse of the other site asks for every staff page and API route about patient A, patient B for every
    portal page about patient A's records: 404, one refusal each, naming patient A."""
    nurse2, patient_b = cast.users["nur2"], cast.users["pat_b"]
    mismatches, count = [], 0
    for route, url in readable_routes(cast).items():
        if not re.search(r"patient_pk|<int:pk>|\{id\}|\{patient_pk\}", route) or str(MISSING) in url:
            continue
        client = (
            api_client(nurse2)
            if route.startswith("/api/")
            else page_client(patient_b if route.startswith("/portal/") else nurse2)
        )
        status, entries = entries_of(client.get, url, cast, headers=headers_for(route))
        count += 1
        if status not in {403, 404} or entries != ["clinic.access.denied:A"]:
            mismatches.append(f"{route}: {status} {entries}")
    assert count > 20
    assert mismatches == [], "\n".join(mismatches)
    print(f"audit battery: {count} refused routes")


@pytest.mark.django_db
def test_the_chain_verifies_after_the_battery(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    nurse = page_client(cast.users["nur1"])
    assert nurse.get(f"/staff/patients/{cast.targets['patient']}/").status_code == 200
    assert page_client(cast.users["nur2"]).get(f"/staff/patients/{cast.targets['patient']}/").status_code == 404
    checked, broken = verify_chain()
    assert broken is None
    assert checked == AuditEvent.objects.count() > 10
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_a_direct_sql_update_of_an_entry_fails_on_postgresql(world: World, require_postgres: None) -> None:
    page_client(world.nurse1).get(f"/staff/patients/{world.patient_a.pk}/")
    event = AuditEvent.objects.filter(action="clinic.patient.view").get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE clinic_auditevent SET action = 'clinic.patient.nothing' WHERE id = %s", [event.id])
    event.refresh_from_db()
    assert event.action == "clinic.patient.view"


# Admin pages whose reads are not one entry per patient: the audit log's list is one entry with its filters
# (clinic.admin_audit); staff accounts' two-step sign-in holds no patient data (a patient's user is out of its scope).
ADMIN_LIST_ENTRIES = {"clinic.AuditEvent": ["clinic.auditevent.list:-"]}
ADMIN_NOT_PATIENT_DATA = {"security.StaffSignInSecurity"}


@pytest.mark.django_db
def test_the_admin_records_each_read_once_and_each_refusal(cast: Cast) -> None:
    """Every admin page about patient data: the list one `.list` entry per patient shown, a record's page one
    `.view` entry, and the administrator of the other site asking for the record one refusal naming patient A."""
    from django.contrib import admin
    from django.urls import reverse

    from clinic.admin_base import ClinicModelAdmin

    own, other = page_client(cast.users["adm1"]), page_client(cast.users["adm2"])
    patient_a, checked, mismatches = cast.targets["patient"], 0, []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        if not isinstance(model_admin, ClinicModelAdmin) or model_admin.patient_lookup is None:
            continue
        if model._meta.label in ADMIN_NOT_PATIENT_DATA:
            continue
        lookup = model_admin.patient_lookup
        record = model._default_manager.filter(**{lookup if lookup != "pk" else "pk": patient_a}).first()
        if record is None:
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        read = model_admin._read
        listed = entries_of(own.get, reverse(f"{name}_changelist"), cast)
        opened = entries_of(own.get, reverse(f"{name}_change", args=[record.pk]), cast)
        refused = entries_of(other.get, reverse(f"{name}_change", args=[record.pk]), cast)
        list_entries = ADMIN_LIST_ENTRIES.get(model._meta.label, [f"{read('list')}:A"])
        if model._meta.label == "clinic.Patient":  # the list shows every patient of site 1: one entry each
            shown = model._default_manager.filter(site=record.site).values_list("pk", flat=True)
            list_entries = sorted(f"{read('list')}:{'A' if pk == patient_a else 'B'}" for pk in shown)
        expected = ((200, list_entries), (200, [f"{read('view')}:A"]), (302, ["clinic.access.denied:A"]))
        if (listed, opened, refused) != expected:
            mismatches.append(f"{model._meta.label}: {listed} {opened} {refused}")
        checked += 1
    assert checked > 15
    assert mismatches == [], "\n".join(mismatches)
    print(f"audit battery: {checked} admin models")
