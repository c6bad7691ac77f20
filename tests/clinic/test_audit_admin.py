"""The audit log in the admin, for a clinic manager and an auditor: who, what in words, which patient, when in the
site's time, from where; filters by patient, user, action and dates; a streamed CSV export that is itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from clinic import audit
from clinic.models import AuditEvent, Patient
from tests.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
LIST = "/admin/clinic/auditevent/"
EXPORT = "/admin/clinic/auditevent/export/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _event(action: str, *, user, patient, **details) -> AuditEvent:
    with audit.audit_context(user=user, request_id="req-0123456789abcdef", ip_address="203.0.113.7"):
        return audit.record(action, patient=patient, obj=patient, details=details)


@pytest.fixture
def events(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, AuditEvent]:
    world.nurse1.first_name, world.nurse1.last_name = "Nia", "Nurse"
    world.nurse1.save()

    def at(day: int, hour: int) -> None:
        moment = dt.datetime(2026, 3, day, hour, 30, tzinfo=NEW_YORK)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    at(2, 9)
    viewed = _event("clinic.patient.view", user=world.nurse1, patient=world.patient_a, via="staff")
    at(5, 14)
    updated = _event("clinic.patient.update", user=world.admin1, patient=world.patient_a)
    at(9, 23)
    other = _event("intake.assessment.create", user=world.nurse1, patient=world.patient_a)
    at(9, 23)
    elsewhere = _event("clinic.patient.view", user=world.nurse2, patient=world.patient_b)
    monkeypatch.undo()
    return {"viewed": viewed, "updated": updated, "other": other, "elsewhere": elsewhere}


def _shown(response) -> list[str]:
    """The entries listed, less the sign-in of the test client and the log's own reads."""
    actions = [event.action for event in response.context["cl"].result_list]
    return [a for a in actions if a not in {"clinic.user.login", "clinic.auditevent.list"}]


def test_the_log_shows_who_what_which_patient_when_and_from_where(world: World, events) -> None:
    page = _client(world.admin1).get(LIST).content.decode()
    assert "Nia Nurse (Nurse)" in page
    assert "viewed the patient&#x27;s record" in page
    assert f"Testperson, Alpha ({world.patient_a.mrn})" in page
    assert "Mon, Mar 2, 2026, 9:30 AM EST" in page  # the patient's site time, with its zone
    assert "203.0.113.7" in page
    assert "req-0123" in page
    assert "Testperson, Bravo" not in page  # another site's patient: not in this administrator's log


def test_an_event_about_a_patient_the_viewer_cannot_see_shows_only_the_id(world: World) -> None:
    ghost = Patient.objects.order_by("-pk").first().pk + 100
    audit.record("clinic.patient.view", patient=ghost, actor=world.nurse1)
    root = UserFactory(role="", is_superuser=True, username="root")
    page = _client(root).get(LIST).content.decode()
    assert f"Patient #{ghost}" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"patient": "{mrn}"}, ["intake.assessment.create", "clinic.patient.update", "clinic.patient.view"]),
        ({"patient": "Alpha"}, ["intake.assessment.create", "clinic.patient.update", "clinic.patient.view"]),
        ({"actor": "{admin1}"}, ["clinic.patient.update"]),
        ({"action": "intake.assessment.create"}, ["intake.assessment.create"]),
        ({"occurred_from": "2026-03-03", "occurred_to": "2026-03-05"}, ["clinic.patient.update"]),
        ({"occurred_from": "2026-03-09"}, ["intake.assessment.create"]),
        ({"occurred_to": "2026-03-02"}, ["clinic.patient.view"]),
        ({"role": "clinic_admin"}, ["clinic.patient.update"]),
    ],
)
def test_filters_by_patient_user_action_and_dates(world: World, events, params: dict, expected: list[str]) -> None:
    values = {k: v.format(mrn=world.patient_a.mrn, admin1=world.admin1.pk) for k, v in params.items()}
    response = _client(world.admin1).get(LIST, values)
    assert response.status_code == 200
    assert _shown(response) == expected


def test_a_malformed_date_is_explained_beside_the_filter(world: World, events) -> None:
    response = _client(world.admin1).get(LIST, {"occurred_from": "03/03/2026"})
    assert response.status_code == 200
    assert "Enter a date such as 2026-03-01." in response.content.decode()


def test_the_filter_choices_read_as_words(world: World, events) -> None:
    page = _client(world.admin1).get(LIST).content.decode()
    assert "recorded an assessment" in page  # the action filter
    assert f"?actor={world.nurse1.pk}" in page  # the user filter lists the site's staff
    assert "Clinic administrator</a>" in page  # roles in words


def test_looking_through_the_log_is_itself_recorded_once_without_a_patient(world: World, events) -> None:
    _client(world.admin1).get(LIST, {"patient": world.patient_a.mrn})
    [event] = AuditEvent.objects.filter(action="clinic.auditevent.list")
    assert event.patient_id is None
    assert event.details["filters"] == {"patient": world.patient_a.mrn}


def _rows(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_streams_the_filtered_entries_and_is_audited_once(world: World, events) -> None:
    response = _client(world.admin1).get(EXPORT, {"patient": world.patient_a.mrn, "occurred_to": "2026-03-05"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response)
    assert [r["action"] for r in rows] == ["clinic.patient.update", "clinic.patient.view"]
    viewed = rows[1]
    assert viewed["what"] == "viewed the patient's record"
    assert viewed["who"] == "Nia Nurse"
    assert viewed["role"] == "Nurse"
    assert viewed["patient_mrn"] == world.patient_a.mrn
    assert viewed["local_time"] == "Mon, Mar 2, 2026, 9:30 AM EST"
    assert viewed["occurred_at_utc"] == "2026-03-02T14:30:00+00:00"
    assert (viewed["ip_address"], viewed["request_id"]) == ("203.0.113.7", "req-0123456789abcdef")
    [export] = AuditEvent.objects.filter(action="clinic.auditevent.export")
    assert export.actor == world.admin1
    assert export.details["filters"] == {"patient": world.patient_a.mrn, "occurred_to": "2026-03-05"}


def test_the_export_keeps_to_the_administrators_sites(world: World, events) -> None:
    rows = _rows(_client(world.admin1).get(EXPORT))
    assert {r["patient_mrn"] for r in rows} == {world.patient_a.mrn, ""}
    assert len([r for r in rows if r["patient_mrn"]]) == 3


def test_exported_cells_cannot_become_spreadsheet_formulas(world: World) -> None:
    world.patient_a.family_name = "=HYPERLINK(evil)"
    world.patient_a.save()
    audit.record("clinic.patient.view", patient=world.patient_a, actor=world.nurse1)
    [row] = _rows(_client(world.admin1).get(EXPORT, {"action": "clinic.patient.view"}))
    assert row["patient_name"].startswith("'=HYPERLINK")


def test_the_log_stays_read_only(world: World, events) -> None:
    client = _client(world.admin1)
    event = events["viewed"]
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{event.pk}/change/", {"action": "x.y.z"}).status_code == 403
    assert client.get(f"{LIST}{event.pk}/delete/").status_code == 403
    page = client.get(f"{LIST}{event.pk}/change/")
    assert page.status_code == 200
    assert "viewed the patient&#x27;s record" in page.content.decode()


def test_only_clinic_admins_may_export(world: World) -> None:
    assert _client(world.nurse1).get(EXPORT).status_code == 302  # to the admin's sign-in
    assert not AuditEvent.objects.filter(action="clinic.auditevent.export").exists()
