"""The therapist's screens and the portal pages of integration: who gets in, the note forms of each modality, drafts
that never lose what was typed, signing and addenda, the plan's revisions, resolving an evaluation, the panels."""

from __future__ import annotations

from typing import Any

from django.test import Client

from clinic.models import AuditEvent, Site
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import publish_protocol_version
from integration import services
from integration.models import IntegrationNote, MaintenanceEvaluation, RelapsePlanRevision
from sessions import services as session_services
from tests.conftest import api_as
from tests.factories import patient_user, staff
from tests.integration.conftest import EMDR, Integ, stopped_course
from tests.sessions.conftest import ny, signed_in


def base(integ: Integ) -> str:
    return f"/staff/integration/patients/{integ.patient.pk}/"


def emdr_form(integ: Integ, **changes: Any) -> dict[str, Any]:
    form = {
        "dosing_session": str(integ.session.pk),
        "appointment": "",
        "started_at": "2026-05-05T14:00",
        "duration_min": "75",
        "phase": "desensitisation",
        "target": "A fictional storm at sea",
        "worst_image": "The wave",
        "negative_cognition": "I am not safe",
        "positive_cognition": "I am safe now",
        "voc": "5",
        "emotions": "fear, sadness",
        "sud_before": "7",
        "sud_after": "2",
        "body_location": "chest",
        "bilateral_sets": "14",
        "narrative": "Fictional narrative typed by the therapist.",
        "plan": "Same target next week.",
        "save": "1",
    }
    form.update(changes)
    return form


# --- Who gets in ----------------------------------------------------------------------------------------------------


def test_the_integration_pages_open_for_the_care_team_and_answer_404_to_everyone_else(integ: Integ) -> None:
    note = integ.draft()
    services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data={"warning_signs": ["x"]})
    evaluation = services.open_maintenance_evaluation(by=integ.nurse, patient=integ.patient, reason="Fictional.")
    pages = [
        base(integ),
        f"{base(integ)}notes/{note.pk}/",
        f"{base(integ)}relapse-plan/",
        f"{base(integ)}dosing-session/?dosing_session={integ.session.pk}",
    ]
    other_site = Site.objects.create(name="Elsewhere", code="ELSE2")
    for user in (integ.therapist, integ.nurse, integ.prescriber):
        client = signed_in(user)
        for page in pages:
            assert client.get(page).status_code == 200, (user.username, page)
    for user in (
        integ.front_desk,
        integ.admin,
        integ.other_therapist,
        staff("nurse", other_site),
        patient_user(integ.patient),
    ):
        client = signed_in(user)
        for page in [
            *pages,
            f"{base(integ)}notes/new/emdr/",
            f"{base(integ)}notes/{note.pk}/edit/",
            f"{base(integ)}relapse-plan/edit/",
            f"{base(integ)}maintenance-evaluations/{evaluation.evaluation.pk}/resolve/",
        ]:
            assert client.get(page).status_code == 404, (user.username, page)
    nurse = signed_in(integ.nurse)
    assert nurse.get(f"{base(integ)}notes/new/emdr/").status_code == 403  # reads notes, does not write them
    assert nurse.get(f"{base(integ)}notes/{note.pk}/edit/").status_code == 403
    assert nurse.get(f"{base(integ)}relapse-plan/edit/").status_code == 403
    assert signed_in(integ.prescriber).get(f"{base(integ)}notes/{note.pk}/sign/").status_code == 403  # not the author
    assert signed_in(integ.therapist).get(f"{base(integ)}notes/new/hypnosis/").status_code == 404
    assert AuditEvent.objects.filter(action="integration.note.view", actor=integ.nurse, object_id=str(note.pk)).exists()


# --- The note form --------------------------------------------------------------------------------------------------


def test_each_modality_form_shows_only_its_own_fields(integ: Integ) -> None:
    client = signed_in(integ.therapist)
    emdr = client.get(f"{base(integ)}notes/new/emdr/").content.decode()
    art = client.get(f"{base(integ)}notes/new/art/").content.decode()
    ifs = client.get(f"{base(integ)}notes/new/ifs/").content.decode()
    assert 'name="voc"' in emdr
    assert 'name="scene"' not in emdr
    assert 'name="parts-0-name"' not in emdr
    assert 'name="scene"' in art
    assert 'name="voc"' not in art
    assert 'name="parts-0-name"' in ifs
    assert 'name="unburdening_steps"' in ifs
    assert 'name="voc"' not in ifs
    assert "integration/rows.js" in ifs
    # The dosing session is chosen, and its dose and CADSS-6 are beside the form.
    assert f'<option value="{integ.session.pk}" selected>' in emdr
    assert "35.0 mg" in emdr
    assert "CADSS-6" in emdr


def test_a_draft_is_saved_and_a_refused_form_keeps_everything_typed(integ: Integ) -> None:
    client = signed_in(integ.therapist)
    refused = client.post(f"{base(integ)}notes/new/emdr/", emdr_form(integ, voc="8", sud_after="11"))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "VOC is rated from 1 to 7." in html
    assert "SUD after is rated from 0 to 10." in html
    assert "Fictional narrative typed by the therapist." in html
    assert 'value="A fictional storm at sea"' in html or "A fictional storm at sea</textarea>" in html
    assert 'value="fear, sadness"' in html
    assert 'id="id_voc_error"' in html
    assert IntegrationNote.objects.count() == 0

    saved = client.post(f"{base(integ)}notes/new/emdr/", emdr_form(integ))
    note = IntegrationNote.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == f"{base(integ)}notes/{note.pk}/edit/"
    assert (note.status, note.modality, note.structured["emotions"]) == ("draft", "emdr", ["fear", "sadness"])
    assert note.started_at == ny(2026, 5, 5, 14)  # typed in the site's zone
    page = client.get(saved["Location"]).content.decode()
    assert "Draft saved." in page
    assert 'value="2026-05-05T14:00"' in page

    changed = client.post(f"{base(integ)}notes/{note.pk}/edit/", emdr_form(integ, duration_min="150"))
    assert changed.status_code == 302
    assert "usually last 60 to 90 minutes" in client.get(changed["Location"]).content.decode()
    note.refresh_from_db()
    assert note.duration_min == 150


def test_save_and_sign_confirms_then_locks_the_note_and_addenda_follow(integ: Integ) -> None:
    client = signed_in(integ.therapist)
    saved = client.post(f"{base(integ)}notes/new/emdr/", emdr_form(integ, save="", sign="1"))
    note = IntegrationNote.objects.get()
    assert saved["Location"] == f"{base(integ)}notes/{note.pk}/sign/"
    confirm = client.get(saved["Location"]).content.decode()
    assert "Once signed, the note is locked" in confirm
    assert "Sign note" in confirm
    signed = client.post(saved["Location"], follow=True)
    assert "Note signed." in signed.content.decode()
    note.refresh_from_db()
    assert note.is_signed
    edit = client.get(f"{base(integ)}notes/{note.pk}/edit/")
    assert edit.status_code == 302  # a signed note is shown, never edited
    assert client.post(f"{base(integ)}notes/{note.pk}/edit/", emdr_form(integ)).status_code == 400
    note.refresh_from_db()
    assert note.narrative == "Fictional narrative typed by the therapist."

    empty = client.post(f"{base(integ)}notes/{note.pk}/addenda/", {"text": " "})
    assert empty.status_code == 400
    added = client.post(f"{base(integ)}notes/{note.pk}/addenda/", {"text": "Fictional: 80 minutes, not 75."})
    assert added.status_code == 302
    page = client.get(f"{base(integ)}notes/{note.pk}/").content.decode()
    assert "Fictional: 80 minutes, not 75." in page
    assert "Target complete" in page
    assert signed_in(integ.nurse).post(f"{base(integ)}notes/{note.pk}/addenda/", {"text": "x"}).status_code == 403


def test_signing_without_a_plan_is_refused_with_the_reason(integ: Integ) -> None:
    note = integ.draft(plan="")
    response = signed_in(integ.therapist).post(f"{base(integ)}notes/{note.pk}/sign/")
    assert response.status_code == 400
    assert "Write the plan before signing." in response.content.decode()
    note.refresh_from_db()
    assert not note.is_signed


def test_a_new_note_starts_from_the_previous_note_of_its_modality(integ: Integ) -> None:
    integ.draft(emdr={**EMDR, "target": "A fictional thunderstorm", "negative_cognition": "I am powerless"})
    html = signed_in(integ.therapist).get(f"{base(integ)}notes/new/emdr/").content.decode()
    assert "A fictional thunderstorm" in html
    assert 'value="I am powerless"' in html
    assert "Started from the previous EMDR note" in html
    assert 'name="voc" value=' not in html  # ratings start blank


def test_ifs_parts_are_rows_whose_errors_land_on_their_row(integ: Integ) -> None:
    client = signed_in(integ.therapist)
    form = {
        key: value
        for key, value in emdr_form(integ).items()
        if key in {"dosing_session", "started_at", "duration_min", "narrative", "plan", "save"}
    }
    rows = {
        "parts-TOTAL_FORMS": "3",
        "parts-INITIAL_FORMS": "0",
        "parts-MIN_NUM_FORMS": "0",
        "parts-MAX_NUM_FORMS": "20",
        "parts-0-name": "The Critic",
        "parts-0-type": "manager",
        "parts-0-body_location": "shoulders",
        "parts-1-name": "",
        "parts-1-type": "exile",
        "parts-2-name": "Removed one",
        "parts-2-type": "firefighter",
        "parts-2-DELETE": "on",
        "self_energy": ["calm", "curious"],
        "unburdening_steps": ["witness"],
    }
    refused = client.post(f"{base(integ)}notes/new/ifs/", {**form, **rows})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "The name of part 2 is required." in html
    assert 'value="The Critic"' in html
    assert IntegrationNote.objects.count() == 0
    saved = client.post(f"{base(integ)}notes/new/ifs/", {**form, **rows, "parts-1-name": "Little one"})
    assert saved.status_code == 302
    note = IntegrationNote.objects.get()
    assert [p["name"] for p in note.structured["parts"]] == ["The Critic", "Little one"]
    assert note.structured["self_energy"] == ["curious", "calm"]
    again = client.get(f"{base(integ)}notes/new/ifs/").content.decode()
    assert 'value="Little one"' in again  # the next IFS note starts with the parts


def test_the_timeline_shows_sessions_notes_and_progress(integ: Integ) -> None:
    first = integ.draft(emdr={**EMDR, "sud_before": 8, "sud_after": 4, "voc": 4})
    services.sign_note(by=integ.therapist, note=first)
    integ.draft(
        started_at=ny(2026, 5, 5, 15), emdr={**EMDR, "sud_before": 4, "sud_after": 0, "voc": 7, "body_scan_clear": True}
    )
    html = signed_in(integ.nurse).get(base(integ)).content.decode()
    assert "Dosing session Mon, May 4, 2026, 9:00 AM" in html
    assert "35.0 mg" in html
    assert html.count("EMDR note, ") == 2
    assert "A fictional storm at sea" in html
    assert '<span class="badge badge--ok">complete</span>' in html  # the second session completed the target
    assert "Write a note" not in html  # nurses read, they do not write


def test_the_session_beside_the_form_follows_the_chosen_session(integ: Integ) -> None:
    client = signed_in(integ.therapist)
    html = client.get(f"{base(integ)}dosing-session/?dosing_session={integ.session.pk}").content.decode()
    assert 'id="session-facts"' in html
    assert "35.0 mg" in html
    unknown = client.get(f"{base(integ)}dosing-session/?dosing_session=x").content.decode()
    assert "Choose the dosing session this integration session follows" in unknown
    assert "mg" not in unknown


# --- The relapse-prevention plan ------------------------------------------------------------------------------------


def test_the_plan_is_written_and_revised_with_its_revisions_and_last_change(integ: Integ) -> None:
    client = signed_in(integ.therapist)
    url = f"{base(integ)}relapse-plan/edit/"
    blank = client.get(url).content.decode()
    assert "rises 5 points or more above your lowest score" in blank  # the protocol's maintenance criteria
    form = {
        "warning_signs": "Sleeping badly\nSkipping meals",
        "coping_strategies": "A walk",
        "distractions": "",
        "people_to_ask": "A fictional friend",
        "professionals": "",
        "safe_environment": "",
        "maintenance_criteria": "Booster when the PHQ-9 rises.",
        "review_date": "2001-01-01",
    }
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "The review date cannot be in the past." in refused.content.decode()
    assert "Sleeping badly\nSkipping meals</textarea>" in refused.content.decode()
    assert client.post(url, {**form, "review_date": ""}).status_code == 302
    prescriber = signed_in(integ.prescriber)
    assert (
        prescriber.post(
            url, {**form, "review_date": "", "warning_signs": "Skipping meals\nAvoiding friends"}
        ).status_code
        == 302
    )
    page = prescriber.get(f"{base(integ)}relapse-plan/").content.decode()
    assert "What revision 2 changed" in page
    assert "added: </span>Avoiding friends</ins>" in page
    assert "removed: </span>Sleeping badly</del>" in page
    assert page.count('<td class="num">') == 2  # two revisions listed
    assert RelapsePlanRevision.objects.count() == 2


# --- Maintenance evaluations ----------------------------------------------------------------------------------------


def test_a_prescriber_resolves_an_evaluation_from_the_patient_page(integ: Integ) -> None:
    opened = services.open_maintenance_evaluation(by=integ.nurse, patient=integ.patient, reason="Fictional.")
    url = f"{base(integ)}maintenance-evaluations/{opened.evaluation.pk}/resolve/"
    page = signed_in(integ.prescriber).get(f"/staff/patients/{integ.patient.pk}/").content.decode()
    assert "Maintenance evaluation open" in page
    assert f'action="{url}"' in page
    assert f'action="{url}"' not in signed_in(integ.nurse).get(f"/staff/patients/{integ.patient.pk}/").content.decode()
    assert signed_in(integ.nurse).post(url, {"outcome": "booster_booked"}).status_code == 403
    refused = signed_in(integ.prescriber).post(url, {"outcome": "no_action", "reason": ""})
    assert refused.status_code == 400
    assert "Say why no action is needed." in refused.content.decode()
    done = signed_in(integ.prescriber).post(url, {"outcome": "booster_booked", "reason": ""})
    assert done["Location"] == f"/staff/patients/{integ.patient.pk}/#integration"
    assert MaintenanceEvaluation.objects.get().outcome == "booster_booked"


def test_the_patient_page_shows_outcomes_and_the_chart(integ: Integ) -> None:
    stopped_course(integ, baseline=18)
    integ.phq9(4, ny(2026, 5, 14, 10))
    page = signed_in(integ.therapist).get(f"/staff/patients/{integ.patient.pk}/").content.decode()
    assert "Integration and outcomes" in page
    assert '<svg class="chart"' in page
    assert "PHQ-9 response: 9 or lower (baseline 18)" in page
    assert "Lowest since the course" in page
    assert (
        signed_in(integ.front_desk)
        .get(f"/staff/patients/{integ.patient.pk}/")
        .content.decode()
        .count("Integration and outcomes")
        == 0
    )
    assert (
        "Integration and outcomes"
        not in signed_in(integ.admin).get(f"/staff/patients/{integ.patient.pk}/").content.decode()
    )


# --- The therapist's home -------------------------------------------------------------------------------------------


def test_the_therapists_home_lists_drafts_patients_and_todays_sessions(integ: Integ) -> None:
    note = integ.draft()
    session_services.book_integration_appointment(
        by=integ.therapist,
        patient=integ.patient,
        therapist=integ.therapist,
        start=ny(2026, 5, 5, 17),
        duration_min=60,
        dosing_session=integ.session,
        room="Room 2",
    )
    home = signed_in(integ.therapist).get("/staff/").content.decode()
    assert "Drafts to sign" in home
    assert f"{base(integ)}notes/{note.pk}/edit/" in home
    assert "Your integration sessions today" in home
    assert "5:00 PM" in home
    assert "Your patients" in home
    assert "2026-05-05" in home  # the last note
    nurse_home = signed_in(integ.nurse).get("/staff/").content.decode()
    assert "Integration work" not in nurse_home


# --- The portal -----------------------------------------------------------------------------------------------------


def test_the_patient_reads_their_plan_with_crisis_resources_and_sees_their_progress(integ: Integ) -> None:
    user = patient_user(integ.patient)
    client = Client()
    client.force_login(user)
    assert "Your plan is not written yet" in client.get("/portal/my-plan/").content.decode()
    services.revise_relapse_plan(
        by=integ.therapist,
        patient=integ.patient,
        data={"warning_signs": ["Sleeping badly"], "professionals": ["Dr. Fictional"]},
    )
    integ.phq9(12, ny(2026, 5, 5, 15))
    home = client.get("/portal/").content.decode()
    assert "Read my plan" in home
    assert "See my progress" in home
    plan = client.get("/portal/my-plan/").content.decode()
    assert "Warning signs that things are getting harder" in plan
    assert "Sleeping badly" in plan
    assert "Dr. Fictional" in plan
    assert 'href="tel:988"' in plan
    assert 'href="sms:988"' in plan
    assert 'href="tel:911"' in plan
    progress = client.get("/portal/my-progress/").content.decode()
    assert "Your mood and anxiety questionnaires over time" in progress
    assert "12" in progress
    assert AuditEvent.objects.filter(action="integration.relapseplan.view", actor=user).exists()
    for page in ("/portal/my-plan/", "/portal/my-progress/"):
        assert signed_in(integ.therapist).get(page).status_code == 404  # the portal is for patients
    other = Client()
    other.force_login(patient_user(integ.clinic.cleared_patient(given_name="Other")))
    assert "Sleeping badly" not in other.get("/portal/my-plan/").content.decode()


def test_integration_pages_and_api_reads_leave_the_active_protocol_version_unused(integ: Integ) -> None:
    note = integ.draft()
    services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data={"warning_signs": ["x"]})
    evaluation = services.open_maintenance_evaluation(by=integ.nurse, patient=integ.patient, reason="Fictional.")
    version = publish_protocol_version(
        by=None, site=integ.clinic.site, settings=DEFAULT_PROTOCOL.to_json(), change_summary="Nothing used it."
    )
    p = integ.patient.pk
    pages = [
        f"/staff/patients/{p}/",
        "/staff/",
        base(integ),
        f"{base(integ)}notes/new/emdr/",
        f"{base(integ)}notes/{note.pk}/",
        f"{base(integ)}notes/{note.pk}/edit/",
        f"{base(integ)}notes/{note.pk}/sign/",
        f"{base(integ)}relapse-plan/",
        f"{base(integ)}relapse-plan/edit/",
        f"{base(integ)}maintenance-evaluations/{evaluation.evaluation.pk}/resolve/",
    ]
    for user, urls in ((integ.therapist, pages[:-1]), (integ.prescriber, pages[-1:])):
        client = signed_in(user)
        for url in urls:
            assert client.get(url).status_code == 200, url
    api = [
        f"/api/v1/patients/{p}/integration-notes/",
        f"/api/v1/integration-notes/{note.pk}/",
        f"/api/v1/patients/{p}/outcomes/",
        f"/api/v1/patients/{p}/maintenance-evaluations/",
        f"/api/v1/patients/{p}/relapse-plan/",
        f"/api/v1/patients/{p}/relapse-plan/revisions/",
    ]
    for url in api:
        assert api_as(integ.therapist).get(url).status_code == 200, url
    portal = Client()
    portal.force_login(patient_user(integ.patient))
    for url in ("/portal/", "/portal/my-plan/", "/portal/my-progress/"):
        assert portal.get(url).status_code == 200, url
    version.refresh_from_db()
    assert version.first_used_at is None
