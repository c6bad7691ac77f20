"""Dissociation during the session (clinical protocol §4, "During"): the CADSS-6 at 40 min after dosing
starts, six items 0-4 scored by intake.instruments, recorded while dosing or in observation, audited; the due time
on the session page, from the protocol."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.models import AuditEvent, Site, User
from clinic.protocol import DEFAULT_PROTOCOL, Monitoring
from clinic.services import active_protocol_version, publish_protocol_version
from sessions import services
from sessions.models import DissociationScore, DosingSession, SessionStatus
from sessions.monitoring import cadss_due_at
from tests.conftest import api_as
from tests.factories import on_care_team
from tests.sessions.conftest import Clinic, Clock, advance_to, book, ny, session_page, signed_in

UTC_START = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("minutes", "due"),
    [(40, dt.datetime(2026, 5, 4, 12, 40, tzinfo=dt.UTC)), (25, dt.datetime(2026, 5, 4, 12, 25, tzinfo=dt.UTC))],
)
def test_cadss_is_due_cadss_at_min_after_dosing_starts(minutes: int, due: dt.datetime) -> None:
    assert cadss_due_at(UTC_START, Monitoring(cadss_at_min=minutes)) == due
    assert cadss_due_at(UTC_START.astimezone(ny(2026, 5, 4).tzinfo), Monitoring(cadss_at_min=minutes)).tzinfo is dt.UTC


def test_cadss_due_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        cadss_due_at(dt.datetime(2026, 5, 4, 12), Monitoring())  # noqa: DTZ001


def publish(site: Site, **monitoring: Any) -> None:
    active_protocol_version(site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["monitoring"].update(monitoring)
    publish_protocol_version(by=None, site=site, settings=settings, change_summary="monitoring change")


def call(user: User, session: DosingSession, **body: Any) -> Any:
    return api_as(user).post(f"/api/v1/dosing-sessions/{session.pk}/dissociation/", body, format="json")


@pytest.fixture
def dosing(clinic: Clinic) -> DosingSession:
    return advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)  # dosing from 08:00


# --- The service and the API ------------------------------------------------------------------------------------


def test_recording_the_cadss_while_dosing(clinic: Clinic, clock: Clock, dosing: DosingSession) -> None:
    clock.advance(minutes=41)
    response = call(clinic.nurse, dosing, items=[1, 2, 0, 3, 4, 1])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["total"] == 11
    assert body["minutes_after_dosing_start"] == 41
    assert body["items"] == [1, 2, 0, 3, 4, 1]
    assert body["recorded_by"] == clinic.nurse.pk
    record = DissociationScore.objects.get()
    assert (record.total, record.session_id, record.recorded_at) == (11, dosing.pk, ny(2026, 5, 4, 8, 41))
    event = AuditEvent.objects.get(action="sessions.dissociationscore.create")
    assert event.patient_id == clinic.patient.pk
    assert event.actor_id == clinic.nurse.pk
    assert event.details["total"] == 11
    assert event.details["items"] == [1, 2, 0, 3, 4, 1]
    assert event.details["minutes_after_dosing_start"] == 41
    assert event.details["session"] == dosing.pk
    detail = api_as(clinic.nurse).get(f"/api/v1/dosing-sessions/{dosing.pk}/").json()
    assert [d["total"] for d in detail["dissociation"]] == [11]


def test_recording_the_cadss_in_observation_after_dosing(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.MONITORING, clock)
    clock.advance(minutes=5)
    record = services.record_dissociation(by=clinic.prescriber, session=session, items=[0] * 6)
    assert (record.total, record.minutes_after_dosing_start) == (0, 45)


@pytest.mark.parametrize("status", [SessionStatus.SCHEDULED, SessionStatus.CHECKED_IN, SessionStatus.DISCHARGED])
def test_the_cadss_outside_dosing_and_observation_is_refused(clinic: Clinic, clock: Clock, status: str) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    if status != SessionStatus.SCHEDULED:
        session = advance_to(clinic, session, status, clock)
    response = call(clinic.nurse, session, items=[1] * 6)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert not DissociationScore.objects.exists()


@pytest.mark.parametrize(
    ("items", "field", "words"),
    [
        ([0, 0, 0, 5, 0, 0], "items[3]", "item 4 must be a whole number from 0 to 4, got 5"),
        ([0, 0, 0, 0, 0, -1], "items[5]", "item 6"),
        ([0, 0, 0, 0, 0], "items", "needs 6 answers, got 5"),
        ([0] * 7, "items", "needs 6 answers, got 7"),
    ],
)
def test_a_bad_item_answers_400_naming_it(
    dosing: DosingSession, clinic: Clinic, items: list[int], field: str, words: str
) -> None:
    response = call(clinic.nurse, dosing, items=items)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert words in response.json()[field][0]
    assert not DissociationScore.objects.exists()
    assert not AuditEvent.objects.filter(action="sessions.dissociationscore.create").exists()


def test_a_malformed_body_answers_400(dosing: DosingSession, clinic: Clinic) -> None:
    assert call(clinic.nurse, dosing, items="none").status_code == 400
    assert call(clinic.nurse, dosing).status_code == 400


def test_only_nurses_and_prescribers_record_it(dosing: DosingSession, clinic: Clinic) -> None:
    on_care_team(clinic.patient, clinic.therapist)
    assert call(clinic.therapist, dosing, items=[0] * 6).status_code == 403
    assert call(clinic.front_desk, dosing, items=[0] * 6).status_code == 404


# --- The session page -------------------------------------------------------------------------------------------


def test_the_page_says_when_the_cadss_is_due_and_when_it_is_overdue(
    clinic: Clinic, clock: Clock, dosing: DosingSession
) -> None:
    client = signed_in(clinic.nurse)
    text = client.get(session_page(dosing)).content.decode()
    assert "CADSS due at <strong>8:40 AM</strong>" in text
    assert "overdue</span>" not in text.split('id="cadss-due"')[1].split("</p>")[0]
    clock.advance(minutes=40)
    monitor = client.get(f"{session_page(dosing)}monitor/").content.decode()
    cadss_line = monitor.split('id="cadss-due"')[1].split("</p>")[0]
    assert "8:40 AM" in cadss_line
    assert '<span class="badge badge--danger">overdue</span>' in cadss_line


def test_the_due_time_follows_the_protocol(clinic: Clinic, clock: Clock) -> None:
    publish(clinic.site, cadss_at_min=25)
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    text = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    assert "CADSS due at <strong>8:25 AM</strong>" in text
    assert "CADSS due at <strong>8:40 AM</strong>" not in text
    assert "25 min after dosing started" in text


def test_the_compact_form_records_the_score_and_the_page_shows_it(
    clinic: Clinic, clock: Clock, dosing: DosingSession
) -> None:
    client = signed_in(clinic.nurse)
    text = client.get(session_page(dosing)).content.decode()
    assert text.count('<select name="cadss_') == 6
    assert "1. Things seem to move in slow motion" in text
    assert "6. Gaps in memory" in text
    assert '<option value="4">4 - extremely</option>' in text
    assert text.count('<option value="" selected>—</option>') == 6  # nothing pre-answered
    clock.advance(minutes=40)
    data = {f"cadss_{n}": str(value) for n, value in enumerate([2, 1, 0, 0, 3, 0], start=1)}
    response = client.post(f"{session_page(dosing)}dissociation/", data, follow=True)
    page = response.content.decode()
    assert "CADSS-6 recorded." in page
    assert "8:40 AM total 6</strong>" in page
    assert 'id="cadss-due"' not in page  # recorded: no longer due
    assert DissociationScore.objects.get().items == [2, 1, 0, 0, 3, 0]


def test_an_incomplete_form_records_nothing(clinic: Clinic, dosing: DosingSession) -> None:
    response = signed_in(clinic.nurse).post(f"{session_page(dosing)}dissociation/", {"cadss_1": "2"}, follow=True)
    assert "This field is required" in response.content.decode()
    assert not DissociationScore.objects.exists()


def test_front_desk_sees_no_cadss(clinic: Clinic, dosing: DosingSession) -> None:
    client = signed_in(clinic.front_desk)
    assert "CADSS" not in client.get(session_page(dosing)).content.decode()
    assert (
        client.post(f"{session_page(dosing)}dissociation/", {f"cadss_{n}": "0" for n in range(1, 7)}).status_code == 404
    )
    assert not DissociationScore.objects.exists()


def test_the_form_is_offered_only_while_dosing_or_in_observation(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.CHECKED_IN)
    assert "Record the CADSS-6" not in signed_in(clinic.nurse).get(session_page(session)).content.decode()
    session = advance_to(clinic, session, SessionStatus.DISCHARGED, clock)
    text = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    assert "Record the CADSS-6" not in text
    assert "Not recorded yet: due at 8:40 AM" in text
