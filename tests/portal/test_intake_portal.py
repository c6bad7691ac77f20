"""The portal's intake flows: questionnaires with crisis resources, health and medicines, consent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from clinic.models import AuditEvent, Notification, User
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import active_protocol_version, publish_protocol_version
from intake.consent import consent_sha256
from intake.models import Assessment, Consent, HealthQuestionnaire, SafetyTask
from intake.services.self_report import FUTURE_STOP_DATE
from tests.conftest import World
from tests.intake.factories import management_form, phq9

PHQ9_ZERO = {f"item_{i}": "0" for i in range(1, 10)}
CSSRS_NO = dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "q6_lifetime"), "no")
HEALTH_FORM: dict[str, Any] = {
    "substance_use_status": "none",
    **management_form(),
}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_home_lists_questionnaires_and_consent_to_do(world: World) -> None:
    html = client_for(world.patient_a_user).get("/portal/").content.decode()
    assert "Before your treatment" in html
    for link in ("/portal/questionnaires/phq9/", "/portal/questionnaires/gad7/", "/portal/questionnaires/cssrs_screen/",
                 "/portal/health/", "/portal/consent/"):  # fmt: skip
        assert link in html


@pytest.mark.django_db
def test_a_recent_questionnaire_is_not_asked_again(world: World) -> None:
    phq9(world.patient_a, by=world.nurse1)
    html = client_for(world.patient_a_user).get("/portal/").content.decode()
    assert "/portal/questionnaires/phq9/" not in html
    assert "/portal/questionnaires/gad7/" in html


@pytest.mark.django_db
def test_the_refill_interval_is_the_protocols(world: World) -> None:
    import datetime as dt

    from django.utils import timezone

    from clinic.protocol import DEFAULT_PROTOCOL
    from clinic.services import publish_protocol_version
    from intake.services import record_assessment

    record_assessment(
        by=world.nurse1,
        patient=world.patient_a,
        instrument="phq9",
        answers=[0] * 9,
        administered_at=timezone.now() - dt.timedelta(days=10),
    )
    assert "/portal/questionnaires/phq9/" not in client_for(world.patient_a_user).get("/portal/").content.decode()
    settings = DEFAULT_PROTOCOL.to_json()
    settings["outcomes"]["portal_questionnaire_refill_days"] = 7
    publish_protocol_version(by=world.admin1, site=world.site1, settings=settings, change_summary="weekly PHQ-9")
    assert "/portal/questionnaires/phq9/" in client_for(world.patient_a_user).get("/portal/").content.decode()


@pytest.mark.django_db
def test_phq9_without_risk_shows_the_score_and_no_banner(world: World) -> None:
    client = client_for(world.patient_a_user)
    response = client.post("/portal/questionnaires/phq9/", {**PHQ9_ZERO, "item_1": "2", "item_2": "3"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your score: <strong>5</strong> (mild)" in html
    assert "crisis-banner" not in html
    assessment = Assessment.objects.get()
    assert (assessment.patient, assessment.source, assessment.entered_by) == (
        world.patient_a,
        "portal",
        world.patient_a_user,
    )
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_item_9_above_zero_shows_the_crisis_banner_and_alerts_the_care_team(world: World) -> None:
    response = client_for(world.patient_a_user).post(
        "/portal/questionnaires/phq9/", {**PHQ9_ZERO, "item_9": "1"}, follow=True
    )
    html = response.content.decode()
    assert 'class="crisis-banner"' in html
    assert 'href="tel:988"' in html
    assert 'href="tel:911"' in html
    assert "We have let your care team know" in html
    assert SafetyTask.objects.filter(patient=world.patient_a).exists()
    assert Notification.objects.filter(patient=world.patient_a, kind="safety_alert").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("answers", "banner"), [({"q1": "yes"}, False), ({"q3": "yes"}, True), ({"q4": "yes"}, True)])
def test_cssrs_moderate_or_high_shows_the_crisis_banner(world: World, answers: dict, banner: bool) -> None:
    response = client_for(world.patient_a_user).post(
        "/portal/questionnaires/cssrs_screen/", {**CSSRS_NO, **answers}, follow=True
    )
    assert ('class="crisis-banner"' in response.content.decode()) is banner
    assert Assessment.objects.get().total is None


@pytest.mark.django_db
def test_cssrs_past_3_months_is_asked_after_a_lifetime_yes(world: World) -> None:
    client = client_for(world.patient_a_user)
    response = client.post("/portal/questionnaires/cssrs_screen/", {**CSSRS_NO, "q6_lifetime": "yes"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"q6_past_3_months": ["Please answer this question."]}
    response = client.post(
        "/portal/questionnaires/cssrs_screen/", {**CSSRS_NO, "q6_lifetime": "yes", "q6_past_3_months": "yes"}
    )
    assert response.status_code == 302
    assert Assessment.objects.get().severity == "high"


@pytest.mark.django_db
def test_unanswered_questions_are_named_and_answers_kept(world: World) -> None:
    data = dict(PHQ9_ZERO)
    del data["item_4"]
    data["item_2"] = "3"
    response = client_for(world.patient_a_user).post("/portal/questionnaires/phq9/", data)
    assert response.status_code == 400
    assert response.context["form"].errors == {"item_4": ["Please answer this question."]}
    assert 'value="3" required id="id_item_2_3" checked' in response.content.decode()
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_patient_cannot_see_another_patients_result(world: World) -> None:
    theirs = phq9(world.patient_b, by=world.nurse2)
    response = client_for(world.patient_a_user).get(f"/portal/questionnaires/answers/{theirs.pk}/")
    assert response.status_code == 404
    own = client_for(world.patient_b_user).get(f"/portal/questionnaires/answers/{theirs.pk}/")
    assert own.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["questionnaires/phq9/", "health/", "consent/"])
def test_staff_get_404_in_the_portal(world: World, path: str) -> None:
    assert client_for(world.nurse1).get(f"/portal/{path}").status_code == 404


@pytest.mark.django_db
def test_unknown_questionnaire_is_404(world: World) -> None:
    assert client_for(world.patient_a_user).get("/portal/questionnaires/madrs/").status_code == 404


@pytest.mark.django_db
def test_health_and_medicines_in_plain_words(world: World) -> None:
    client = client_for(world.patient_a_user)
    page = client.get("/portal/health/").content.decode()
    assert "I have been told I have bipolar disorder" in page
    assert "Sedative or anti-anxiety pill" in page
    data = {
        **HEALTH_FORM,
        "history": ["bipolar_disorder", "ptsd"],
        "med-0-name": "Lamictal",
        "med-0-category": "lamotrigine",
        "med-0-dose": "100 mg daily",
        "med-1-name": "Something",
        "substance_use_status": "remission",
        "remission_since": "2023-04-01",
    }
    assert client.post("/portal/health/", data).status_code == 302
    report = HealthQuestionnaire.objects.get()
    assert report.patient == world.patient_a
    assert report.history == ["bipolar_disorder", "ptsd"]
    assert report.medications == [
        {"name": "Lamictal", "category": "lamotrigine", "dose": "100 mg daily"},
        {"name": "Something", "category": "other", "dose": ""},
    ]
    assert report.substance_use == {"status": "remission", "remission_since": "2023-04-01"}
    assert AuditEvent.objects.filter(action="intake.healthquestionnaire.create", actor=world.patient_a_user).exists()
    again = client.get("/portal/health/").content.decode()
    assert 'value="Lamictal"' in again
    viewed = AuditEvent.objects.filter(action="portal.healthquestionnaire.view", actor=world.patient_a_user)
    assert {(e.patient_id, e.object_id) for e in viewed} == {
        (world.patient_a.pk, ""),
        (world.patient_a.pk, str(report.pk)),
    }


@pytest.mark.django_db
def test_health_form_errors_keep_the_answers(world: World) -> None:
    data = {**HEALTH_FORM, "history": ["ptsd"], "med-0-name": "Zoloft", "remission_since": "2023-04-01"}
    response = client_for(world.patient_a_user).post("/portal/health/", data)
    assert response.status_code == 400
    assert "remission_since" in response.context["form"].errors
    assert 'value="Zoloft"' in response.content.decode()
    assert not HealthQuestionnaire.objects.exists()


@pytest.mark.django_db
def test_patient_signs_consent_with_their_typed_name(world: World) -> None:
    client = client_for(world.patient_a_user)
    page = client.get("/portal/consent/").content.decode()
    assert "Consent to ketamine-assisted psychotherapy" in page
    wrong = client.post("/portal/consent/", {"document_version": "v1", "signed_name": "Bravo Testperson"})
    assert wrong.status_code == 400
    assert "Alpha Testperson" in wrong.context["form"].errors["signed_name"][0]
    assert (
        client.post("/portal/consent/", {"document_version": "v1", "signed_name": "Alpha Testperson"}).status_code
        == 302
    )
    signed = Consent.objects.get()
    assert (signed.patient, signed.method, signed.document_version) == (world.patient_a, "portal", "v1")
    assert signed.text_sha256 == consent_sha256("v1")
    assert "You signed this document" in client.get("/portal/consent/").content.decode()
    assert AuditEvent.objects.filter(action="portal.consent.view", patient=world.patient_a).exists()


@pytest.mark.django_db
def test_portal_home_still_works_with_the_intake_panel(world: World) -> None:
    response = client_for(world.patient_a_user).get("/portal/")
    assert response.status_code == 200
    assert "Hello, Alpha" in response.content.decode()


@pytest.mark.django_db
def test_a_stop_date_in_the_future_is_refused_beside_its_field_and_the_answers_kept(world: World) -> None:
    from django.utils import timezone

    tomorrow = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    data = {
        **HEALTH_FORM,
        "history": ["ptsd"],
        "substance_use_status": "remission",
        "remission_since": tomorrow,
        "med-0-name": "Sertraline",
    }
    response = client_for(world.patient_a_user).post("/portal/health/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["remission_since"] == [FUTURE_STOP_DATE]
    html = response.content.decode()
    assert f'value="{tomorrow}"' in html
    assert 'value="Sertraline"' in html
    assert not HealthQuestionnaire.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_stop_date_in_the_future_whoever_calls_it(world: World) -> None:
    from django.utils import timezone

    from clinic.errors import InvalidInput
    from intake.services import record_health_questionnaire

    future = {"status": "remission", "remission_since": timezone.localdate() + dt.timedelta(days=2)}
    with pytest.raises(InvalidInput) as refused:
        record_health_questionnaire(
            by=world.patient_a_user, patient=world.patient_a, data={"substance_use_disorder": future}
        )
    assert refused.value.errors == {"substance_use_disorder.remission_since": [FUTURE_STOP_DATE]}


@pytest.mark.django_db
def test_the_thank_you_page_lists_only_what_is_still_due(world: World) -> None:
    client = client_for(world.patient_a_user)
    client.post("/portal/questionnaires/gad7/", {f"item_{i}": "0" for i in range(1, 8)})
    response = client.post("/portal/questionnaires/phq9/", PHQ9_ZERO, follow=True)
    todo = response.context["todo"]
    assert [item["questionnaire"].instrument for item in todo["to_fill"]] == ["cssrs_screen"]
    html = response.content.decode()
    due = html.split('id="still-due"')[1].split("</section>")[0]
    assert "/portal/questionnaires/cssrs_screen/" in due
    assert "/portal/questionnaires/phq9/" not in due
    assert "/portal/questionnaires/gad7/" not in due
    assert "/portal/health/" in due
    assert "/portal/consent/" in due


@pytest.mark.django_db
def test_the_consent_page_notes_preparation_rules_changed_since_the_text_was_written(world: World) -> None:
    """The signed text (v1) says 6 hours without food and 2 without clear liquids; it cannot change without a new
    version, so when the clinic's protocol changes, the page says so beside it, with today's rules."""
    client = client_for(world.patient_a_user)
    assert "preparation rules have changed" not in client.get("/portal/consent/").content.decode()
    active_protocol_version(world.site1)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["monitoring"]["fasting"]["iv"] = {"solids_hours": "8", "clear_liquids_hours": "2"}
    publish_protocol_version(by=None, site=world.site1, settings=settings, change_summary="Longer fast before IV")
    page = client.get("/portal/consent/").content.decode()
    assert (
        "Your clinic&#x27;s preparation rules have changed since this document was written. Today they are: before "
        "an infusion, nothing to eat for 8 hours and no clear liquids for 2 hours." in page
    )
    assert "before an injection" not in page  # unchanged for IM
