"""Staff screens of intake: the intake page, the screening form, questionnaires in clinic, override, clearance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from clinic.models import AuditEvent, User
from intake.models import Assessment, Consent, MedicalClearance, SafetyTask, Screening, ScreeningStatus
from intake.services import record_health_questionnaire
from tests.conftest import World
from tests.factories import PatientFactory
from tests.intake.factories import NEW_YORK, management_form, noon, override, screen

SCREENING_FORM: dict[str, Any] = {
    "height_cm": "170.0",
    "weight_kg": "70.0",
    "systolic": "120",
    "diastolic": "80",
    "heart_rate": "70",
    "substance_use_status": "none",
    "failed_antidepressant_trials": "2",
    **management_form(),
}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def intake_url(world: World, suffix: str = "") -> str:
    return f"/staff/patients/{world.patient_a.pk}/intake/{suffix}"


@pytest.mark.django_db
def test_intake_page_shows_scores_findings_by_kind_and_reasons(world: World) -> None:
    screen(world.patient_a, by=world.nurse1, systolic=150, history=["ptsd"], failed_antidepressant_trials=1)
    response = client_for(world.nurse1).get(intake_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "C-SSRS screener" in html
    assert 'badge badge--ok">none' in html  # the C-SSRS band as a badge
    assert "override required" in html
    assert "Relative contraindications" in html
    assert "Warnings" in html
    assert "Absolute contraindications" not in html
    assert "Screening blood pressure 150/80 is above 140/90." in html
    assert "Clinical protocol, section 1: a screening blood pressure above 140/90 mmHg" in html
    assert "elevated_blood_pressure" not in html
    assert "No signed consent" in html
    assert "not cleared" in html
    assert "Override and clear the screening" not in html  # a nurse sees no override form
    assert AuditEvent.objects.filter(action="intake.patient.view", patient=world.patient_a, actor=world.nurse1).exists()


@pytest.mark.django_db
def test_prescriber_sees_the_override_and_clearance_forms(world: World) -> None:
    screen(world.patient_a, by=world.nurse1, systolic=150)
    html = client_for(world.prescriber1).get(intake_url(world)).content.decode()
    assert "Override and clear the screening" in html
    assert "Record medical clearance" in html


@pytest.mark.django_db
def test_absolute_findings_say_no_override(world: World) -> None:
    screen(world.patient_a, by=world.nurse1, history=["unstable_angina"])
    html = client_for(world.prescriber1).get(intake_url(world)).content.decode()
    assert "Absolute contraindications" in html
    assert "No one can override an absolute contraindication." in html
    assert "Override and clear the screening" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [("nurse1", 200), ("prescriber1", 200), ("therapist1", 200), ("admin1", 200), ("front_desk1", 404),
     ("nurse2", 404), ("therapist_unassigned", 404), ("patient_a", 404), ("patient_b", 404)],
)  # fmt: skip
def test_who_sees_the_intake_page(world: World, who: str, status: int) -> None:
    assert client_for(world.users()[who]).get(intake_url(world)).status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [("nurse1", 200), ("prescriber1", 200), ("therapist1", 403), ("admin1", 403), ("front_desk1", 404),
     ("nurse2", 404), ("patient_a", 404)],
)  # fmt: skip
def test_who_may_open_the_screening_form(world: World, who: str, status: int) -> None:
    assert client_for(world.users()[who]).get(intake_url(world, "screening/")).status_code == status


@pytest.mark.django_db
def test_screening_form_prefills_measurements_and_the_patients_own_account(world: World) -> None:
    record_health_questionnaire(
        by=world.patient_a_user,
        patient=world.patient_a,
        data={"history": ["ptsd"], "medications": [{"name": "Sertraline", "category": "antidepressant", "dose": "50"}]},
    )
    html = client_for(world.nurse1).get(intake_url(world, "screening/")).content.decode()
    assert 'name="height_cm" value="170.0"' in html
    assert 'value="ptsd"' in html
    assert "checked" in html.split('value="ptsd"')[1][:40]
    assert 'value="Sertraline"' in html
    assert AuditEvent.objects.filter(
        action="intake.screeningform.view", patient=world.patient_a, actor=world.nurse1
    ).exists()
    assert "Psychiatric" in html
    assert "Cardiovascular" in html
    assert "first-degree relative with a psychotic disorder" in html  # human labels


@pytest.mark.django_db
def test_nurse_screens_through_the_form(world: World) -> None:
    data = {
        **SCREENING_FORM,
        "history": ["ptsd", "hypertension_controlled"],
        "med-0-name": "Clonazepam",
        "med-0-category": "benzodiazepine",
        "med-0-diazepam_equivalent_mg_per_day": "10",
        "systolic": "145",
    }
    response = client_for(world.nurse1).post(intake_url(world, "screening/"), data)
    assert response.status_code == 302
    assert response["Location"] == intake_url(world)
    screening = Screening.objects.get()
    assert screening.decision == "override_required"
    assert screening.medications == [
        {"name": "Clonazepam", "category": "benzodiazepine", "diazepam_equivalent_mg_per_day": "10"}
    ]
    assert {f["code"] for f in screening.findings} >= {"benzodiazepine_high_dose", "elevated_blood_pressure", "ptsd"}


@pytest.mark.django_db
def test_screening_form_errors_name_the_field_and_keep_the_input(world: World) -> None:
    data = {
        **SCREENING_FORM,
        "systolic": "80",
        "diastolic": "90",
        "history": ["ptsd"],
        "med-0-name": "Mystery pill",
        "med-1-name": "",
        "med-1-category": "maoi",
        "remission_since": "2024-01-01",
    }
    response = client_for(world.nurse1).post(intake_url(world, "screening/"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Diastolic must be below systolic." in html
    assert "Choose the category of this medicine." in html
    assert "Give the medicine&#x27;s name." in html
    assert "A remission date needs the disorder marked as in remission." in html
    assert 'value="Mystery pill"' in html
    assert 'name="systolic" value="80"' in html
    assert "checked" in html.split('value="ptsd"')[1][:40]
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_service_errors_land_on_their_field(world: World) -> None:
    data = {**SCREENING_FORM, "stroke_date": "2999-01-01"}
    response = client_for(world.nurse1).post(intake_url(world, "screening/"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["stroke_date"] == ["This date is after the screening."]


@pytest.mark.django_db
def test_prescriber_overrides_from_the_page_and_a_blank_reason_is_an_error(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    client = client_for(world.prescriber1)
    url = intake_url(world, f"screenings/{screening.pk}/override/")
    blank = client.post(url, {"reason": ""})
    assert blank.status_code == 400
    assert blank.context["override_form"].errors["reason"]
    short = client.post(url, {"reason": "ok", "addressed_findings": ["elevated_blood_pressure"]})
    assert short.status_code == 400
    assert short.context["override_form"].errors["reason"] == [
        "Write at least 20 characters: say why each finding is acceptable for this patient (2 so far)."
    ]
    unticked = client.post(url, {"reason": "Rechecked 130/80 after ten minutes of rest."})
    assert unticked.status_code == 400
    assert unticked.context["override_form"].errors["addressed_findings"] == [
        "Tick each finding your reason addresses."
    ]
    assert "Rechecked 130/80 after ten minutes of rest." in unticked.content.decode()  # kept
    reason = "Rechecked 130/80 after ten minutes of rest."
    done = client.post(url, {"reason": reason, "addressed_findings": ["elevated_blood_pressure"]}, follow=True)
    assert done.status_code == 200
    assert "Screening overridden" in done.content.decode()
    assert "Rechecked 130/80 after ten minutes of rest." in done.content.decode()
    assert "Addresses: Raised blood pressure." in done.content.decode()
    assert Screening.objects.get().status == ScreeningStatus.OVERRIDDEN


@pytest.mark.django_db
def test_nurse_cannot_override_from_the_page(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    response = client_for(world.nurse1).post(intake_url(world, f"screenings/{screening.pk}/override/"), {"reason": "x"})
    assert response.status_code == 403
    assert Screening.objects.get().status == ScreeningStatus.DECIDED


@pytest.mark.django_db
def test_override_of_an_absolute_finding_shows_why(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, history=["ketamine_allergy"])
    response = client_for(world.prescriber1).post(
        intake_url(world, f"screenings/{screening.pk}/override/"), {"reason": "x"}, follow=True
    )
    assert "no one can override" in response.content.decode()
    assert Screening.objects.get().status == ScreeningStatus.DECIDED


@pytest.mark.django_db
def test_override_url_of_another_patients_screening_is_404(world: World) -> None:
    other = screen(world.patient_b, by=world.nurse2, systolic=150)
    url = intake_url(world, f"screenings/{other.pk}/override/")
    assert client_for(world.prescriber1).post(url, {"reason": "x"}).status_code == 404


@pytest.mark.django_db
def test_medical_clearance_from_the_page(world: World) -> None:
    url = intake_url(world, "medical-clearance/")
    assert client_for(world.nurse1).post(url, {"note": "x"}).status_code == 403
    assert client_for(world.prescriber1).post(url, {"note": ""}).status_code == 400
    assert client_for(world.prescriber1).post(url, {"note": "ECG normal."}).status_code == 302
    assert MedicalClearance.objects.get().note == "ECG normal."


@pytest.mark.django_db
def test_questionnaire_entered_in_clinic(world: World) -> None:
    url = intake_url(world, "questionnaires/phq9/")
    client = client_for(world.nurse1)
    assert "Little interest or pleasure" in client.get(url).content.decode()
    missing = client.post(url, {f"item_{i}": "1" for i in range(1, 9)})
    assert missing.status_code == 400
    assert missing.context["form"].errors == {"item_9": ["Please answer this question."]}
    response = client.post(url, {f"item_{i}": "1" for i in range(1, 10)}, follow=True)
    assert "Safety alert" in response.content.decode()
    assessment = Assessment.objects.get()
    assert (assessment.total, assessment.source, assessment.entered_by) == (9, "clinic", world.nurse1)
    assert SafetyTask.objects.filter(assessment=assessment).exists()
    assert client.get(intake_url(world, "questionnaires/bdi/")).status_code == 404


@pytest.mark.django_db
def test_safety_task_resolved_from_the_page(world: World) -> None:
    client = client_for(world.nurse1)
    client.post(intake_url(world, "questionnaires/phq9/"), {f"item_{i}": "2" for i in range(1, 10)})
    task = SafetyTask.objects.get()
    page = client.get(intake_url(world)).content.decode()
    assert "Open safety tasks" in page
    url = intake_url(world, f"safety-tasks/{task.pk}/resolve/")
    assert client.post(url, {f"task{task.pk}-note": ""}).status_code == 400
    assert client.post(url, {f"task{task.pk}-note": "Called; safe."}).status_code == 302
    task.refresh_from_db()
    assert task.status == "resolved"


@pytest.mark.django_db
def test_consent_witnessed_in_clinic(world: World) -> None:
    url = intake_url(world, "consent/")
    client = client_for(world.nurse1)
    assert "Consent to ketamine-assisted psychotherapy" in client.get(url).content.decode()
    wrong = client.post(url, {"document_version": "v1", "signed_name": "Someone Else"})
    assert wrong.status_code == 400
    assert 'value="Someone Else"' in wrong.content.decode()
    assert client.post(url, {"document_version": "v1", "signed_name": "Alpha Testperson"}).status_code == 302
    assert Consent.objects.get().witnessed_by == world.nurse1
    assert client_for(world.admin1).get(url).status_code == 403


@pytest.mark.django_db
def test_patient_page_shows_the_intake_panel_to_clinicians_only(world: World) -> None:
    screen(world.patient_a, by=world.nurse1)
    page = client_for(world.nurse1).get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
    assert "Open intake" in page
    assert intake_url(world) in page
    front = client_for(world.front_desk1).get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
    assert "Open intake" not in front


@pytest.mark.django_db
def test_worklist_shows_open_safety_tasks_and_screenings_awaiting_override_of_visible_patients(world: World) -> None:
    screen(world.patient_a, by=world.nurse1, systolic=150)
    screen(world.patient_b, by=world.nurse2, systolic=150)
    client = client_for(world.nurse1)
    client.post(intake_url(world, "questionnaires/phq9/"), {f"item_{i}": "1" for i in range(1, 10)})
    response = client.get("/staff/intake/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-current="page">Intake<' in html
    assert [t.patient for t in response.context["safety_tasks"]] == [world.patient_a]
    assert [r["screening"].patient for r in response.context["awaiting_override"]] == [world.patient_a]
    assert "Raised blood pressure" in html
    assert "elevated_blood_pressure" not in html
    assert "Bravo" not in html  # another site's patient
    assert AuditEvent.objects.filter(action="intake.worklist.view", actor=world.nurse1).exists()


@pytest.mark.django_db
def test_worklist_drops_overridden_and_superseded_screenings(world: World) -> None:

    client = client_for(world.prescriber1)
    first = screen(world.patient_a, by=world.nurse1, systolic=150, at=noon(3))
    other = PatientFactory(site=world.site1)
    overridden = screen(other, by=world.nurse1, systolic=150)
    listed = client.get("/staff/intake/").context["awaiting_override"]
    assert [r["screening"] for r in listed] == [first, overridden]
    screen(world.patient_a, by=world.nurse1, history=["psychosis_current"])  # supersedes `first`
    override(overridden, world.prescriber1)
    assert client.get("/staff/intake/").context["awaiting_override"] == []


@pytest.mark.django_db
def test_worklist_drops_screenings_past_a_shorter_validity_of_the_active_protocol(world: World) -> None:
    from clinic.protocol import DEFAULT_PROTOCOL
    from clinic.services import publish_protocol_version

    screening = screen(world.patient_a, by=world.nurse1, systolic=150, at=noon(100))
    client = client_for(world.prescriber1)
    assert [r["screening"] for r in client.get("/staff/intake/").context["awaiting_override"]] == [screening]
    settings = DEFAULT_PROTOCOL.to_json()
    settings["screening"]["validity_days"] = 90
    publish_protocol_version(by=None, site=world.site1, settings=settings, change_summary="shorter")
    # The override service now refuses it as expired, so the worklist must not offer it.
    assert client.get("/staff/intake/").context["awaiting_override"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [("nurse1", 200), ("therapist1", 200), ("prescriber1", 200), ("front_desk1", 404), ("patient_a", 404)],
)
def test_who_sees_the_worklist(world: World, who: str, status: int) -> None:
    assert client_for(world.users()[who]).get("/staff/intake/").status_code == status


@pytest.mark.django_db
def test_renew_by_follows_a_shorter_validity_of_the_active_protocol(world: World) -> None:
    from clinic.protocol import DEFAULT_PROTOCOL
    from clinic.services import publish_protocol_version

    screening = screen(world.patient_a, by=world.nurse1, at=noon(10))
    screening.refresh_from_db()  # times in UTC, as the page reads them
    client = client_for(world.nurse1)
    assert client.get(intake_url(world)).context["latest"]["renew_by"] == screening.screened_at + dt.timedelta(180)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["screening"]["validity_days"] = 120
    publish_protocol_version(by=None, site=world.site1, settings=settings, change_summary="shorter")
    page = client.get(intake_url(world))
    assert page.context["latest"]["renew_by"] == screening.screened_at + dt.timedelta(120)
    renew = (screening.screened_at + dt.timedelta(120)).astimezone(NEW_YORK)
    assert f"{renew:%a, %b} {renew.day}, {renew.year}" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "level", "text"),
    [
        ({}, "success", "Screening saved: eligible."),
        ({"systolic": "152"}, "warning", "Screening saved: override required. A prescriber must review"),
        ({"history": ["ketamine_allergy"]}, "error", "Screening saved: ineligible. An absolute contraindication"),
    ],
)
def test_the_saved_screening_message_is_styled_by_its_decision_never_green_for_an_override(
    world: World, changes: dict[str, Any], level: str, text: str
) -> None:
    response = client_for(world.nurse1).post(
        intake_url(world, "screening/"), {**SCREENING_FORM, **changes}, follow=True
    )
    [message] = list(response.context["messages"])
    assert message.level_tag == level
    assert str(message).startswith(text)


@pytest.mark.django_db
def test_a_safety_alert_after_a_questionnaire_in_clinic_is_an_error_message_not_a_warning(world: World) -> None:
    answers = {f"item_{i}": "0" for i in range(1, 9)} | {"item_9": "2"}
    response = client_for(world.nurse1).post(intake_url(world, "questionnaires/phq9/"), answers, follow=True)
    levels = {str(m).split(":")[0]: m.level_tag for m in response.context["messages"]}
    assert levels["Safety alert"] == "error"


@pytest.mark.django_db
def test_an_open_safety_task_on_the_patient_page_panel_is_red(world: World) -> None:
    client = client_for(world.nurse1)
    client.post(intake_url(world, "questionnaires/phq9/"), {f"item_{i}": "1" for i in range(1, 10)})
    html = client.get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
    panel = html.split('class="intake-panel"')[1].split("</article>")[0]
    red = panel.split('class="notice notice--error safety-alerts" role="alert"')[1].split("</div></div>")[0]
    assert "<li>Open safety task since" in red
