"""A session's life through the API (clinical protocol §2 and §4): check-in, pre-dose vitals and the gate,
start of dosing, in-session alerts, end, discharge; every 409 code, out-of-order calls, and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.models import AuditEvent, Notification, User
from sessions import services
from sessions.models import (
    CourseStatus,
    DoseRecord,
    DosingSession,
    ReviewAcknowledgement,
    SessionStatus,
    TreatmentCourse,
    VitalSign,
)
from tests.conftest import api_as
from tests.factories import on_care_team
from tests.sessions.conftest import PROCEED, Clinic, Clock, advance_to, book, ny

CHECK_IN = {"fasting_solids_hours": 8, "fasting_clear_liquids_hours": 3, "escort_confirmed": True}
DISCHARGE = {"aldrete": [2, 2, 2, 2, 2], "escort_confirmed": True}


def call(user: User, session: DosingSession, step: str, **body: Any) -> Any:
    return api_as(user).post(f"/api/v1/dosing-sessions/{session.pk}/{step}/", body, format="json")


@pytest.fixture
def session(clinic: Clinic) -> DosingSession:
    return book(clinic, ny(2026, 5, 4, 9))


def checked_in(clinic: Clinic, session: DosingSession, **vitals: int) -> DosingSession:
    assert call(clinic.nurse, session, "check-in", **CHECK_IN).status_code == 200
    if vitals:
        assert call(clinic.nurse, session, "vitals", phase="pre", **vitals).status_code == 201
    return session


def code(response: Any) -> str:
    assert response.status_code == 409, (response.status_code, response.json())
    return str(response.json()["code"])


def test_a_session_from_check_in_to_discharge(clinic: Clinic, clock: Clock, session: DosingSession) -> None:
    nurse = clinic.nurse
    response = call(nurse, session, "check-in", **CHECK_IN)
    assert response.status_code == 200
    assert response.json()["fasting"] == "ok"
    pre = call(nurse, session, "vitals", phase="pre", **PROCEED, respiratory_rate=14)
    assert pre.status_code == 201
    assert pre.json()["gate"] == "proceed"
    assert pre.json()["alerts"] == []
    assert set(pre.json()) >= {"id", "gate", "alerts"}
    start = call(nurse, session, "start", mg_per_kg=0.5, lot_number="LOT-42", concentration_mg_per_ml=10)
    assert start.status_code == 200, start.json()
    dose = start.json()["dose"]
    assert dose["dose_mg"] == 35.0  # 0.5 mg/kg x 70 kg (the screening's weight)
    assert dose["rate_mg_per_min"] == 0.88
    assert dose["pump_rate_ml_per_h"] == 150.0
    assert dose["draw_volume_ml"] == 3.5
    assert dose["steps"][0].startswith("BMI 24.2")
    clock.advance(minutes=10)
    during = call(nurse, session, "vitals", phase="during", systolic=132, diastolic=84, heart_rate=88, spo2=97)
    assert during.json()["gate"] is None
    assert during.json()["alerts"] == []
    clock.advance(minutes=30)
    assert call(nurse, session, "end").json()["status"] == "monitoring"
    clock.advance(minutes=15)
    assert call(nurse, session, "vitals", systolic=128, diastolic=80, heart_rate=76, spo2=98).json()["phase"] == "post"
    clock.advance(minutes=15)
    done = call(nurse, session, "discharge", **DISCHARGE, instructions_given=True, no_driving_acknowledged=True)
    assert done.status_code == 200, done.json()
    assert done.json()["discharge"]["aldrete_total"] == 10
    assert done.json()["discharge"]["observation_min"] == 30
    session.refresh_from_db()
    assert session.status == SessionStatus.DISCHARGED
    record = DoseRecord.objects.get(session=session)
    assert record.inputs["weight_kg"] == "70.0"
    assert record.result["dose_mg"] == "35.0"
    assert record.protocol_version == session.protocol_version
    assert record.administered_by == nurse
    assert [c.to_status for c in session.status_changes.all()] == [
        "scheduled", "checked_in", "dosing", "monitoring", "discharged"
    ]  # fmt: skip
    detail = api_as(nurse).get(f"/api/v1/dosing-sessions/{session.pk}/").json()
    assert [v["phase"] for v in detail["vitals"]] == ["pre", "during", "post"]
    assert detail["dose"]["lot_number"] == "LOT-42"
    assert detail["discharge"]["no_driving_acknowledged"] is True


def test_every_step_is_audited(clinic: Clinic, clock: Clock, session: DosingSession) -> None:
    advance_to(clinic, session, SessionStatus.DISCHARGED, clock)
    services.record_adverse_event(
        by=clinic.nurse, session=session, kind="nausea_vomiting", severity="mild", action_taken="Ondansetron 4 mg"
    )
    api_as(clinic.nurse).get(f"/api/v1/dosing-sessions/{session.pk}/")
    actions = set(AuditEvent.objects.filter(patient=clinic.patient).values_list("action", flat=True))
    assert actions >= {
        "sessions.dosingsession.book",
        "sessions.dosingsession.status",
        "sessions.checkin.create",
        "sessions.vitalsign.create",
        "sessions.doserecord.create",
        "sessions.doserecord.end",
        "sessions.discharge.create",
        "sessions.adverseevent.create",
        "sessions.dosingsession.view",
    }
    dose_event = AuditEvent.objects.get(action="sessions.doserecord.create")
    assert dose_event.actor == clinic.nurse
    assert dose_event.details["lot_number"] == "LOT-1"
    assert dose_event.details["protocol_version"] == session.protocol_version.number
    statuses = AuditEvent.objects.filter(action="sessions.dosingsession.status").order_by("occurred_at")
    assert [e.details["to"] for e in statuses] == ["checked_in", "dosing", "monitoring", "discharged"]


# --- Out of order -----------------------------------------------------------------------------------------------


def test_out_of_order_calls_answer_invalid_transition(clinic: Clinic, clock: Clock, session: DosingSession) -> None:
    nurse = clinic.nurse
    assert code(call(nurse, session, "vitals", **PROCEED)) == "invalid_transition"
    assert code(call(nurse, session, "start", lot_number="L")) == "invalid_transition"
    assert code(call(nurse, session, "end")) == "invalid_transition"
    assert code(call(nurse, session, "discharge", **DISCHARGE)) == "invalid_transition"
    checked_in(clinic, session, **PROCEED)
    assert code(call(nurse, session, "check-in", **CHECK_IN)) == "invalid_transition"
    assert code(call(nurse, session, "end")) == "invalid_transition"
    assert call(nurse, session, "start", lot_number="L").status_code == 200
    assert code(call(nurse, session, "start", lot_number="L")) == "invalid_transition"
    assert code(call(nurse, session, "discharge", **DISCHARGE)) == "invalid_transition"
    assert code(call(clinic.front_desk, session, "cancel")) == "invalid_transition"
    clock.advance(minutes=40)
    assert call(nurse, session, "end").status_code == 200
    assert code(call(nurse, session, "end")) == "invalid_transition"
    clock.advance(minutes=30)
    assert call(nurse, session, "discharge", **DISCHARGE).status_code == 200
    assert code(call(nurse, session, "vitals", **PROCEED)) == "invalid_transition"
    assert code(call(nurse, session, "discharge", **DISCHARGE)) == "invalid_transition"


# --- Starting dosing --------------------------------------------------------------------------------------------


def test_start_needs_pre_dose_vitals(clinic: Clinic, session: DosingSession) -> None:
    checked_in(clinic, session)
    assert code(call(clinic.nurse, session, "start", lot_number="L")) == "vitals_required"


def test_a_defer_reading_blocks_dosing_and_the_session_can_be_deferred(clinic: Clinic, session: DosingSession) -> None:
    checked_in(clinic, session, systolic=185, diastolic=100, heart_rate=80, spo2=98)
    response = call(clinic.prescriber, session, "start", lot_number="L", review_reason="I accept")
    assert code(response) == "gate_defer"
    assert "above 180" in response.json()["reasons"][0]
    assert call(clinic.nurse, session, "defer", reason="").status_code == 400
    assert call(clinic.nurse, session, "defer", reason="BP 185/100").json()["status"] == "deferred"
    other = clinic.cleared_patient()
    assert book(clinic, ny(2026, 5, 4, 9), patient=other).status == SessionStatus.SCHEDULED  # the chair is free


def test_a_later_proceed_reading_replaces_a_defer(clinic: Clinic, session: DosingSession) -> None:
    checked_in(clinic, session, systolic=185, diastolic=100, heart_rate=80, spo2=98)
    assert call(clinic.nurse, session, "vitals", **PROCEED).json()["gate"] == "proceed"
    assert call(clinic.nurse, session, "start", lot_number="L").status_code == 200


def test_a_review_reading_needs_a_prescribers_reason(clinic: Clinic, session: DosingSession) -> None:
    checked_in(clinic, session, systolic=150, diastolic=85, heart_rate=80, spo2=98)
    response = call(clinic.nurse, session, "start", lot_number="L")
    assert code(response) == "review_unacknowledged"
    assert "above 140" in response.json()["reasons"][0]
    assert call(clinic.nurse, session, "start", lot_number="L", review_reason="fine").status_code == 403
    response = call(clinic.prescriber, session, "start", lot_number="L", review_reason="Known white-coat effect")
    assert response.status_code == 200, response.json()
    ack = ReviewAcknowledgement.objects.get(session=session)
    assert ack.acknowledged_by == clinic.prescriber
    assert ack.vital_sign == VitalSign.objects.get(session=session)
    assert ack.reason == "Known white-coat effect"
    assert AuditEvent.objects.filter(action="sessions.reviewacknowledgement.create").exists()


def test_a_prescriber_acknowledges_first_and_the_nurse_starts(clinic: Clinic, session: DosingSession) -> None:
    checked_in(clinic, session, systolic=150, diastolic=85, heart_rate=80, spo2=98)
    assert call(clinic.nurse, session, "acknowledge-review", reason="ok").status_code == 403
    assert call(clinic.prescriber, session, "acknowledge-review", reason="").status_code == 400
    assert call(clinic.prescriber, session, "acknowledge-review", reason="Rechecked, stable").status_code == 201
    assert code(call(clinic.prescriber, session, "acknowledge-review", reason="again")) == "nothing_to_review"
    # A new reading in the review range needs its own acknowledgement.
    call(clinic.nurse, session, "vitals", systolic=155, diastolic=88, heart_rate=80, spo2=98)
    assert code(call(clinic.nurse, session, "start", lot_number="L")) == "review_unacknowledged"
    call(clinic.prescriber, session, "acknowledge-review", reason="Still acceptable")
    assert call(clinic.nurse, session, "start", lot_number="L").status_code == 200


def test_a_fasting_review_needs_a_prescriber_too(clinic: Clinic, session: DosingSession) -> None:
    response = call(clinic.nurse, session, "check-in", **{**CHECK_IN, "fasting_solids_hours": 4})
    assert response.json()["fasting"] == "review"
    assert "6 h" in response.json()["fasting_reasons"][0]
    call(clinic.nurse, session, "vitals", **PROCEED)
    response = call(clinic.nurse, session, "start", lot_number="L")
    assert code(response) == "review_unacknowledged"
    assert "solids" in response.json()["reasons"][0]
    call(clinic.prescriber, session, "acknowledge-review", reason="Light breakfast; low aspiration risk")
    assert call(clinic.nurse, session, "start", lot_number="L").status_code == 200


def test_an_unattested_fasting_time_is_a_review(clinic: Clinic, session: DosingSession) -> None:
    body = {"fasting_solids_hours": None, "fasting_clear_liquids_hours": 3, "escort_confirmed": True}
    assert call(clinic.nurse, session, "check-in", **body).json()["fasting"] == "review"


def test_negative_fasting_hours_are_refused(clinic: Clinic, session: DosingSession) -> None:
    response = call(clinic.nurse, session, "check-in", **{**CHECK_IN, "fasting_clear_liquids_hours": -1})
    assert response.status_code == 400
    assert "fasting_clear_liquids_hours" in response.json()
    assert session.status_changes.count() == 1


def test_an_escort_is_confirmed_before_dosing(clinic: Clinic, session: DosingSession) -> None:
    call(clinic.nurse, session, "check-in", **{**CHECK_IN, "escort_confirmed": False})
    call(clinic.nurse, session, "vitals", **PROCEED)
    assert code(call(clinic.nurse, session, "start", lot_number="L")) == "no_escort"
    assert call(clinic.nurse, session, "start", lot_number="L", escort_confirmed=True).status_code == 200


def test_a_dose_above_100_mg_needs_a_prescriber_override(clinic: Clinic, session: DosingSession) -> None:
    checked_in(clinic, session, **PROCEED)
    big = {"lot_number": "L", "mg_per_kg": 1.0, "weight_kg": 105, "height_cm": 190}
    response = call(clinic.nurse, session, "start", **big)
    assert code(response) == "dose_override_required"
    assert response.json()["dose_mg"] == 105.0
    assert "above 100 mg" in response.json()["override_reasons"][0]
    assert call(clinic.nurse, session, "start", **big, override_reason="prescribed").status_code == 403
    response = call(clinic.prescriber, session, "start", **big, override_reason="Tolerated 1.0 mg/kg before")
    assert response.status_code == 200, response.json()
    dose = DoseRecord.objects.get(session=session)
    assert dose.requires_override
    assert dose.override_by == clinic.prescriber
    assert dose.warnings  # 1.0 mg/kg is above 0.75
    event = AuditEvent.objects.get(action="sessions.doserecord.override")
    assert event.details["reason"] == "Tolerated 1.0 mg/kg before"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lot_number": ""}, "lot_number"),
        ({"mg_per_kg": 2}, "mg_per_kg"),
        ({"weight_kg": 20}, "weight_kg"),
        ({"dose_mg": 50}, "dose_mg"),
        ({"duration_min": 10}, "duration_min"),
    ],
)
def test_dose_input_errors_name_the_field(
    clinic: Clinic, session: DosingSession, body: dict[str, Any], field: str
) -> None:
    checked_in(clinic, session, **PROCEED)
    response = call(clinic.nurse, session, "start", **{"lot_number": "L", **body})
    assert response.status_code == 400
    assert field in response.json()
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN


def test_a_lapsed_clearance_stops_the_start(clinic: Clinic, clock: Clock) -> None:
    session = book(clinic, ny(2026, 10, 29, 9))  # 178 days after the medical clearance
    clock.set(ny(2026, 10, 29, 8))
    checked_in(clinic, session, **PROCEED)
    clock.set(ny(2026, 11, 2, 8))  # the session started late; the clearance is now older than 180 days
    response = call(clinic.nurse, session, "start", lot_number="L")
    assert code(response) == "not_cleared"
    assert response.json()["reasons"]


# --- Vitals -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vitals", "gate"),
    [
        ({"systolic": 140, "diastolic": 90}, "proceed"),
        ({"systolic": 141, "diastolic": 90}, "review"),
        ({"systolic": 140, "diastolic": 91}, "review"),
        ({"systolic": 180, "diastolic": 110}, "review"),
        ({"systolic": 181, "diastolic": 80}, "defer"),
        ({"systolic": 150, "diastolic": 111}, "defer"),
        ({"heart_rate": 50}, "proceed"),
        ({"heart_rate": 49}, "defer"),
        ({"heart_rate": 120}, "proceed"),
        ({"heart_rate": 121}, "defer"),
        ({"spo2": 95}, "proceed"),
        ({"spo2": 94}, "defer"),
    ],
)
def test_pre_dose_gate_edges(clinic: Clinic, session: DosingSession, vitals: dict[str, int], gate: str) -> None:
    checked_in(clinic, session)
    response = call(clinic.nurse, session, "vitals", phase="pre", **{**PROCEED, **vitals})
    assert response.status_code == 201
    assert response.json()["gate"] == gate
    assert bool(response.json()["gate_reasons"]) is (gate != "proceed")


@pytest.mark.parametrize(
    ("vitals", "alert"),
    [
        ({"systolic": 180, "diastolic": 110, "heart_rate": 130, "spo2": 92}, None),
        ({"systolic": 181}, "Systolic 181"),
        ({"diastolic": 111}, "Diastolic 111"),
        ({"heart_rate": 131}, "Heart rate 131"),
        ({"heart_rate": 45}, None),
        ({"heart_rate": 44}, "Heart rate 44"),
        ({"spo2": 91}, "SpO2 91"),
    ],
)
def test_in_session_alert_edges(
    clinic: Clinic, session: DosingSession, vitals: dict[str, int], alert: str | None
) -> None:
    on_care_team(clinic.patient, clinic.prescriber)
    advance_to(clinic, session, SessionStatus.DOSING)
    response = call(clinic.nurse, session, "vitals", phase="during", **{**PROCEED, **vitals})
    assert response.status_code == 201
    alerts = response.json()["alerts"]
    if alert is None:
        assert alerts == []
        assert not Notification.objects.exists()
    else:
        assert alerts[0].startswith(alert)
        assert "pause recommended" in alerts[0]
        note = Notification.objects.get(recipient=clinic.prescriber)
        assert note.kind == "safety_alert"
        assert alert in note.body


@pytest.mark.parametrize(
    ("vitals", "field"),
    [
        ({"systolic": 400}, "systolic"),
        ({"spo2": 120}, "spo2"),
        ({"heart_rate": 0}, "heart_rate"),
        ({"systolic": 80, "diastolic": 85}, "diastolic"),
        ({"respiratory_rate": 99}, "respiratory_rate"),
        ({"systolic": "high"}, "systolic"),
        ({"phase": "during"}, "phase"),
        ({"recorded_at": "2026-05-04T12:00:00-04:00"}, "recorded_at"),  # in the future
    ],
)
def test_impossible_vitals_answer_400_naming_the_field(
    clinic: Clinic, session: DosingSession, vitals: dict[str, Any], field: str
) -> None:
    checked_in(clinic, session)
    response = call(clinic.nurse, session, "vitals", **{**PROCEED, **vitals})
    assert response.status_code == 400
    assert field in response.json()
    assert not VitalSign.objects.exists()


# --- Discharge --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "body", "codes"),
    [
        (30, {"aldrete": [2, 2, 2, 2, 0]}, ["aldrete_too_low"]),
        (29, {}, ["observation_too_short"]),
        (30, {"escort_confirmed": False}, ["no_escort"]),
        (10, {"aldrete": [1, 1, 2, 2, 2], "escort_confirmed": False},
         ["aldrete_too_low", "observation_too_short", "no_escort"]),
        (30, {"aldrete": [2, 2, 2, 2, 1]}, []),  # 9 is enough
    ],
)  # fmt: skip
def test_discharge_blockers(
    clinic: Clinic, clock: Clock, session: DosingSession, minutes: int, body: dict[str, Any], codes: list[str]
) -> None:
    advance_to(clinic, session, SessionStatus.MONITORING, clock)
    clock.advance(minutes=minutes)
    response = call(clinic.nurse, session, "discharge", **{**DISCHARGE, **body})
    if not codes:
        assert response.status_code == 200
        return
    assert code(response) == codes[0]
    assert [b["code"] for b in response.json()["blockers"]] == codes
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING


@pytest.mark.parametrize("aldrete", [[2, 2, 2, 2], [2, 2, 2, 2, 3], [2, 2, 2, 2, -1]])
def test_bad_aldrete_items_answer_400(clinic: Clinic, clock: Clock, session: DosingSession, aldrete: list[int]) -> None:
    advance_to(clinic, session, SessionStatus.MONITORING, clock)
    clock.advance(minutes=40)
    response = call(clinic.nurse, session, "discharge", aldrete=aldrete, escort_confirmed=True)
    assert response.status_code == 400
    assert "aldrete" in response.json()


def test_esketamine_needs_two_hours_of_observation(clinic: Clinic, clock: Clock) -> None:
    session = book(clinic, ny(2026, 5, 4, 9), route="esketamine")
    checked_in(clinic, session, **PROCEED)
    assert call(clinic.nurse, session, "start", lot_number="L", dose_mg=56).status_code == 200
    call(clinic.nurse, session, "end")
    clock.advance(minutes=119)
    assert code(call(clinic.nurse, session, "discharge", **DISCHARGE)) == "observation_too_short"
    clock.advance(minutes=1)
    assert call(clinic.nurse, session, "discharge", **DISCHARGE).status_code == 200


# --- Adverse events and courses ---------------------------------------------------------------------------------


def test_adverse_events(clinic: Clinic, session: DosingSession) -> None:
    event = {"kind": "distress", "severity": "severe", "action_taken": "Infusion paused; reassurance"}
    assert code(call(clinic.nurse, session, "adverse-events", **event)) == "invalid_transition"
    advance_to(clinic, session, SessionStatus.DOSING)
    on_care_team(clinic.patient, clinic.prescriber)
    response = call(clinic.nurse, session, "adverse-events", **event)
    assert response.status_code == 201
    assert Notification.objects.get(recipient=clinic.prescriber).title == "Severe adverse event: Distress"
    assert call(clinic.nurse, session, "adverse-events", **{**event, "kind": "panic"}).json().keys() == {"kind"}
    assert "action_taken" in call(clinic.nurse, session, "adverse-events", **{**event, "action_taken": " "}).json()
    assert call(clinic.therapist, session, "adverse-events", **event).status_code == 404  # not on the care team


def test_a_course_becomes_active_at_its_first_dose_and_completed_at_its_last(clinic: Clinic, clock: Clock) -> None:
    course = services.book_course(
        by=clinic.front_desk,
        patient=clinic.patient,
        template="maintenance",
        start_date=dt.date(2026, 5, 4),
        weekdays=[0],
        local_time=dt.time(9),
        chair=clinic.chair,
    )
    only = course.sessions.get()
    advance_to(clinic, only, SessionStatus.DOSING)
    assert TreatmentCourse.objects.get().status == CourseStatus.ACTIVE
    advance_to(clinic, only, SessionStatus.DISCHARGED, clock)
    course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED
    assert course.end_date == dt.date(2026, 5, 4)
