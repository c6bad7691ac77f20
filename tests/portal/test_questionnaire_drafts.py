"""Questionnaires on a phone: answers saved as they are given, restored after closing the tab, and the crisis
response as soon as a risk answer appears (clinical protocol §5)."""

from __future__ import annotations

import pytest
from django.test import Client

from clinic.models import AuditEvent, Notification, NotificationSeverity, User
from intake.models import Assessment, QuestionnaireDraft
from tests.conftest import World

HX = {"HTTP_HX_REQUEST": "true"}
PHQ9_ZERO = {f"item_{i}": "0" for i in range(1, 10)}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_answers_are_saved_as_given_and_ticked_again_on_return(world: World) -> None:
    client = client_for(world.patient_a_user)
    response = client.post("/portal/questionnaires/phq9/draft/", {"item_1": "2", "item_3": "1"}, **HX)
    assert response.status_code == 200
    assert "Saved: 2 of 9 answered." in response.content.decode()
    assert "crisis-banner" not in response.content.decode()
    draft = QuestionnaireDraft.objects.get(patient=world.patient_a, instrument="phq9")
    assert draft.answers == {"1": 2, "3": 1}
    html = client_for(world.patient_a_user).get("/portal/questionnaires/phq9/").content.decode()
    checked = [chunk for chunk in html.split("<input") if "checked" in chunk.split(">")[0]]
    assert sorted(c.split('name="')[1].split('"')[0] + "=" + c.split('value="')[1].split('"')[0] for c in checked) == [
        "item_1=2",
        "item_3=1",
    ]
    assert AuditEvent.objects.filter(action="intake.questionnairedraft.view", patient=world.patient_a).exists()
    assert AuditEvent.objects.filter(action="intake.questionnairedraft.save", patient=world.patient_a).count() == 1


@pytest.mark.django_db
def test_a_risk_answer_shows_the_crisis_banner_at_once_and_alerts_the_team_once(world: World) -> None:
    client = client_for(world.patient_a_user)
    first = client.post("/portal/questionnaires/phq9/draft/", {"item_9": "1"}, **HX).content.decode()
    assert "crisis-banner" in first
    assert 'href="tel:988"' in first
    assert 'hx-swap-oob="true"' in first
    alerts = Notification.objects.filter(patient=world.patient_a, kind="safety_alert")
    assert alerts.exists()
    assert {a.severity for a in alerts} == {NotificationSeverity.CRITICAL}
    count = alerts.count()
    client.post("/portal/questionnaires/phq9/draft/", {"item_9": "1", "item_1": "2"}, **HX)
    assert Notification.objects.filter(patient=world.patient_a, kind="safety_alert").count() == count
    # after closing the tab: the banner is there again with the answers
    page = client_for(world.patient_a_user).get("/portal/questionnaires/phq9/").content.decode()
    assert "crisis-banner" in page


@pytest.mark.django_db
def test_a_cssrs_risk_answer_counts_before_the_end(world: World) -> None:
    response = client_for(world.patient_a_user).post("/portal/questionnaires/cssrs_screen/draft/", {"q4": "yes"}, **HX)
    assert "crisis-banner" in response.content.decode()
    assert QuestionnaireDraft.objects.get(patient=world.patient_a).risk_flags == ["suicide_risk_high"]


@pytest.mark.django_db
def test_low_answers_raise_nothing(world: World) -> None:
    response = client_for(world.patient_a_user).post("/portal/questionnaires/cssrs_screen/draft/", {"q1": "yes"}, **HX)
    assert "crisis-banner" not in response.content.decode()
    assert not Notification.objects.filter(patient=world.patient_a).exists()


@pytest.mark.django_db
def test_sending_the_questionnaire_ends_the_draft(world: World) -> None:
    client = client_for(world.patient_a_user)
    client.post("/portal/questionnaires/phq9/draft/", {"item_1": "1"}, **HX)
    response = client.post("/portal/questionnaires/phq9/", {**PHQ9_ZERO, "item_1": "1"})
    assert response.status_code == 302
    assert Assessment.objects.filter(patient=world.patient_a, instrument="phq9").exists()
    assert not QuestionnaireDraft.objects.filter(patient=world.patient_a).exists()


@pytest.mark.django_db
def test_save_and_finish_later_without_a_script_returns_home(world: World) -> None:
    response = client_for(world.patient_a_user).post("/portal/questionnaires/gad7/draft/", {"item_2": "3"}, follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert "Your answers are saved." in response.content.decode()
    assert QuestionnaireDraft.objects.get(patient=world.patient_a, instrument="gad7").answers == {"2": 3}


@pytest.mark.django_db
def test_answers_that_are_not_choices_are_left_out(world: World) -> None:
    client = client_for(world.patient_a_user)
    response = client.post("/portal/questionnaires/phq9/draft/", {"item_1": "9", "item_2": "x", "item_3": "1"}, **HX)
    assert response.status_code == 200
    assert QuestionnaireDraft.objects.get(patient=world.patient_a).answers == {"3": 1}


@pytest.mark.django_db
def test_drafts_are_each_patients_own(world: World) -> None:
    client_for(world.patient_a_user).post("/portal/questionnaires/phq9/draft/", {"item_9": "2"}, **HX)
    page = client_for(world.patient_b_user).get("/portal/questionnaires/phq9/").content.decode()
    assert "crisis-banner" not in page
    assert " checked" not in page
    assert not QuestionnaireDraft.objects.filter(patient=world.patient_b).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nurse1", "prescriber1", "admin1"])
def test_staff_cannot_use_the_portal_draft(world: World, who: str) -> None:
    response = client_for(world.users()[who]).post("/portal/questionnaires/phq9/draft/", {"item_1": "1"}, **HX)
    assert response.status_code == 404


@pytest.mark.django_db
def test_an_unknown_questionnaire_is_404(world: World) -> None:
    response = client_for(world.patient_a_user).post("/portal/questionnaires/madrs/draft/", {"item_1": "1"}, **HX)
    assert response.status_code == 404
