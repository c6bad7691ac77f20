"""The esketamine REMS Patient Monitoring Form (clinical protocol §4): what it asks, filled from the session's
own records (dose, vitals nearest the times it asks about, over-sedation events, CADSS-6, discharge), its due date,
marking it submitted, the staff list of forms due, and the esketamine session page's panel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clinic.models import AuditEvent, User
from clinic.protocol import DEFAULT_PROTOCOL, Monitoring
from clinic.services import active_protocol_version, publish_protocol_version
from sessions import services
from sessions.models import DosingSession, RemsSubmission, SessionStatus
from sessions.monitoring import BloodPressure, DissociationTotal, RemsForm, RemsRecord, rems_form, rems_status
from tests.conftest import api_as
from tests.factories import on_care_team
from tests.sessions.conftest import (
    NEW_YORK,
    PROCEED,
    Clinic,
    Clock,
    advance_to,
    book,
    make_clinic,
    ny,
    session_page,
    signed_in,
)

# --- The pure form ----------------------------------------------------------------------------------------------

START = ny(2026, 5, 4, 8, 0)


def at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def bp(minutes: int, systolic: int = 130, diastolic: int = 80, *, pre: bool = False) -> BloodPressure:
    return BloodPressure(at(minutes), systolic, diastolic, pre_dose=pre)


def record(**changes: Any) -> RemsRecord:
    """A complete record: 56 mg, readings before, at 40 min and 10 min before discharge at 135 min, a CADSS."""
    base: dict[str, Any] = {
        "dose_mg": Decimal("56.0"),
        "lot_number": "ESK-7",
        "dosing_started_at": START,
        "discharged_at": at(135),
        "readings": (bp(-5, 124, 78, pre=True), bp(10), bp(41, 142, 88), bp(125, 128, 76)),
        "sedation": (),
        "dissociation": (DissociationTotal(at(40), 3, 40),),
    }
    return RemsRecord(**{**base, **changes})


def values(form: RemsForm) -> dict[str, str | None]:
    return {item.key: item.value for item in form.items}


def test_a_complete_form() -> None:
    form = rems_form(record(), Monitoring(), NEW_YORK)
    assert values(form) == {
        "dose": "56.0 mg",
        "lot_number": "ESK-7",
        "bp_pre_dose": "124/78 mmHg at 7:55 AM",
        "bp_post_dose": "142/88 mmHg at 8:41 AM",
        "bp_before_discharge": "128/76 mmHg at 10:05 AM",
        "sedation": "No",
        "dissociation": "Yes: CADSS-6 total 3 at 8:40 AM",
        "monitoring_min": "135 min (8:00 AM-10:15 AM)",
    }
    assert form.complete
    assert form.missing == ()
    assert form.due_on == dt.date(2026, 5, 11)
    labels = {item.key: item.label for item in form.items}
    assert labels["bp_post_dose"] == "Blood pressure at about 40 min"
    assert {item.key: item.detail for item in form.items}["bp_post_dose"] == "41 min after dosing started"


def test_nothing_recorded_yet() -> None:
    empty = RemsRecord(None, "", None, None, (), (), ())
    form = rems_form(empty, Monitoring(), NEW_YORK)
    assert all(item.missing for item in form.items)
    assert form.due_on is None
    assert not form.complete
    details = {item.key: item.detail for item in form.items}
    assert details["dose"] == "Dosing has not started."
    assert details["bp_pre_dose"] == "No pre-dose reading."
    assert details["bp_before_discharge"] == "Not discharged yet."
    assert details["dissociation"] == "Record the CADSS-6."


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ((bp(30), bp(45)), "at 8:45 AM"),  # 5 min off beats 10 min off
        ((bp(35), bp(45)), "at 8:35 AM"),  # equally near: the earlier
        ((bp(55),), "at 8:55 AM"),  # 15 min off: still within the after-dosing interval
        ((bp(56),), None),  # 16 min off: not a reading for 40 min
        ((bp(24),), None),
        ((bp(38, pre=True),), None),  # a pre-dose reading never counts as the 40-minute one
    ],
)
def test_the_40_minute_reading_is_the_nearest_within_the_vitals_interval(
    readings: tuple[BloodPressure, ...], expected: str | None
) -> None:
    value = values(rems_form(record(readings=readings), Monitoring(), NEW_YORK))["bp_post_dose"]
    assert (value.split(" mmHg ")[1] if value else None) == expected


def test_a_changed_protocol_moves_the_reading_time_the_window_and_the_due_date() -> None:
    readings = (bp(-5, pre=True), bp(20, 150, 90), bp(41, 142, 88), bp(125))
    monitoring = Monitoring(rems_bp_at_min=20, vitals_every_min_after_dosing=5, rems_form_due_days=3)
    form = rems_form(record(readings=readings), monitoring, NEW_YORK)
    assert values(form)["bp_post_dose"] == "150/90 mmHg at 8:20 AM"
    assert {i.key: i.label for i in form.items}["bp_post_dose"] == "Blood pressure at about 20 min"
    assert values(form)["bp_before_discharge"] is None  # 10 min before discharge: outside a 5-minute interval
    assert form.due_on == dt.date(2026, 5, 7)


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ((bp(125), bp(130)), "at 10:10 AM"),  # the last before discharge
        ((bp(120),), "at 10:00 AM"),  # 15 min before: still counts
        ((bp(119),), None),
        ((bp(136),), None),  # after discharge
    ],
)
def test_the_reading_before_discharge(readings: tuple[BloodPressure, ...], expected: str | None) -> None:
    value = values(rems_form(record(readings=readings), Monitoring(), NEW_YORK))["bp_before_discharge"]
    assert (value.split(" mmHg ")[1] if value else None) == expected


@pytest.mark.parametrize(
    ("sedation", "discharged", "expected"),
    [
        ((), at(135), "No"),
        ((), None, None),
        (((at(50), "moderate"), (at(20), "mild")), None, "Yes: mild at 8:20 AM; moderate at 8:50 AM"),
    ],
)
def test_sedation(sedation: Any, discharged: dt.datetime | None, expected: str | None) -> None:
    form = rems_form(record(sedation=sedation, discharged_at=discharged), Monitoring(), NEW_YORK)
    assert values(form)["sedation"] == expected


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((DissociationTotal(at(40), 0, 40),), "No: CADSS-6 total 0 at 8:40 AM"),
        ((DissociationTotal(at(40), 2, 40), DissociationTotal(at(60), 9, 60)), "Yes: CADSS-6 total 9 at 9:00 AM"),
        ((), None),
    ],
)
def test_dissociation_is_the_highest_cadss(scores: Any, expected: str | None) -> None:
    assert values(rems_form(record(dissociation=scores), Monitoring(), NEW_YORK))["dissociation"] == expected


def test_the_due_date_counts_from_the_local_day_of_discharge() -> None:
    late = ny(2026, 5, 4, 23, 30)  # already 5 May in UTC
    assert rems_form(record(discharged_at=late), Monitoring(), NEW_YORK).due_on == dt.date(2026, 5, 11)


@pytest.mark.parametrize(
    ("due_on", "submitted", "today", "status"),
    [
        (None, False, dt.date(2026, 5, 4), "in_progress"),
        (dt.date(2026, 5, 11), False, dt.date(2026, 5, 11), "due"),
        (dt.date(2026, 5, 11), False, dt.date(2026, 5, 12), "overdue"),
        (dt.date(2026, 5, 11), True, dt.date(2026, 6, 1), "submitted"),
        (None, True, dt.date(2026, 5, 4), "submitted"),
    ],
)
def test_rems_status(due_on: dt.date | None, submitted: bool, today: dt.date, status: str) -> None:
    assert rems_status(due_on, submitted, today) == status


def test_a_session_closed_without_dosing_needs_no_form() -> None:
    assert rems_status(None, False, dt.date(2026, 5, 4), undosed=True) == "not_required"


# --- A real esketamine session ----------------------------------------------------------------------------------


def run_esketamine(
    clinic: Clinic,
    clock: Clock,
    *,
    until: str = SessionStatus.DISCHARGED,
    cadss: bool = True,
    patient: Any = None,
    chair: Any = None,
) -> DosingSession:
    """Book at 9:00 AM and run from 08:00: pre-dose 124/78, dosing 08:00-08:10, readings every 15 min after, the
    CADSS at 8:40 AM, discharge at 10:15 AM (125 min of observation)."""
    nurse = clinic.nurse
    session = book(
        clinic, ny(2026, 5, 4, 9), route="esketamine", patient=patient or clinic.patient, chair=chair or clinic.chair
    )
    services.check_in(
        by=nurse,
        session=session,
        fasting_solids_hours=Decimal(3),
        fasting_clear_liquids_hours=Decimal(1),
        escort_confirmed=True,
    )
    services.record_vitals(by=nurse, session=session, **PROCEED)
    services.start_dosing(by=nurse, session=session, lot_number="ESK-7", dose_mg=Decimal(56))
    clock.advance(minutes=10)
    services.record_vitals(by=nurse, session=session, systolic=136, diastolic=84, heart_rate=80, spo2=97)
    services.end_dosing(by=nurse, session=session)
    for minutes in range(25, 131, 15):  # 08:25, 08:40, ... 10:10
        clock.set(START + dt.timedelta(minutes=minutes))
        systolic = 142 if minutes == 40 else 128
        services.record_vitals(by=nurse, session=session, systolic=systolic, diastolic=82, heart_rate=76, spo2=98)
        if minutes == 40 and cadss:
            services.record_dissociation(by=nurse, session=session, items=[1, 1, 0, 0, 1, 0])
    if until == SessionStatus.DISCHARGED:
        clock.set(START + dt.timedelta(minutes=135))
        services.discharge_session(by=nurse, session=session, aldrete=[2, 2, 2, 2, 2], escort_confirmed=True)
    session.refresh_from_db()
    return session


def rems(user: User, session: DosingSession) -> Any:
    return api_as(user).get(f"/api/v1/dosing-sessions/{session.pk}/rems/")


def submit(user: User, session: DosingSession, **body: Any) -> Any:
    return api_as(user).post(f"/api/v1/dosing-sessions/{session.pk}/rems/submit/", body, format="json")


def test_the_form_from_the_sessions_own_records(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock)
    response = rems(clinic.nurse, session)
    assert response.status_code == 200
    body = response.json()
    assert {item["key"]: item["value"] for item in body["items"]} == {
        "dose": "56.0 mg",
        "lot_number": "ESK-7",
        "bp_pre_dose": "124/78 mmHg at 8:00 AM",
        "bp_post_dose": "142/82 mmHg at 8:40 AM",
        "bp_before_discharge": "128/82 mmHg at 10:10 AM",
        "sedation": "No",
        "dissociation": "Yes: CADSS-6 total 3 at 8:40 AM",
        "monitoring_min": "135 min (8:00 AM-10:15 AM)",
    }
    assert body["complete"] is True
    assert body["missing"] == []
    assert body["due_on"] == "2026-05-11"
    assert body["status"] == "due"
    assert body["submission"] is None
    assert AuditEvent.objects.filter(action="sessions.dosingsession.view", details__part="rems").count() == 1


def test_what_is_missing_and_the_overdue_status(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock, cadss=False)
    services.record_adverse_event(
        by=clinic.nurse,
        session=session,
        kind="over_sedation",
        severity="mild",
        action_taken="Observed; roused to voice",
        occurred_at=ny(2026, 5, 4, 9, 0),
    )
    body = rems(clinic.nurse, session).json()
    assert body["missing"] == ["dissociation"]
    assert body["complete"] is False
    assert {i["key"]: i["value"] for i in body["items"]}["sedation"] == "Yes: mild at 9:00 AM"
    clock.set(ny(2026, 5, 12, 8))
    assert rems(clinic.nurse, session).json()["status"] == "overdue"


def test_the_40_minute_reading_follows_a_changed_protocol(clinic: Clinic, clock: Clock) -> None:
    active_protocol_version(clinic.site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["monitoring"].update(rems_bp_at_min=25, rems_form_due_days=5)
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="REMS at 25 min")
    body = rems(clinic.nurse, run_esketamine(clinic, clock)).json()
    post = next(item for item in body["items"] if item["key"] == "bp_post_dose")
    assert post["label"] == "Blood pressure at about 25 min"
    assert post["value"] == "128/82 mmHg at 8:25 AM"
    assert body["due_on"] == "2026-05-09"


def test_marking_the_form_submitted(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock)
    clock.advance(hours=2)
    response = submit(clinic.nurse, session, reference="  REMS-2026-0042 ")
    assert response.status_code == 201, response.json()
    assert response.json()["reference"] == "REMS-2026-0042"
    assert response.json()["due_on"] == "2026-05-11"
    assert response.json()["submitted_by"] == clinic.nurse.pk
    submission = RemsSubmission.objects.get()
    assert submission.submitted_at == ny(2026, 5, 4, 12, 15)
    assert {item["key"]: item["value"] for item in submission.form}["dose"] == "56.0 mg"
    event = AuditEvent.objects.get(action="sessions.remssubmission.create")
    assert event.patient_id == clinic.patient.pk
    assert event.details["reference"] == "REMS-2026-0042"
    assert event.details["missing"] == []
    body = rems(clinic.nurse, session).json()
    assert body["status"] == "submitted"
    assert body["submission"]["reference"] == "REMS-2026-0042"
    again = submit(clinic.prescriber, session, reference="REMS-2")
    assert again.status_code == 409
    assert again.json()["code"] == "already_submitted"
    assert "REMS-2026-0042" in again.json()["detail"]
    assert RemsSubmission.objects.count() == 1


def test_a_reference_is_required(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock)
    for body in ({}, {"reference": "   "}):
        response = submit(clinic.nurse, session, **body)
        assert response.status_code == 400
        assert list(response.json()) == ["reference"]
    assert not RemsSubmission.objects.exists()


def test_missing_items_need_a_note_saying_how_they_were_reported(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock, cadss=False)
    refused = submit(clinic.nurse, session, reference="R-1")
    assert refused.status_code == 400
    assert "Dissociation observed" in refused.json()["note"][0]
    done = submit(clinic.nurse, session, reference="R-1", note="Dissociation reported from the paper chart: none.")
    assert done.status_code == 201
    assert AuditEvent.objects.get(action="sessions.remssubmission.create").details["missing"] == [
        "Dissociation observed"
    ]


def test_the_form_is_submitted_after_discharge(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock, until=SessionStatus.MONITORING)
    response = submit(clinic.nurse, session, reference="R-1")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert rems(clinic.nurse, session).json()["status"] == "in_progress"


def test_a_deferred_esketamine_session_needs_no_form(clinic: Clinic) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9), route="esketamine"), SessionStatus.CHECKED_IN)
    services.defer_session(by=clinic.nurse, session=session, reason="BP too high")
    assert rems(clinic.nurse, session).json()["status"] == "not_required"
    assert "No form: the patient was not dosed." in signed_in(clinic.nurse).get(session_page(session)).content.decode()
    assert submit(clinic.nurse, session, reference="R").json()["code"] == "invalid_transition"


def test_other_routes_have_no_rems_form(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DISCHARGED, clock)
    response = rems(clinic.nurse, session)
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "Only esketamine sessions have a REMS Patient Monitoring Form; this session is dosed by IV infusion."
    )
    refused = submit(clinic.nurse, session, reference="R-1")
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_esketamine"
    assert not RemsSubmission.objects.exists()


def test_who_may_mark_it_submitted(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock)
    on_care_team(clinic.patient, clinic.therapist)
    assert submit(clinic.therapist, session, reference="R").status_code == 403
    assert rems(clinic.therapist, session).status_code == 200
    assert submit(clinic.front_desk, session, reference="R").status_code == 404
    assert rems(clinic.front_desk, session).status_code == 404
    assert not RemsSubmission.objects.exists()


# --- The staff screens ------------------------------------------------------------------------------------------


def test_the_panel_lists_each_item_with_missing_ones_in_red(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock, until=SessionStatus.MONITORING)
    text = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    panel = text.split('<article id="rems"')[1].split("</article>")[0]
    assert "REMS monitoring form" in panel
    assert '<th scope="row">Dose</th>\n      <td>56.0 mg</td>' in panel
    assert "Blood pressure at about 40 min" in panel
    assert "142/82 mmHg at 8:40 AM" in panel
    missing = panel.split("Blood pressure before discharge</th>")[1].split("</tr>")[0]
    assert '<span class="badge badge--danger">missing</span>' in missing
    assert "Not discharged yet." in missing
    assert "Mark submitted" not in panel  # not before discharge


def test_marking_submitted_on_the_page(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock)
    client = signed_in(clinic.nurse)
    panel = client.get(session_page(session)).content.decode().split('<article id="rems"')[1].split("</article>")[0]
    assert "Due by <strong>Mon, May 11, 2026</strong>" in panel
    assert "Mark submitted" in panel
    assert 'name="note"' not in panel  # nothing missing, no note asked for
    refused = client.post(f"{session_page(session)}rems/submit/", {"reference": ""}, follow=True).content.decode()
    assert "This field is required" in refused
    page = client.post(f"{session_page(session)}rems/submit/", {"reference": "REMS-9"}, follow=True).content.decode()
    assert "REMS form marked submitted." in page
    assert "reference <strong>REMS-9</strong>" in page
    assert RemsSubmission.objects.get().reference == "REMS-9"


def test_iv_sessions_have_no_panel_and_front_desk_never_sees_it(clinic: Clinic, clock: Clock) -> None:
    iv = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DISCHARGED, clock)
    assert 'id="rems"' not in signed_in(clinic.nurse).get(session_page(iv)).content.decode()
    clock.set(START)
    other = make_clinic("ESKT")
    session = run_esketamine(other, clock)
    desk = signed_in(other.front_desk)
    assert "REMS" not in desk.get(session_page(session)).content.decode()
    assert desk.post(f"{session_page(session)}rems/submit/", {"reference": "R"}).status_code == 404
    assert desk.get("/staff/schedule/rems/").status_code == 404
    assert not RemsSubmission.objects.exists()


def test_the_list_of_forms_due(clinic: Clinic, clock: Clock) -> None:
    first = run_esketamine(clinic, clock)
    clock.set(START)
    submitted = run_esketamine(clinic, clock, patient=clinic.cleared_patient(given_name="Robin"), chair=clinic.chair2)
    services.submit_rems_form(by=clinic.nurse, session=submitted, reference="R-2")
    clock.set(START)
    other = make_clinic("ELSE")
    elsewhere = run_esketamine(other, clock)
    clock.set(ny(2026, 5, 12, 9))  # a day after the due date
    client = signed_in(clinic.nurse)
    text = client.get("/staff/schedule/rems/").content.decode()
    assert f'href="{session_page(first)}#rems"' in text
    assert "Mon, May 11, 2026" in text
    assert '<span class="badge badge--danger">overdue</span>' in text
    assert '<span class="badge badge--ok">complete</span>' in text
    assert session_page(submitted) not in text
    assert session_page(elsewhere) not in text
    assert "REMS forms due" in client.get("/staff/schedule/").content.decode()
    theirs = signed_in(other.nurse).get("/staff/schedule/rems/").content.decode()
    assert f'href="{session_page(elsewhere)}#rems"' in theirs
    assert session_page(first) not in theirs


def test_the_list_says_when_nothing_is_due(clinic: Clinic, clock: Clock) -> None:
    advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DISCHARGED, clock)  # IV: no form
    clock.set(START)
    run_esketamine(clinic, clock, until=SessionStatus.MONITORING, patient=clinic.cleared_patient(), chair=clinic.chair2)
    text = signed_in(clinic.prescriber).get("/staff/schedule/rems/").content.decode()
    assert "No REMS forms due" in text
    assert "REMS forms due" not in signed_in(clinic.front_desk).get("/staff/schedule/").content.decode()
