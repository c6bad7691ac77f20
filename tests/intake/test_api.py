"""Intake API: payloads and answers of issue 3, validation errors, and who gets in (the permission matrix)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from clinic.models import AuditEvent, User
from intake.models import Assessment, Consent, MedicalClearance, Screening
from tests.conftest import World, api_as
from tests.intake.factories import CSSRS_NONE, screen

FACTS: dict[str, Any] = {
    "height_cm": 170.0,
    "weight_kg": 70.0,
    "systolic": 120,
    "diastolic": 80,
    "heart_rate": 70,
    "history": [],
    "medications": [],
    "failed_antidepressant_trials": 2,
}


def post(user: User, url: str, body: dict[str, Any]) -> Any:
    return api_as(user).post(url, body, format="json")


def assessments_url(world: World) -> str:
    return f"/api/v1/patients/{world.patient_a.pk}/assessments/"


def screenings_url(world: World) -> str:
    return f"/api/v1/patients/{world.patient_a.pk}/screenings/"


# --- Payloads ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_post_assessment_answers_the_score(world: World) -> None:
    response = post(world.nurse1, assessments_url(world), {"instrument": "gad7", "answers": [3, 3, 3, 3, 3, 0, 0]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "instrument", "total", "severity", "flags", "administered_at"} <= set(body)
    assert (body["instrument"], body["total"], body["severity"], body["flags"]) == ("gad7", 15, "severe", [])


@pytest.mark.django_db
def test_post_cssrs_answers_a_null_total_and_the_risk(world: World) -> None:
    body = post(
        world.nurse1, assessments_url(world), {"instrument": "cssrs_screen", "answers": {**CSSRS_NONE, "q3": True}}
    ).json()
    assert (body["total"], body["severity"], body["flags"]) == (None, "moderate", ["suicide_risk_moderate"])
    assert body["safety_task"] is not None


@pytest.mark.django_db
def test_administered_at_is_kept_and_the_list_is_newest_first(world: World) -> None:
    client = api_as(world.nurse1)
    client.post(
        assessments_url(world),
        {"instrument": "phq9", "answers": [0] * 9, "administered_at": "2026-01-05T09:30:00-05:00"},
        format="json",
    )
    client.post(assessments_url(world), {"instrument": "phq9", "answers": [1] * 9}, format="json")
    listed = client.get(assessments_url(world)).json()
    assert [a["total"] for a in listed["results"]] == [9, 0]
    assert listed["results"][1]["administered_at"].startswith("2026-01-05T09:30:00")
    assert AuditEvent.objects.filter(action="intake.assessment.view", patient=world.patient_a).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instrument": "phq9", "answers": [0] * 8}, "answers"),
        ({"instrument": "phq9", "answers": [0] * 10}, "answers"),
        ({"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]}, "answers[3]"),
        ({"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, "1"]}, "answers[8]"),
        ({"instrument": "madrs", "answers": [0] * 9 + [7]}, "answers[9]"),
        ({"instrument": "cssrs_screen", "answers": {**CSSRS_NONE, "q2": None}}, "answers.q2"),
        ({"instrument": "cssrs_screen", "answers": {**CSSRS_NONE, "q7": True}}, "answers.q7"),
        ({"instrument": "bdi", "answers": [0]}, "instrument"),
        ({"instrument": "phq9"}, "answers"),
        ({"instrument": "phq9", "answers": [0] * 9, "administered_at": "2999-01-01T00:00:00Z"}, "administered_at"),
        ({"instrument": "phq9", "answers": [0] * 9, "patient": 5}, "patient"),
    ],
)
def test_assessment_errors_name_the_item(world: World, body: dict[str, Any], field: str) -> None:
    response = post(world.nurse1, assessments_url(world), body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_out_of_range_message_says_which_item_and_range(world: World) -> None:
    response = post(
        world.nurse1, assessments_url(world), {"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]}
    )
    assert response.json() == {"answers[3]": ["PHQ-9 item 4 must be a whole number from 0 to 3, got 4"]}


@pytest.mark.django_db
def test_post_screening_answers_the_decision(world: World) -> None:
    body = {**FACTS, "systolic": 150, "history": ["ptsd"], "medications": [
        {"name": "Lamotrigine", "category": "lamotrigine"},
    ]}  # fmt: skip
    response = post(world.nurse1, screenings_url(world), body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert {"id", "decision", "findings", "protocol_version", "cleared"} <= set(data)
    assert data["decision"] == "override_required"
    assert data["cleared"] is False
    assert {"code": "elevated_blood_pressure", "kind": "relative"}.items() <= data["findings"][0].items()
    assert {f["code"] for f in data["findings"]} == {"elevated_blood_pressure", "lamotrigine", "ptsd"}
    assert all(f["message"] for f in data["findings"])
    screening = Screening.objects.get()
    assert data["protocol_version"] == screening.protocol_version_id
    detail = api_as(world.prescriber1).get(f"/api/v1/screenings/{screening.pk}/")
    assert detail.status_code == 200
    assert detail.json()["decision"] == "override_required"
    assert AuditEvent.objects.filter(action="intake.screening.view", object_id=str(screening.pk)).exists()


@pytest.mark.django_db
def test_unknown_codes_answer_400_listing_them(world: World) -> None:
    body = {**FACTS, "history": ["ptsd", "heart_attack"], "medications": [{"name": "X", "category": "opioid"}]}
    response = post(world.nurse1, screenings_url(world), body)
    assert response.status_code == 400
    assert response.json() == {
        "history": ["Unknown history code 'heart_attack'."],
        "medications": ["Unknown medication category 'opioid'."],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"systolic": 400}, "systolic"),
        ({"diastolic": 130}, "diastolic"),  # not below systolic 120
        ({"height_cm": "tall"}, "height_cm"),
        ({"failed_antidepressant_trials": -1}, "failed_antidepressant_trials"),
        ({"histroy": ["ptsd"]}, "histroy"),
        ({"substance_use_disorder": {"status": "sometimes"}}, "substance_use_disorder"),
        ({"stroke_date": "yesterday"}, "stroke_date"),
        ({"medications": [{"name": "Diazepam", "category": "benzodiazepine", "diazepam_equivalent_mg_per_day": -2}]},
         "medications"),
    ],
)  # fmt: skip
def test_screening_errors_name_the_field(world: World, change: dict[str, Any], field: str) -> None:
    response = post(world.nurse1, screenings_url(world), {**FACTS, **change})
    assert response.status_code == 400
    assert field in response.json()
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_override_flow(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    url = f"/api/v1/screenings/{screening.pk}/override/"
    assert post(world.nurse1, url, {"reason": "ok"}).status_code == 403
    blank = post(world.prescriber1, url, {"reason": "  "})
    assert blank.status_code == 400
    assert "reason" in blank.json()
    short = post(world.prescriber1, url, {"reason": "ok", "addressed_findings": ["elevated_blood_pressure"]})
    assert short.status_code == 400
    assert "at least 20 characters" in short.json()["reason"][0]
    reason = "Rechecked 132/84 after ten minutes of rest."
    unaddressed = post(world.prescriber1, url, {"reason": reason})
    assert unaddressed.status_code == 400
    assert unaddressed.json()["addressed_findings"] == [
        "Tick each finding your reason addresses: Raised blood pressure."
    ]
    done = post(world.prescriber1, url, {"reason": reason, "addressed_findings": ["elevated_blood_pressure"]})
    assert done.status_code == 200
    assert done.json()["cleared"] is True
    assert done.json()["status"] == "overridden"
    assert done.json()["override"]["reason"] == reason
    assert done.json()["override"]["addressed_findings"] == ["elevated_blood_pressure"]


@pytest.mark.django_db
def test_override_of_an_absolute_finding_is_409(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, history=["intracerebral_hemorrhage"])
    response = post(world.prescriber1, f"/api/v1/screenings/{screening.pk}/override/", {"reason": "accept"})
    assert response.status_code == 409
    assert response.json()["code"] == "absolute_finding"
    assert "haemorrhage" in response.json()["detail"]


@pytest.mark.django_db
def test_consent_and_medical_clearance_endpoints(world: World) -> None:
    base = f"/api/v1/patients/{world.patient_a.pk}"
    signed = post(world.nurse1, f"{base}/consent/", {"document_version": "v1", "signed_name": "Alpha Testperson"})
    assert signed.status_code == 201, signed.json()
    assert (signed.json()["method"], signed.json()["witnessed_by"]) == ("witnessed", "nurse1")
    assert len(signed.json()["text_sha256"]) == 64
    wrong = post(world.nurse1, f"{base}/consent/", {"document_version": "v9", "signed_name": "Alpha Testperson"})
    assert (wrong.status_code, list(wrong.json())) == (400, ["document_version"])
    assert post(world.nurse1, f"{base}/medical-clearance/", {"note": "fine"}).status_code == 403
    assert post(world.prescriber1, f"{base}/medical-clearance/", {"note": ""}).status_code == 400
    cleared = post(world.prescriber1, f"{base}/medical-clearance/", {"note": "ECG normal."})
    assert cleared.status_code == 201
    assert cleared.json()["prescriber"] == "prescriber1"
    assert (Consent.objects.count(), MedicalClearance.objects.count()) == (1, 1)
    screen(world.patient_a, by=world.nurse1)
    state = api_as(world.nurse1).get(f"{base}/dosing-clearance/").json()
    assert (state["cleared"], state["reasons"]) == (True, [])


@pytest.mark.django_db
def test_dosing_clearance_lists_the_reasons(world: World) -> None:
    response = api_as(world.prescriber1).get(f"/api/v1/patients/{world.patient_a.pk}/dosing-clearance/")
    assert response.status_code == 200
    assert response.json()["cleared"] is False
    assert len(response.json()["reasons"]) == 3
    bad = api_as(world.prescriber1).get(f"/api/v1/patients/{world.patient_a.pk}/dosing-clearance/", {"at": "soon"})
    assert bad.status_code == 400


# --- Permission matrix ------------------------------------------------------------------------------------------

EVERYONE = ("patient_a", "patient_b", "prescriber1", "nurse1", "nurse2", "therapist1", "therapist_unassigned",
            "front_desk1", "admin1")  # fmt: skip
CAN_SEE = {"prescriber1", "nurse1", "therapist1", "admin1"}  # patient A's clinical data


def _expect(who: str, allowed: set[str], ok: int) -> int:
    if who not in CAN_SEE:
        return 404
    return ok if who in allowed else 403


@pytest.mark.django_db
@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("path", ["assessments", "screenings", "consent", "medical-clearance", "dosing-clearance"])
def test_reading_patient_a(world: World, who: str, path: str) -> None:
    response = api_as(world.users()[who]).get(f"/api/v1/patients/{world.patient_a.pk}/{path}/")
    assert response.status_code == (200 if who in CAN_SEE else 404)


@pytest.mark.django_db
@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize(
    ("path", "body", "allowed"),
    [
        ("assessments", {"instrument": "phq9", "answers": [0] * 9}, {"prescriber1", "nurse1", "therapist1"}),
        ("screenings", FACTS, {"prescriber1", "nurse1"}),
        ("consent", {"document_version": "v1", "signed_name": "Alpha Testperson"},
         {"prescriber1", "nurse1", "therapist1"}),
        ("medical-clearance", {"note": "Reviewed."}, {"prescriber1"}),
    ],
)  # fmt: skip
def test_writing_for_patient_a(world: World, who: str, path: str, body: dict[str, Any], allowed: set[str]) -> None:
    response = post(world.users()[who], f"/api/v1/patients/{world.patient_a.pk}/{path}/", body)
    assert response.status_code == _expect(who, allowed, 201), response.content


@pytest.mark.django_db
@pytest.mark.parametrize("who", EVERYONE)
def test_screening_detail_and_override(world: World, who: str) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    client = api_as(world.users()[who])
    assert client.get(f"/api/v1/screenings/{screening.pk}/").status_code == (200 if who in CAN_SEE else 404)
    body = {"reason": "Rechecked 132/84 after rest.", "addressed_findings": ["elevated_blood_pressure"]}
    override = client.post(f"/api/v1/screenings/{screening.pk}/override/", body, format="json")
    assert override.status_code == _expect(who, {"prescriber1"}, 200)


@pytest.mark.django_db
def test_other_sites_screenings_are_404(world: World) -> None:
    screening = screen(world.patient_b, by=world.nurse2)
    assert api_as(world.nurse2).get(f"/api/v1/screenings/{screening.pk}/").status_code == 200
    assert api_as(world.nurse1).get(f"/api/v1/screenings/{screening.pk}/").status_code == 404
    assert post(world.nurse1, f"/api/v1/patients/{world.patient_b.pk}/screenings/", FACTS).status_code == 404
    assert api_as(world.nurse1).get("/api/v1/screenings/999999/").status_code == 404


@pytest.mark.django_db
def test_anonymous_requests_are_refused(world: World) -> None:
    assert APIClient().get(assessments_url(world)).status_code in (401, 403)
    assert APIClient().post(screenings_url(world), FACTS, format="json").status_code in (401, 403)
