"""The API under fuzzing (issue 12, the battery's "Fuzzing"): schemathesis generates requests for every operation of
`/api/v1/schema/`, boundary values and random ones, and sends them with a prescriber's token to the WSGI app over a
demo clinic; no answer may be a server error, and every answer must be one the schema documents (its status code,
its content type and its body).

Bounded: `MAX_EXAMPLES` random cases per operation after schemathesis's boundary cases, a deadline per case, the
same cases on every run (derandomized). Marked `postgres`: in CI it runs on PostgreSQL, where a NUL byte or an
integer past bigint fails in the database (SQLite forgives both); elsewhere it is skipped without DATABASE_URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinic import demo
from clinic.audit import audit_context
from clinic.models import Chair, Patient, Role, User
from intake.models import Screening
from sessions.models import DosingSession, IntegrationAppointment, TreatmentCourse
from tests.factories import PatientFactory, SiteFactory, staff

MAX_EXAMPLES = 25
DEADLINE = dt.timedelta(seconds=5)  # per case; a request slower than this is a finding too
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def api_token(user: User) -> str:
    """A token for `user`, whichever token app is installed (DRF's or django-rest-knox)."""
    if "knox" in django_settings.INSTALLED_APPS:
        from knox.models import AuthToken

        return str(AuthToken.objects.create(user)[1])
    from rest_framework.authtoken.models import Token

    return str(Token.objects.create(user=user).key)


@pytest.fixture
def fuzz_clinic(db: None) -> User:
    """The demo clinic (patients at every stage, courses, sessions, appointments) and a second site whose patient
    the prescriber may not see; answers the demo prescriber."""
    with audit_context():
        ctx = demo.seed()
    other = SiteFactory(name="Other Test Site", code="OTHER")
    PatientFactory(site=other, given_name="Hidden", family_name="Testperson")
    staff(Role.NURSE, other, username="nurse.other")
    return ctx.staff["prescriber"]


@pytest.fixture
def fuzz_token(fuzz_clinic: User) -> str:
    return api_token(fuzz_clinic)


class KnownIds:
    """Generated ids from 0 to a million are replaced by ids of records that exist (of the demo clinic, or of the other
    site), so that requests reach the services instead of stopping at 404; others are kept as generated."""

    def __init__(self) -> None:
        users = list(User.objects.exclude(role=Role.PATIENT).values_list("pk", flat=True))
        self.by_kind: dict[str, list[int]] = {
            "patients": list(Patient.objects.values_list("pk", flat=True)),
            "dosing-sessions": list(DosingSession.objects.values_list("pk", flat=True)),
            "courses": list(TreatmentCourse.objects.values_list("pk", flat=True)),
            "integration-appointments": list(IntegrationAppointment.objects.values_list("pk", flat=True)),
            "screenings": list(Screening.objects.values_list("pk", flat=True)),
            "chairs": list(Chair.objects.values_list("pk", flat=True)),
            "users": users,
        }

    def pick(self, kind: str, value: Any) -> Any:
        ids = self.by_kind.get(kind)
        if not ids or not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1_000_000:
            return value
        return ids[value % len(ids)]

    def path_parameters(self, context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        if not path_parameters:
            return path_parameters
        resource = context.operation.path.removeprefix("/api/v1/").split("/", 1)[0]
        kinds = {"patient_pk": "patients", "user_id": "users", "id": resource}
        return {name: self.pick(kinds.get(name, ""), value) for name, value in path_parameters.items()}

    def body(self, body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        return {name: self.pick(BODY_REFERENCES.get(name, ""), value) for name, value in body.items()}


BODY_REFERENCES = {"patient": "patients", "chair": "chairs", "therapist": "users", "supervising_clinician": "users",
                   "course": "courses", "dosing_session": "dosing-sessions"}  # fmt: skip


@pytest.fixture
def api_schema(fuzz_clinic: User) -> Iterator[Any]:
    """The schema as the app serves it, loaded through the WSGI app, with ids mostly of existing records (KnownIds).
    Requests keep the test's database connection (and its transaction), as Django's test client does: the app must
    not close it at the end of a request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
        known = KnownIds()

        @loaded.hook
        def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
            return known.path_parameters(context, path_parameters)

        @loaded.hook
        def map_body(context: Any, body: Any) -> Any:
            return known.body(body)

        yield loaded
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 renames each operation's subtest through `node._nodeid`, which pytest 9.2 no longer has
    (it keeps the id in `_id`); give it the attribute it reads and writes."""
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.usefixtures("node_id_for_schemathesis")
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=DEADLINE,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_the_api_answers_every_generated_request_within_its_schema(case: Any, fuzz_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {fuzz_token}"}, checks=CHECKS)
