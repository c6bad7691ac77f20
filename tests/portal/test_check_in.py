"""The pre-visit check-in (sessions/services/checkins.py): on the day of a treatment the patient says when they last
ate and drank, who takes them home and whether their medicines changed; the nurse's check-in form starts from it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinic.models import AuditEvent, Notification
from sessions.models import PreVisitCheckIn
from sessions.services import checkins
from tests.factories import PatientFactory, patient_user
from tests.sessions.conftest import Clinic, book, ny, session_page, signed_in

pytestmark = pytest.mark.django_db

ANSWERS = {
    "last_meal_at": "2026-05-04T06:30",
    "last_clear_drink_at": "2026-05-04T07:30",
    "escort_name": "Robin Testperson",
    "escort_phone": "555-0142",
    "medication_changed": "yes",
    "medication_changes": "Started sertraline 50 mg last week.",
}


def test_the_patient_checks_in_and_the_nurse_s_form_starts_from_it(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 13))  # today; the clock says 8:00 AM in New York
    client = signed_in(patient_user(clinic.patient))
    home = client.get("/portal/").content.decode()
    assert f"/portal/sessions/{session.pk}/check-in/" in home
    assert "Check in now" in home

    answer = client.post(f"/portal/sessions/{session.pk}/check-in/", ANSWERS)
    assert answer.status_code == 302
    record = PreVisitCheckIn.objects.get(session=session)
    assert record.last_meal_at == ny(2026, 5, 4, 6, 30)  # read on the site's clock
    assert record.medication_changed is True
    assert record.medication_changes == "Started sertraline 50 mg last week."
    assert AuditEvent.objects.filter(action="sessions.previsitcheckin.create", patient=clinic.patient).exists()
    notice = Notification.objects.filter(patient=clinic.patient, title__startswith="Medicine change").first()
    assert notice is not None
    assert notice.body == "Started sertraline 50 mg last week."
    assert "You are checked in" in client.get("/portal/").content.decode()

    initial = checkins.nurse_check_in_initial(session)
    assert initial["fasting_solids_hours"] == Decimal("1.5")
    assert initial["fasting_clear_liquids_hours"] == Decimal("0.5")
    page = signed_in(clinic.nurse).get(session_page(session)).content.decode()
    assert "The patient checked in from home" in page
    assert "Started sertraline 50 mg last week." in page
    assert 'name="fasting_solids_hours" value="1.5"' in page
    assert 'name="escort_name" value="Robin Testperson"' in page
    assert 'name="escort_confirmed" id="id_escort_confirmed" checked' not in page  # the nurse confirms in person


def test_the_patient_may_correct_the_answers_until_the_start(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 13))
    client = signed_in(patient_user(clinic.patient))
    client.post(f"/portal/sessions/{session.pk}/check-in/", ANSWERS)
    client.post(f"/portal/sessions/{session.pk}/check-in/", {**ANSWERS, "medication_changed": "no"})
    record = PreVisitCheckIn.objects.get(session=session)
    assert record.medication_changed is False
    assert record.medication_changes == ""
    assert AuditEvent.objects.filter(action="sessions.previsitcheckin.update").count() == 1


def test_mistakes_come_back_beside_their_field(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 13))
    client = signed_in(patient_user(clinic.patient))
    answer = client.post(
        f"/portal/sessions/{session.pk}/check-in/",
        {**ANSWERS, "last_meal_at": "2026-05-04T09:00", "escort_name": "", "medication_changes": ""},
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "This time has not come yet. Give the time you last ate." in html
    assert 'id="id_last_meal_at_error"' in html
    assert not PreVisitCheckIn.objects.exists()
    answer = client.post(f"/portal/sessions/{session.pk}/check-in/", {**ANSWERS, "escort_name": ""})
    assert "Tell us who will take you home." in answer.content.decode()
    assert 'value="2026-05-04T06:30"' in answer.content.decode()  # what was typed stays


def test_check_in_opens_on_the_day_only(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 7, 13))
    client = signed_in(patient_user(clinic.patient))
    assert (
        "You can check in from home on the day of your treatment"
        in client.get(f"/portal/sessions/{session.pk}/check-in/").content.decode()
    )
    assert "Check in now" not in client.get("/portal/").content.decode()
    answer = client.post(f"/portal/sessions/{session.pk}/check-in/", ANSWERS)
    assert answer.status_code == 400
    assert "Check-in from home is open on the day of your treatment" in answer.content.decode()


def test_another_patient_s_session_is_not_found(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 13))
    other = patient_user(PatientFactory(site=clinic.site))
    assert signed_in(other).get(f"/portal/sessions/{session.pk}/check-in/").status_code == 404
    assert signed_in(other).post(f"/portal/sessions/{session.pk}/check-in/", ANSWERS).status_code == 404
    assert not PreVisitCheckIn.objects.exists()


def test_a_medicine_change_alerts_the_care_team_once_and_a_new_one_again(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 13))
    client = signed_in(patient_user(clinic.patient))
    medicine_alerts = Notification.objects.filter(patient=clinic.patient, title__startswith="Medicine change")
    client.post(f"/portal/sessions/{session.pk}/check-in/", ANSWERS)
    once = medicine_alerts.count()
    assert once >= 1  # one for each member of the care team
    client.post(f"/portal/sessions/{session.pk}/check-in/", {**ANSWERS, "escort_name": "Sam Testperson"})
    assert medicine_alerts.count() == once  # the same change sent again: no second alert
    changed = {**ANSWERS, "medication_changes": "Stopped lamotrigine on Friday."}
    client.post(f"/portal/sessions/{session.pk}/check-in/", changed)
    assert medicine_alerts.count() == 2 * once
    assert medicine_alerts.filter(body="Stopped lamotrigine on Friday.").count() == once
