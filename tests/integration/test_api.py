"""The integration API (issue 9, item 7): its paths, fields and codes, who gets in and who gets 404, and the audit."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.models import AuditEvent, User
from integration import services
from integration.models import IntegrationNote, MaintenanceEvaluation, RelapsePlanRevision
from tests.conftest import api_as
from tests.factories import patient_user, staff
from tests.integration.conftest import EMDR, Integ, stopped_course
from tests.sessions.conftest import ny


def notes_url(integ: Integ) -> str:
    return f"/api/v1/patients/{integ.patient.pk}/integration-notes/"


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


def post_note(integ: Integ, user: User, **changes: Any) -> Any:
    return api_as(user).post(notes_url(integ), as_json(integ.note_data(**changes)), format="json")


# --- Notes ----------------------------------------------------------------------------------------------------------


def test_a_therapist_writes_an_emdr_note_and_gets_it_back_with_the_derived_values(integ: Integ) -> None:
    phq9 = integ.phq9(12, ny(2026, 5, 3, 10))
    response = post_note(integ, integ.therapist)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {
        "id",
        "modality",
        "status",
        "dosing_session",
        "started_at",
        "duration_min",
        "narrative",
        "plan",
        "phq9_nearest",
        "emdr",
    } <= set(body)
    assert "art" not in body
    assert "ifs" not in body
    assert (body["modality"], body["status"], body["dosing_session"]) == ("emdr", "draft", integ.session.pk)
    assert body["emdr"]["voc"] == 5
    assert body["emdr"]["sud_change"] == -5
    assert body["emdr"]["target_complete"] is False
    assert body["phq9_nearest"]["total"] == 12
    assert body["phq9_nearest"]["assessment"] == phq9
    assert body["warnings"] == []
    assert AuditEvent.objects.filter(action="integration.note.create", actor=integ.therapist).count() == 1


def test_invalid_input_answers_400_naming_each_bad_field_nested_under_the_modality(integ: Integ) -> None:
    response = post_note(integ, integ.therapist, duration_min=0, emdr={**EMDR, "voc": 8, "sud_before": -1})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"duration_min", "emdr"}
    assert body["emdr"]["voc"] == ["VOC is rated from 1 to 7."]
    assert body["emdr"]["sud_before"] == ["SUD before is rated from 0 to 10."]
    ifs = api_as(integ.therapist).post(
        notes_url(integ),
        as_json(
            integ.note_data(
                modality="ifs",
                emdr=None,
                ifs={"parts": [{"name": "Critic", "type": "boss"}], "unburdening_steps": ["fly"]},
            )
        ),
        format="json",
    )
    assert ifs.status_code == 400
    assert set(ifs.json()["ifs"]) == {"parts[0].type", "unburdening_steps"}
    not_an_object = api_as(integ.therapist).post(notes_url(integ), [1, 2], format="json")
    assert not_an_object.status_code == 400
    assert "non_field_errors" in not_an_object.json()
    assert IntegrationNote.objects.count() == 0


def test_patch_changes_a_draft_for_its_author_only_and_409_once_signed(integ: Integ) -> None:
    note = integ.draft()
    url = f"/api/v1/integration-notes/{note.pk}/"
    other = api_as(integ.prescriber).patch(url, {"plan": "Mine now."}, format="json")
    assert other.status_code == 403
    assert other.json()["code"] == "permission_denied"
    changed = api_as(integ.therapist).patch(url, {"duration_min": 120, "emdr": {**EMDR, "voc": 7}}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["duration_min"] == 120
    assert changed.json()["emdr"]["voc"] == 7
    assert changed.json()["warnings"]  # 120 min is outside the usual 60-90
    nurse_sign = api_as(integ.nurse).post(f"{url}sign/")
    assert nurse_sign.status_code == 403
    signed = api_as(integ.therapist).post(f"{url}sign/")
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"
    assert signed.json()["signed_by"] == integ.therapist.username
    refused = api_as(integ.therapist).patch(url, {"plan": "A change after signing."}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "note_signed"
    assert api_as(integ.therapist).post(f"{url}sign/").json()["code"] == "note_signed"
    assert api_as(integ.therapist).put(url, {"plan": "x"}, format="json").status_code == 405


def test_addenda_go_on_signed_notes(integ: Integ) -> None:
    note = integ.draft()
    url = f"/api/v1/integration-notes/{note.pk}/addenda/"
    draft = api_as(integ.therapist).post(url, {"text": "Too early."}, format="json")
    assert draft.status_code == 409
    services.sign_note(by=integ.therapist, note=note)
    empty = api_as(integ.therapist).post(url, {"text": "  "}, format="json")
    assert empty.status_code == 400
    assert set(empty.json()) == {"text"}
    added = api_as(integ.prescriber).post(
        url, {"text": "Fictional correction: the session lasted 80 minutes."}, format="json"
    )
    assert added.status_code == 201
    assert (added.json()["note"], added.json()["author"]) == (note.pk, integ.prescriber.username)
    read = api_as(integ.nurse).get(f"/api/v1/integration-notes/{note.pk}/").json()
    assert [a["text"] for a in read["addenda"]] == ["Fictional correction: the session lasted 80 minutes."]
    assert api_as(integ.nurse).post(url, {"text": "Nurses do not add."}, format="json").status_code == 403


def test_who_reads_notes_through_the_api(integ: Integ) -> None:
    note = integ.draft()
    nurse_elsewhere = staff("nurse", integ.clinic.site.__class__.objects.create(name="Elsewhere", code="ELSE"))
    readers = {"therapist": integ.therapist, "prescriber": integ.prescriber, "nurse": integ.nurse}
    never = {
        "front desk": integ.front_desk,
        "clinic admin": integ.admin,
        "therapist off the care team": integ.other_therapist,
        "the patient": patient_user(integ.patient),
        "a nurse of another site": nurse_elsewhere,
    }
    for who, user in readers.items():
        assert api_as(user).get(notes_url(integ)).status_code == 200, who
        assert api_as(user).get(f"/api/v1/integration-notes/{note.pk}/").status_code == 200, who
    for who, user in never.items():
        assert api_as(user).get(notes_url(integ)).status_code == 404, who
        assert api_as(user).get(f"/api/v1/integration-notes/{note.pk}/").status_code == 404, who
        assert post_note(integ, user).status_code == 404, who
        assert api_as(user).patch(f"/api/v1/integration-notes/{note.pk}/", {}, format="json").status_code == 404, who
    listed = api_as(integ.nurse).get(notes_url(integ)).json()
    assert [n["id"] for n in listed["results"]] == [note.pk]
    assert post_note(integ, integ.nurse).status_code == 403  # reads, but does not write notes
    views = AuditEvent.objects.filter(action="integration.note.view", patient=integ.patient)
    assert views.filter(actor=integ.nurse).count() == 3  # list, one note, list
    assert api_as(integ.therapist).get("/api/v1/integration-notes/999999/").status_code == 404


# --- Outcomes -------------------------------------------------------------------------------------------------------


def test_outcomes_answer_the_course_the_scores_and_the_relapse_watch(integ: Integ) -> None:
    course = stopped_course(integ, baseline=18)
    integ.phq9(3, ny(2026, 5, 14, 10))
    latest = integ.phq9(9, ny(2026, 5, 21, 10))
    opened = services.evaluate_relapse_watch(patient=integ.patient)
    assert opened is not None
    body = api_as(integ.nurse).get(f"/api/v1/patients/{integ.patient.pk}/outcomes/").json()
    assert body["instrument"] == "phq9"
    assert (body["course"], body["baseline"], body["response"], body["remission"]) == (course.pk, 18, True, False)
    assert (body["latest"]["total"], body["latest"]["assessment"]) == (9, latest)
    assert body["nadir"]["total"] == 3
    assert body["relapse_watch"] == {"triggered": True, "reason": "rise_from_nadir", "evaluation": opened.evaluation.pk}
    own = api_as(patient_user(integ.patient)).get(f"/api/v1/patients/{integ.patient.pk}/outcomes/")
    assert own.status_code == 200
    assert own.json()["relapse_watch"]["evaluation"] is None  # evaluations are the care team's


def test_outcomes_without_a_course_are_nulls(integ: Integ) -> None:
    body = api_as(integ.therapist).get(f"/api/v1/patients/{integ.patient.pk}/outcomes/").json()
    assert body == {
        "instrument": "phq9",
        "course": None,
        "baseline": None,
        "latest": None,
        "nadir": None,
        "response": None,
        "remission": None,
        "relapse_watch": {"triggered": False, "reason": None, "evaluation": None},
    }


def test_who_reads_outcomes(integ: Integ) -> None:
    url = f"/api/v1/patients/{integ.patient.pk}/outcomes/"
    for user in (integ.nurse, integ.prescriber, integ.therapist, patient_user(integ.patient)):
        assert api_as(user).get(url).status_code == 200
    other_patient = patient_user(integ.clinic.cleared_patient(given_name="Other"))
    for user in (integ.front_desk, integ.admin, integ.other_therapist, other_patient):
        assert api_as(user).get(url).status_code == 404


# --- Maintenance evaluations ----------------------------------------------------------------------------------------


def test_evaluations_are_opened_listed_and_resolved_by_a_prescriber(integ: Integ) -> None:
    url = f"/api/v1/patients/{integ.patient.pk}/maintenance-evaluations/"
    assert api_as(integ.therapist).post(url, {"reason": ""}, format="json").status_code == 400
    opened = api_as(integ.therapist).post(url, {"reason": "Fictional: low mood again."}, format="json")
    assert opened.status_code == 201
    again = api_as(integ.nurse).post(url, {"reason": "Same."}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == opened.json()["id"]
    listed = api_as(integ.nurse).get(url).json()["results"]
    assert [(e["id"], e["status"], e["trigger"]) for e in listed] == [(opened.json()["id"], "open", "manual")]
    resolve = f"/api/v1/maintenance-evaluations/{opened.json()['id']}/resolve/"
    assert api_as(integ.therapist).post(resolve, {"outcome": "booster_booked"}, format="json").status_code == 403
    no_reason = api_as(integ.prescriber).post(resolve, {"outcome": "no_action"}, format="json")
    assert (no_reason.status_code, set(no_reason.json())) == (400, {"reason"})
    done = api_as(integ.prescriber).post(
        resolve, {"outcome": "no_action", "reason": "Fictional: better."}, format="json"
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"], done.json()["resolved_by"]) == (
        "resolved",
        "no_action",
        integ.prescriber.username,
    )
    twice = api_as(integ.prescriber).post(resolve, {"outcome": "booster_booked"}, format="json")
    assert twice.status_code == 409
    for user in (integ.front_desk, integ.admin, integ.other_therapist, patient_user(integ.patient)):
        assert api_as(user).get(url).status_code == 404
        assert api_as(user).post(resolve, {"outcome": "no_action", "reason": "x"}, format="json").status_code == 404


# --- Relapse-prevention plan ----------------------------------------------------------------------------------------

PLAN = {
    "warning_signs": ["Sleeping badly for several nights", "Skipping meals"],
    "coping_strategies": ["A walk around the block"],
    "people_to_ask": ["A fictional friend, 555-0199"],
    "maintenance_criteria": "Talk about a booster when the PHQ-9 rises.",
}


def test_the_plan_is_put_as_revisions_and_read_by_the_patient(integ: Integ) -> None:
    url = f"/api/v1/patients/{integ.patient.pk}/relapse-plan/"
    patient = patient_user(integ.patient)
    assert api_as(integ.therapist).get(url).status_code == 404  # no plan yet
    first = api_as(integ.therapist).put(url, PLAN, format="json")
    assert first.status_code == 200, first.json()
    assert first.json()["revision"] == 1
    assert first.json()["review_date"] == "2026-08-03"  # 90 days from Tuesday 5 May 2026 (the frozen clock)
    read_back = api_as(integ.prescriber).get(url).json()
    second = api_as(integ.prescriber).put(url, {**read_back, "distractions": ["The public library"]}, format="json")
    assert second.status_code == 200, second.json()
    assert (second.json()["revision"], second.json()["author"]) == (2, integ.prescriber.username)
    own = api_as(patient).get(url)
    assert own.status_code == 200
    assert own.json()["distractions"] == ["The public library"]
    revisions = api_as(integ.nurse).get(f"{url}revisions/").json()["results"]
    assert [r["revision"] for r in revisions] == [2, 1]
    assert api_as(patient).put(url, PLAN, format="json").status_code == 403
    assert api_as(integ.nurse).put(url, PLAN, format="json").status_code == 403
    bad = api_as(integ.therapist).put(url, {"warning_signs": "not a list", "review_date": "2001-01-01"}, format="json")
    assert (bad.status_code, set(bad.json())) == (400, {"warning_signs", "review_date"})
    for user in (
        integ.front_desk,
        integ.admin,
        integ.other_therapist,
        patient_user(integ.clinic.cleared_patient(given_name="Other")),
    ):
        assert api_as(user).get(url).status_code == 404
        assert api_as(user).get(f"{url}revisions/").status_code == 404
        assert api_as(user).put(url, PLAN, format="json").status_code == 404
    assert RelapsePlanRevision.objects.count() == 2
    assert AuditEvent.objects.filter(action="integration.relapseplan.revise").count() == 2
    assert AuditEvent.objects.filter(action="integration.relapseplan.view", actor=patient).exists()


# --- The schema -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_documents_every_integration_response() -> None:
    user = staff("nurse")
    schema = api_as(user).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    note = paths["/api/v1/integration-notes/{id}/"]["patch"]["responses"]
    assert set(note) == {"200", "400", "401", "403", "404", "409", "429"}
    created = paths["/api/v1/patients/{patient_pk}/integration-notes/"]["post"]["responses"]
    assert set(created) == {"201", "400", "401", "403", "404", "409", "429"}
    for path in (
        "/api/v1/patients/{patient_pk}/outcomes/",
        "/api/v1/patients/{patient_pk}/relapse-plan/",
        "/api/v1/patients/{patient_pk}/relapse-plan/revisions/",
        "/api/v1/maintenance-evaluations/{id}/resolve/",
        "/api/v1/patients/{patient_pk}/maintenance-evaluations/",
    ):
        assert path in paths
    properties = schema["components"]["schemas"]["Note"]["properties"]
    assert {"emdr", "art", "ifs", "phq9_nearest", "addenda"} <= set(properties)
    assert MaintenanceEvaluation.objects.count() == 0
