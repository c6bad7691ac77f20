"""What the page matrix and the audit battery share: the staff and portal URL patterns (a walk of the resolver),
the records of patient A that fill their ids, and the requesters (the columns of tests/test_access_matrix.py).

Patient A (site 1) has records in every state the access matrix's routes act on (its `_records`), plus an
integration note, a PHQ-9, a notification and a report; each URL is filled with patient A's record of its kind.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from clinic import invitations
from clinic.models import NotificationKind, Role, User
from clinic.notifications import notify_care_team
from clinic.reports.models import ReportJob
from intake.services import record_assessment
from integration import services as integration_services
from messaging import services as messaging_services
from sessions import services
from sessions.models import DosingSession
from sessions.services import requests as request_services
from tests.conftest import World
from tests.factories import PatientFactory, staff
from tests.records import Cast, course_and_appointment, start
from tests.sessions.conftest import PROCEED, Clock

COLUMNS = ("anon", "pat_a", "pat_b", "adm1", "pre1", "nur1", "the1", "fd1", "adm2", "pre2", "nur2", "the2", "fd2")
AREAS = ("staff/", "portal/")


def page_patterns() -> list[str]:
    """Every URL pattern under /staff/ and /portal/, as `/staff/sessions/<int:pk>/` (the resolver's words)."""

    def walk(patterns: list[Any], prefix: str) -> list[str]:
        found = []
        for entry in patterns:
            if isinstance(entry, URLResolver):
                found += walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))
        return found

    return sorted({f"/{p}" for p in walk(get_resolver().url_patterns, "") if p.startswith(AREAS)})


def _records(world: World, clock: Clock) -> dict[str, Any]:
    """Patient A's sessions, course and appointment, through the services (sessions inserted apart, so that the
    spacing rules stay quiet)."""
    patient, nurse = world.patient_a, world.nurse1
    begun = start(world, clock)  # the same start as the access matrix's records (tests/records.py)
    chair, override_needed, booked = begun.chair, begun.override_needed, begun.booked

    def dosed(days: float, route: str = "iv") -> DosingSession:
        session = booked(days, route)
        services.check_in(by=nurse, session=session, fasting_solids_hours=Decimal(8),
                          fasting_clear_liquids_hours=Decimal(3), escort_confirmed=True)  # fmt: skip
        services.record_vitals(by=nurse, session=session, **PROCEED)
        services.start_dosing(by=nurse, session=session, lot_number="LOT-1")
        return session

    records = {"scheduled": booked(30), "monitoring": dosed(-10), "esketamine": dosed(-12, "esketamine")}
    clock.advance(minutes=10)
    for session in (records["monitoring"], records["esketamine"]):
        services.end_dosing(by=nurse, session=session, stop_reason="Fictional early stop for the matrix.")
    clock.advance(minutes=130)
    services.discharge_session(by=nurse, session=records["esketamine"], aldrete=[2] * 5, escort_confirmed=True)
    course, appointment = course_and_appointment(world, chair, records["scheduled"])
    return {
        **{name: session.pk for name, session in records.items()},
        "patient": patient.pk,
        "chair": chair.pk,
        "course": course.pk,
        "appointment": appointment.pk,
        "screening": override_needed.pk,
        "therapist1": world.therapist1.pk,
    }


def cast_of(world: World, clock: Clock) -> Cast:
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
    targets = _records(world, clock)
    patient = world.patient_a
    assessment = record_assessment(by=world.nurse1, patient=patient, instrument="phq9", answers=[1] * 9)
    note = integration_services.create_note(
        by=world.therapist1,
        patient=patient,
        data={
            "modality": "ifs",
            "ifs": {"feel_toward": "Curious", "parts": []},
            "dosing_session": targets["monitoring"],
            "started_at": clock.now - dt.timedelta(hours=1),
            "duration_min": 60,
            "narrative": "Fictional narrative for the page matrix.",
            "plan": "Fictional plan.",
        },
    ).note
    [notification, *_] = notify_care_team(patient, kind=NotificationKind.INFO, title="Fictional alert")
    report = ReportJob.objects.create(
        patient=patient,
        requested_by=world.nurse1,
        kind="course_summary",
        parameters={"course": targets["course"]},
        request_key="matrix",
    )
    thread = messaging_services.start_thread(
        by=world.patient_a_user, patient=patient, subject="Fictional question", body="Fictional question, matrix."
    ).message.thread
    change_request = request_services.request_change(
        by=world.patient_a_user,
        subject=DosingSession.objects.filter(course_id=targets["course"]).order_by("start").first(),
        kind="cancel",
        reason="Fictional reason for the page matrix.",
    )
    # A link of a patient of site 1 who has no portal account yet (patient A has one, so cannot be invited).
    _invitation, token = invitations._create(
        by=world.front_desk1, patient=PatientFactory(site=world.site1, given_name="Ines"), now=clock.now
    )
    targets.update(
        assessment=getattr(assessment, "assessment", assessment).pk,
        note=note.pk,
        notification=notification.pk,
        report=report.pk,
        thread=thread.pk,
        request=change_request.pk,
        invitation_token=token,
    )
    return Cast(users=users, targets=targets)


# The record in each id of a page's URL: by the id's name, or by the pattern when the id is called `pk`.
KWARG_TARGETS = {
    "patient_pk": "patient",
    "screening_pk": "screening",
    "assessment_pk": "assessment",
    "note_pk": "note",
    "user_pk": "therapist1",
    "thread_pk": "thread",
}
PK_TARGETS = (
    ("/staff/schedule/sessions/", "monitoring"),
    ("/staff/schedule/integration/", "appointment"),
    ("/portal/sessions/", "scheduled"),
    ("/portal/integration/", "appointment"),
    ("/staff/alerts/", "notification"),
    ("/staff/notifications/", "notification"),
    ("/staff/reports/", "report"),
    ("/portal/reports/", "report"),
    ("/staff/schedule/requests/", "request"),
    ("/portal/messages/", "thread"),
)
TOKEN_TARGETS = (("/portal/welcome/", "invitation_token"),)  # other links (a questionnaire's) are missing ones
WORDS = {"instrument": "phq9", "modality": "emdr"}
# Parts of a page that only htmx asks for (opened as a page, each redirects to its whole page): asked for as htmx,
# so that the answer is the part's own.
HTMX_PAGES = frozenset({"/portal/reports/<int:pk>/"})
MISSING = 999999  # an id no record has (a reminder, an evaluation, a safety task: patient A has none)


def url_of(pattern: str, targets: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        if name in WORDS:
            return WORDS[name]
        if name in KWARG_TARGETS:
            return str(targets[KWARG_TARGETS[name]])
        if name == "token":
            for prefix, target in TOKEN_TARGETS:
                if pattern.startswith(prefix):
                    return str(targets[target])
        if name == "pk":
            for prefix, target in PK_TARGETS:
                if pattern.startswith(prefix):
                    return str(targets[target])
        return str(MISSING)

    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, pattern)


def headers_for(pattern: str) -> dict[str, str]:
    """The headers a page's request carries: htmx's for the parts only htmx asks for."""
    return {"HX-Request": "true"} if pattern in HTMX_PAGES else {}
