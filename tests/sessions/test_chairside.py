"""No dead ends at the chair: a check-in corrected until dosing starts, refusals that keep what was typed, the
checklists before starting and discharging, an early end of dosing, what the board and the staff home flag, the
booking page for a patient who is not cleared, an integration session's page."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from clinic.errors import Conflict
from clinic.models import AuditEvent
from sessions import services
from sessions.models import CheckIn, DoseRecord, DosingSession, SessionStatus
from tests.conftest import api_as
from tests.factories import PatientFactory, patient_user
from tests.intake.factories import phq9
from tests.sessions.conftest import PROCEED, Clinic, Clock, advance_to, book, ny, session_page, signed_in

ALDRETE_8 = {"aldrete_activity": "2", "aldrete_respiration": "2", "aldrete_circulation": "1",
             "aldrete_consciousness": "2", "aldrete_oxygen": "1"}  # fmt: skip


def checked_in(clinic: Clinic, *, escort: bool = True, solids: str = "8") -> DosingSession:
    session = book(clinic, ny(2026, 5, 4, 9))
    services.check_in(by=clinic.nurse, session=session, fasting_solids_hours=Decimal(solids),
                      fasting_clear_liquids_hours=Decimal(3), escort_confirmed=escort)  # fmt: skip
    return session


def correct(clinic: Clinic, session: DosingSession, **facts: Any) -> services.CheckInCorrection:
    check = CheckIn.objects.get(session=session)
    given = {name: getattr(check, name) for name in services.CHECK_IN_FACTS} | facts
    return services.correct_check_in(by=clinic.nurse, session=session, **given)


# --- Correcting the check-in ------------------------------------------------------------------------------------


def test_a_missing_escort_is_added_later_and_audited_with_old_and_new_values(clinic: Clinic) -> None:
    session = checked_in(clinic, escort=False)
    services.record_vitals(by=clinic.nurse, session=session, **PROCEED)
    with pytest.raises(Conflict) as refused:
        services.start_dosing(by=clinic.nurse, session=session, lot_number="L")
    assert refused.value.code == "no_escort"
    result = correct(clinic, session, escort_confirmed=True, escort_name="Alex Testperson", escort_phone="555-0100",
                     reason="Escort arrived")  # fmt: skip
    assert set(result.changes) == {"escort_confirmed", "escort_name", "escort_phone"}
    event = AuditEvent.objects.get(action="sessions.checkin.correct")
    assert event.details["changes"]["escort_confirmed"] == {"old": False, "new": True}
    assert event.details["changes"]["escort_phone"] == {"old": "", "new": "555-0100"}
    assert event.details["reason"] == "Escort arrived"
    assert services.start_dosing(by=clinic.nurse, session=session, lot_number="L").dose_mg == Decimal("35.0")


def test_corrected_fasting_is_judged_again_and_an_earlier_review_no_longer_counts(clinic: Clinic, clock: Clock) -> None:
    session = checked_in(clinic, solids="4")
    services.record_vitals(by=clinic.nurse, session=session, **PROCEED)
    services.acknowledge_review(by=clinic.prescriber, session=session, reason="Light breakfast; low aspiration risk")
    clock.advance(minutes=5)
    correct(clinic, session, fasting_solids_hours=Decimal("9"))
    assert CheckIn.objects.get(session=session).fasting == "ok"
    result = correct(clinic, session, fasting_solids_hours=Decimal("1"))
    assert result.changes["fasting"] == ("ok", "review")
    with pytest.raises(Conflict) as refused:
        services.start_dosing(by=clinic.nurse, session=session, lot_number="L")
    assert refused.value.code == "review_unacknowledged"
    assert "1 hour ago" in refused.value.message


def test_a_check_in_is_corrected_only_until_dosing_starts(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    with pytest.raises(Conflict) as refused:
        correct(clinic, session, escort_name="Someone Else")
    assert refused.value.code == "invalid_transition"
    assert "until dosing starts" in refused.value.message


def test_a_correction_that_changes_nothing_writes_nothing(clinic: Clinic) -> None:
    session = checked_in(clinic)
    assert correct(clinic, session).changes == {}
    assert not AuditEvent.objects.filter(action="sessions.checkin.correct").exists()


def test_the_page_corrects_the_check_in_and_says_what_changed(clinic: Clinic) -> None:
    session = checked_in(clinic, escort=False)
    client = signed_in(clinic.nurse)
    page = client.get(session_page(session)).content.decode()
    assert "Correct the check-in" in page
    data = {"fasting_solids_hours": "8", "fasting_clear_liquids_hours": "3", "escort_confirmed": "on",
            "escort_name": "Alex Testperson"}  # fmt: skip
    response = client.post(f"{session_page(session)}check-in/correct/", data, follow=True)
    assert "Check-in updated: an adult escort will take the patient home, escort&#x27;s name." in (
        response.content.decode()
    )
    refused = client.post(f"{session_page(session)}check-in/correct/", {**data, "fasting_solids_hours": "-2"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert 'id="id_fasting_solids_hours_error"' in text
    assert 'value="Alex Testperson"' in text


# --- Refusals keep what was typed -------------------------------------------------------------------------------


def test_a_refused_start_redraws_the_page_with_the_inputs_and_the_reason_beside_the_field(clinic: Clinic) -> None:
    session = checked_in(clinic)
    services.record_vitals(by=clinic.nurse, session=session, **PROCEED)
    data = {"mg_per_kg": "0.6", "bag_volume_ml": "250", "concentration_mg_per_ml": "50", "lot_number": ""}
    response = signed_in(clinic.nurse).post(f"{session_page(session)}start/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert re.search(r'<ul class="errorlist" id="id_lot_number_error"><li>Give the medication', text)
    for name, value in (("mg_per_kg", "0.6"), ("bag_volume_ml", "250"), ("concentration_mg_per_ml", "50")):
        assert re.search(rf'name="{name}" value="{re.escape(value)}"', text), name
    assert "lot_number:" not in text


def test_a_refused_discharge_keeps_the_scores_the_ticks_and_the_notes(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.MONITORING, clock)
    clock.advance(minutes=31)
    data = {**ALDRETE_8, "escort_confirmed": "on", "escort_name": "Alex Testperson", "notes": "Drowsy",
            "instructions_given": "on"}  # fmt: skip
    response = signed_in(clinic.nurse).post(f"{session_page(session)}discharge/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert '<ul class="errorlist" id="id_aldrete_error"><li>Modified Aldrete score 8; discharge needs at least 9.' in (
        text
    )
    assert re.search(r'<option value="1" selected>1 - BP ±20-50%</option>', text)
    assert re.search(r'name="escort_confirmed" id="id_escort_confirmed" checked', text)
    assert 'value="Alex Testperson"' in text
    assert "Drowsy</textarea>" in text


def test_a_refused_discharge_names_the_missing_escort_beside_its_box(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.MONITORING, clock)
    clock.advance(minutes=31)
    data = {f"aldrete_{k}": "2" for k in ("activity", "respiration", "circulation", "consciousness", "oxygen")}
    text = signed_in(clinic.nurse).post(f"{session_page(session)}discharge/", data).content.decode()
    assert '<ul class="errorlist" id="id_escort_confirmed_error"><li>No escort present' in text


def test_a_role_refusal_is_a_message_not_a_redrawn_form(clinic: Clinic) -> None:
    from tests.factories import on_care_team

    session = book(clinic, ny(2026, 5, 4, 9))
    on_care_team(clinic.patient, clinic.therapist)
    response = signed_in(clinic.therapist).post(f"{session_page(session)}check-in/", {"escort_confirmed": "on"})
    assert response.status_code == 302


def test_the_dose_preview_names_the_field_by_its_label(clinic: Clinic) -> None:
    session = checked_in(clinic)
    text = signed_in(clinic.nurse).post(f"{session_page(session)}dose-preview/", {"weight_kg": "0"}).content.decode()
    assert "Weight today (kg): The weight must be more than 0." in text
    assert "weight_kg" not in text


# --- The checklists ---------------------------------------------------------------------------------------------


def test_start_dosing_waits_with_the_reasons_in_words(clinic: Clinic) -> None:
    session = checked_in(clinic, escort=False)
    text = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    block = text[text.index('id="start-checklist"') :]
    assert "Record the pre-dose vital signs first." in block
    assert "Confirm the escort (a responsible adult to take the patient home) before dosing starts." in block
    assert '<button type="submit" disabled aria-describedby="start-checklist-waits">Start dosing</button>' in block


def test_the_start_checklist_follows_the_dose_inputs_and_the_vitals(clinic: Clinic) -> None:
    session = checked_in(clinic)
    client = signed_in(clinic.nurse)
    check = f"{session_page(session)}start/check/"
    assert "Record the pre-dose vital signs first." in client.post(check, {}).content.decode()
    services.record_vitals(by=clinic.nurse, session=session, **PROCEED)
    ready = client.post(check, {"mg_per_kg": "0.6"}).content.decode()
    assert "Dose calculated: 42.0 mg (0.6 mg/kg of 70.0 kg) over 40 min." in ready
    assert '<button type="submit">Start dosing</button>' in ready
    wrong = client.post(check, {"mg_per_kg": "1.5"}).content.decode()
    assert "above the maximum of 1.0 mg/kg" in wrong
    assert "disabled" in wrong
    not_a_number = client.post(check, {"mg_per_kg": "abc"}).content.decode()
    assert "mg/kg: Enter a number." in not_a_number


def test_vitals_saved_with_htmx_tell_the_checklists_to_look_again(clinic: Clinic) -> None:
    session = checked_in(clinic)
    response = signed_in(clinic.nurse).post(f"{session_page(session)}vitals/", PROCEED, HTTP_HX_REQUEST="true")
    assert response["HX-Trigger"] == "vitals-recorded"


def test_discharge_waits_for_the_observation_and_ticks_the_form(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.MONITORING, clock)
    clock.advance(minutes=10)
    client = signed_in(clinic.nurse)
    page = client.get(session_page(session)).content.decode()
    assert "Observed 10 min since dosing ended; the IV infusion needs at least 30 min. 20 min left." in page
    assert '<button type="submit" disabled aria-describedby="discharge-checklist-waits">Discharge</button>' in page
    clock.advance(minutes=21)
    ticked = client.post(f"{session_page(session)}discharge/check/", {**ALDRETE_8}).content.decode()
    assert "Modified Aldrete score 8; discharge needs at least 9." in ticked
    assert "No escort present: a responsible adult must take the patient home." in ticked


# --- Ending dosing early ----------------------------------------------------------------------------------------


def end(clinic: Clinic, session: DosingSession, **body: Any) -> Any:
    return api_as(clinic.nurse).post(f"/api/v1/dosing-sessions/{session.pk}/end/", body, format="json")


def test_ending_early_needs_a_reason_and_records_what_was_given(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    clock.advance(minutes=1)
    refused = end(clinic, session)
    assert refused.status_code == 400
    assert "say why it stops early" in refused.json()["stop_reason"][0]
    response = end(clinic, session, stop_reason="Patient distressed")
    assert response.status_code == 200, response.json()
    body = response.json()["dose"]
    assert (body["stopped_early"], body["actual_duration_min"], body["actual_dose_mg"]) == (True, 1, 0.9)
    assert body["duration_min"] == 40
    assert body["dose_mg"] == 35.0  # the planned dose stays
    dose = DoseRecord.objects.get(session=session)
    assert dose.stop_reason == "Patient distressed"
    assert [change.reason for change in session.status_changes.all()][-1] == "Patient distressed"
    event = AuditEvent.objects.get(action="sessions.doserecord.end")
    assert event.details["stopped_early"] is True
    assert event.details["dose_given_mg"] == "0.9"


def test_an_entered_dose_given_is_kept_but_never_above_the_plan(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    clock.advance(minutes=10)
    too_much = end(clinic, session, stop_reason="Pump alarm", actual_dose_mg=40)
    assert too_much.status_code == 400
    assert "more than the planned 35.0 mg" in too_much.json()["actual_dose_mg"][0]
    assert end(clinic, session, stop_reason="Pump alarm", actual_dose_mg=8.5).json()["dose"]["actual_dose_mg"] == 8.5


def test_an_end_on_time_is_no_early_stop(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    clock.advance(minutes=38)  # within the protocol's 2 min
    body = end(clinic, session).json()["dose"]
    assert (body["stopped_early"], body["actual_duration_min"], body["actual_dose_mg"], body["stop_reason"]) == (
        False,
        38,
        35.0,
        "",
    )


def test_the_end_form_asks_why_only_while_ending_would_be_early(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    client = signed_in(clinic.nurse)
    clock.advance(minutes=5)
    early = client.get(session_page(session)).content.decode()
    assert "Why is dosing ending early?" in early
    assert "Planned end <strong>8:40 AM</strong>: ending now is an early stop" in early
    clock.advance(minutes=35)
    assert "Why is dosing ending early?" not in client.get(session_page(session)).content.decode()


# --- The board and the staff home -------------------------------------------------------------------------------


def test_the_board_flags_late_sessions_for_everyone_and_clinical_alerts_for_clinicians(
    clinic: Clinic, clock: Clock
) -> None:
    late = book(clinic, ny(2026, 5, 4, 8, 10))
    dosing = book(clinic, ny(2026, 5, 4, 8, 10), patient=clinic.cleared_patient(given_name="Dosing"),
                  chair=clinic.chair2)  # fmt: skip
    clock.set(ny(2026, 5, 4, 8, 12))
    advance_to(clinic, dosing, SessionStatus.DOSING)
    services.record_vitals(by=clinic.nurse, session=dosing, systolic=186, diastolic=96, heart_rate=88, spo2=97)
    phq9(dosing.patient, [1, 1, 1, 1, 1, 1, 1, 1, 1], by=clinic.nurse)
    clock.set(ny(2026, 5, 4, 8, 30))
    nurse = signed_in(clinic.nurse).get("/staff/schedule/", {"date": "2026-05-04"}).content.decode()
    assert "Not checked in: 20 min late" in nurse
    assert "Dosing since 8:12 AM, 2 min late" in nurse
    assert "Vitals overdue since 8:22 AM" in nurse
    assert "Alert: Systolic 186 mmHg is above 180 mmHg" in nurse
    assert "Open safety task" in nurse
    desk = signed_in(clinic.front_desk).get("/staff/schedule/", {"date": "2026-05-04"}).content.decode()
    assert "Not checked in: 20 min late" in desk
    assert "Dosing since 8:12 AM" in desk
    for clinical in ("Vitals overdue", "Alert:", "Open safety task"):
        assert clinical not in desk
    home = signed_in(clinic.nurse).get("/staff/").content.decode()
    assert "Vitals overdue since 8:22 AM" in home
    assert f'href="{session_page(late)}"' in home


def test_the_board_shows_the_observation_left_and_an_early_stop(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.DOSING)
    clock.advance(minutes=5)
    services.end_dosing(by=clinic.nurse, session=session, stop_reason="Nausea")
    clock.advance(minutes=12)
    text = signed_in(clinic.nurse).get("/staff/schedule/", {"date": "2026-05-04"}).content.decode()
    assert "Observation: 18 min left" in text
    assert "Stopped early" in text


# --- Booking and integration sessions ---------------------------------------------------------------------------


def test_no_free_times_for_a_patient_who_is_not_cleared(clinic: Clinic) -> None:
    patient = PatientFactory(site=clinic.site, given_name="Uncleared")
    nurse = signed_in(clinic.nurse).get("/staff/schedule/book/", {"patient": patient.pk}).content.decode()
    assert "is not cleared for dosing yet" in nurse
    assert "No signed consent" in nurse
    assert f'href="/staff/patients/{patient.pk}/intake/"' in nurse
    assert 'class="slot-list"' not in nurse
    assert 'id="booking"' not in nurse
    desk = signed_in(clinic.front_desk).get("/staff/schedule/book/", {"patient": patient.pk}).content.decode()
    assert "is not cleared for dosing yet" in desk
    assert "No signed consent" not in desk
    assert "/intake/" not in desk
    cleared = signed_in(clinic.nurse).get("/staff/schedule/book/", {"patient": clinic.patient.pk}).content.decode()
    assert 'class="slot-list"' in cleared


def test_an_integration_session_opens_as_a_page(clinic: Clinic) -> None:
    appointment = services.book_integration_appointment(
        by=clinic.front_desk, patient=clinic.patient, therapist=clinic.therapist, start=ny(2026, 5, 5, 10),
        duration_min=60, room="Blue",
    ).appointment  # fmt: skip
    panel = signed_in(clinic.nurse).get(f"/staff/patients/{clinic.patient.pk}/").content.decode()
    assert f'<a href="/staff/schedule/integration/{appointment.pk}/">Tue, May 5, 2026, 10:00 AM EDT</a>' in panel
    page = signed_in(clinic.nurse).get(f"/staff/schedule/integration/{appointment.pk}/")
    assert page.status_code == 200
    assert "Theo Therapist" in page.content.decode()
    assert AuditEvent.objects.filter(action="sessions.integrationappointment.view", patient=clinic.patient).exists()
    portal = signed_in(patient_user(clinic.patient)).get(f"/portal/integration/{appointment.pk}/")
    assert portal.status_code == 200
    assert f"/portal/integration/{appointment.pk}/calendar.ics" in portal.content.decode()
    other = patient_user(PatientFactory(site=clinic.site), username="portal.other")
    assert signed_in(other).get(f"/portal/integration/{appointment.pk}/").status_code == 404


# --- Templates hold no rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template", ["session.html", "board.html", "home_today.html", "panel.html", "_session_block.html"]
)
def test_the_session_templates_ask_flags_not_statuses(template: str) -> None:
    text = (Path(settings.BASE_DIR) / "templates/staff/sessions" / template).read_text()
    assert not re.search(r"\.(status|gate|severity|fasting)\s*==", text)
    assert not re.search(r'rems_status\s*==|"(scheduled|checked_in|dosing|monitoring|discharged)"', text)


def test_the_session_page_inputs_have_ids_of_their_own(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), SessionStatus.CHECKED_IN)
    text = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    ids = re.findall(r' id="(id_[^"]+)"', text)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_invalid_input_from_a_service_has_a_sentence_with_the_input_named() -> None:
    assert services.input_sentence("weight_kg", "must be more than 0") == "The weight must be more than 0."
    assert services.input_sentence("mg_per_kg", "required: the protocol sets no default") == (
        "The mg/kg is required: the protocol sets no default."
    )
    assert services.input_sentence("x", "Already a sentence.") == "Already a sentence."
