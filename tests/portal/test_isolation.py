"""Patient A can never see anything of patient B (issue 11, item 8): every portal URL pattern is walked with A's own
object ids (they must lead somewhere, so that the walk proves something) and then as patient B with A's ids (404,
and no page B may open shows anything of A). The same for the `/api/v1/me/` routes.

A route added to the portal with an id of a kind the walk does not know fails `test_every_portal_route_is_walked`:
give it a target in TARGETS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from clinic.models import Patient, User
from clinic.reports.models import ReportJob
from intake import services as intake_services
from messaging import services as messaging_services
from sessions import services as session_services
from tests.factories import on_care_team, patient_user
from tests.sessions.conftest import Clock, book, clock, make_clinic, ny

__all__ = ["clock"]

pytestmark = pytest.mark.django_db

# The record each portal route's id names, by (URL name, keyword).
TARGETS = {
    ("questionnaire_done", "assessment_pk"): "assessment",
    ("report_status", "pk"): "report",
    ("report_download", "pk"): "report",
    ("session_calendar", "pk"): "session",
    ("appointment", "pk"): "appointment",
    ("appointment_calendar", "pk"): "appointment",
    ("message_thread", "pk"): "thread",
    # issue 11 part 1's routes (asking to change a session, the pre-visit check-in)
    ("session_change", "pk"): "session",
    ("check_in", "pk"): "session",
    ("appointment_change", "pk"): "appointment",
}
# Words, not records: a link's token names no record of A's (an invitation or a questionnaire link that is no one's).
TEXT_KWARGS = {"instrument": "phq9", "token": "not-a-real-link"}
SECRET_SUBJECT = "Alphaonly question about parking"
SECRET_BODY = "Alphaonly body: where do I park the fictional car?"


@dataclass
class Two:
    a: Patient
    b: Patient
    a_user: User
    b_user: User
    records: dict[str, int]

    def markers(self) -> list[str]:
        """What must never appear on B's pages: A's names, MRN, message text."""
        return [self.a.mrn, self.a.given_name, self.a.family_name, SECRET_SUBJECT, SECRET_BODY]


@pytest.fixture
def two(clock: Clock) -> Two:
    clinic_a, clinic_b = make_clinic("ISOA"), make_clinic("ISOB")
    a = clinic_a.cleared_patient(given_name="Alphaunique", family_name="Isolationa")
    b = clinic_b.patient
    on_care_team(a, clinic_a.therapist)
    a_user, b_user = patient_user(a, username="iso.a"), patient_user(b, username="iso.b")
    assessment = intake_services.record_assessment(
        by=clinic_a.nurse, patient=a, instrument="phq9", answers=[1] * 8 + [0]
    )
    session = book(clinic_a, ny(2026, 5, 6, 9), patient=a)
    appointment = session_services.book_integration_appointment(
        by=clinic_a.front_desk,
        patient=a,
        therapist=clinic_a.therapist,
        start=ny(2026, 5, 7, 14),
        duration_min=60,
        room="Room 2",
    ).appointment
    thread = messaging_services.start_thread(by=a_user, patient=a, subject=SECRET_SUBJECT, body=SECRET_BODY)
    report = ReportJob.objects.create(patient=a, kind="course_summary", request_key="isolation")
    intake_services.save_questionnaire_draft(by=a_user, patient=a, instrument="gad7", answered={"1": 2})
    records = {
        "assessment": assessment.pk,
        "session": session.pk,
        "appointment": appointment.pk,
        "thread": thread.message.thread_id,
        "report": report.pk,
    }
    return Two(a, b, a_user, b_user, records)


def portal_routes() -> list[tuple[str, str, list[str]]]:
    """(URL name, route with <converter:name> parts, keyword names) of every portal pattern."""
    found: list[tuple[str, str, list[str]]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "portal":
                found.append((entry.name or "", prefix + str(entry.pattern), list(entry.pattern.converters)))

    walk(get_resolver().url_patterns, "/", None)
    return found


def url_for(route: str, name: str, kwargs: list[str], records: dict[str, int]) -> str:
    url = route
    for key in kwargs:
        value = TEXT_KWARGS.get(key) or str(records[TARGETS[(name, key)]])
        url = url.replace(f"<int:{key}>", value).replace(f"<str:{key}>", value).replace(f"<{key}>", value)
    return url


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_portal_route_is_walked() -> None:
    routes = portal_routes()
    assert len(routes) >= 10
    unknown = [
        (name, key) for name, _, keys in routes for key in keys if key not in TEXT_KWARGS and (name, key) not in TARGETS
    ]
    assert unknown == [], "give these portal routes a target record in TARGETS"


def test_a_opens_their_own_records(two: Two) -> None:
    client = client_for(two.a_user)
    for name, route, keys in portal_routes():
        if not keys or set(keys) <= set(TEXT_KWARGS):
            continue
        url = url_for(route, name, keys, two.records)
        response = client.get(url)
        assert response.status_code not in (404, 500), f"{url}: {response.status_code} for its own patient"


def test_b_never_sees_anything_of_a_on_any_portal_page(two: Two) -> None:
    client = client_for(two.b_user)
    for name, route, keys in portal_routes():
        url = url_for(route, name, keys, two.records)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            text = response.content.decode(errors="replace") if not response.streaming else ""
            if keys and not set(keys) <= set(TEXT_KWARGS):
                assert response.status_code in (404, 405), f"{method.upper()} {url}: {response.status_code}"
            assert response.status_code != 500, f"{method.upper()} {url}"
            leaked = [marker for marker in two.markers() if marker in text]
            assert leaked == [], f"{method.upper()} {url} shows {leaked}"
    home = client.get("/portal/").content.decode()
    assert two.b.given_name in home


def me_routes() -> list[str]:
    """Every `/api/v1/me/...` route without an id in its path."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if route.startswith("/api/v1/me/") and "<" not in route:
                    found.append(route)

    walk(get_resolver().url_patterns, "/")
    return sorted(set(found))


def test_b_never_sees_anything_of_a_through_the_api(two: Two) -> None:
    api = APIClient()
    api.force_authenticate(two.b_user)
    routes = me_routes()
    assert {"/api/v1/me/", "/api/v1/me/messages/"} <= set(routes)
    for url in routes:
        response = api.get(url)
        assert response.status_code in (200, 405), f"{url}: {response.status_code}"
        leaked = [marker for marker in two.markers() if marker in response.content.decode()]
        assert leaked == [], f"{url} shows {leaked}"
    reply = api.post("/api/v1/me/messages/", {"thread": two.records["thread"], "body": "Hello?"}, format="json")
    assert reply.status_code == 404
    if "/api/v1/me/appointment-requests/" in routes:  # issue 11 part 1: a request about A's session
        body = {"dosing_session": two.records["session"], "kind": "cancel", "reason": "Fictional reason."}
        assert api.post("/api/v1/me/appointment-requests/", body, format="json").status_code == 404
    assert two.b.mrn in api.get("/api/v1/me/").content.decode()


def test_b_does_not_continue_as_draft_of_a(two: Two) -> None:
    page = client_for(two.b_user).get("/portal/questionnaires/gad7/").content.decode()
    assert " checked" not in page
