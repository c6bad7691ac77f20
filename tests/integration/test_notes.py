"""Integration notes through their services: drafts, locking at signature, addenda, PHQ-9 nearest, who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import AuditEvent
from integration import services
from integration.models import IntegrationNote, NoteAddendum, NoteStatus
from integration.services import InvalidNote
from sessions import services as session_services
from tests.integration.conftest import EMDR, Integ
from tests.sessions.conftest import book, ny


def test_therapist_writes_a_draft_with_derived_values_and_the_nearest_phq9(integ: Integ) -> None:
    integ.phq9(14, ny(2026, 4, 27, 10))  # 8 days before: outside the 7-day window
    near = integ.phq9(11, ny(2026, 5, 3, 10))  # 2 days before the session
    integ.phq9(9, ny(2026, 5, 8, 10))  # 3 days after: further away
    result = services.create_note(by=integ.therapist, patient=integ.patient, data=integ.note_data())
    note = IntegrationNote.objects.get(pk=result.note.pk)
    assert note.status == NoteStatus.DRAFT
    assert note.author == integ.therapist
    assert note.structured["sud_change"] == -5
    assert note.structured["target_complete"] is False
    assert (note.phq9_assessment_id, note.phq9_total) == (near, 11)
    assert result.warnings == ()
    event = AuditEvent.objects.get(action="integration.note.create")
    assert event.patient_id == integ.patient.pk
    assert "storm" not in str(event.details)  # names of fields, never their text


def test_without_a_phq9_in_the_window_the_note_has_none(integ: Integ) -> None:
    integ.phq9(14, ny(2026, 4, 20, 10))
    note = integ.draft()
    assert note.phq9_total is None
    assert note.phq9_assessment_id is None


def test_a_short_session_is_saved_with_a_warning(integ: Integ) -> None:
    result = services.create_note(by=integ.therapist, patient=integ.patient, data=integ.note_data(duration_min=45))
    assert result.note.pk is not None
    assert result.warnings == ("Integration sessions usually last 60 to 90 minutes; this one is recorded as 45.",)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"emdr": {**EMDR, "voc": 8}}, {"emdr": {"voc": ["VOC is rated from 1 to 7."]}}),
        ({"dosing_session": None}, {"dosing_session": ["Choose the dosing session this integration session follows."]}),
        ({"dosing_session": 999_999}, {"dosing_session": ["Choose one of this patient's dosing sessions."]}),
        ({"dosing_session": "abc"}, {"dosing_session": ["Choose one of this patient's dosing sessions."]}),
        ({"started_at": "yesterday"}, {"started_at": ["Give the date and time the session started."]}),
        ({"started_at": "2026-05-05T14:00"}, {"started_at": ["Give the time with its time zone."]}),
        (
            {"started_at": ny(2026, 5, 6, 9)},
            {"started_at": ["A note is for a session that has started; this time is in the future."]},
        ),
        (
            {"started_at": ny(2026, 5, 3, 9)},
            {"started_at": ["The integration session cannot start before the dosing session it follows."]},
        ),
        ({"art": {"scene": "x"}}, {"art": ["These are the fields of an ART note; choose that modality."]}),
        ({"mood": "fine"}, {"mood": ["This is not a field of an integration note."]}),
        ({"appointment": 999_999}, {"appointment": ["Choose one of this patient's integration appointments."]}),
    ],
)
def test_bad_input_names_each_field_and_saves_nothing(
    integ: Integ, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    with pytest.raises(InvalidNote) as raised:
        services.create_note(by=integ.therapist, patient=integ.patient, data=integ.note_data(**changes))
    assert raised.value.errors == expected
    assert not IntegrationNote.objects.exists()


def test_a_note_cannot_follow_another_patients_or_an_undosed_session(integ: Integ) -> None:
    other = integ.clinic.cleared_patient(given_name="Other")
    other_session = book(integ.clinic, ny(2026, 5, 12, 9), patient=other)
    with pytest.raises(InvalidNote) as raised:
        integ.draft(dosing_session=other_session.pk)
    assert raised.value.errors == {"dosing_session": ["Choose one of this patient's dosing sessions."]}
    later = book(integ.clinic, ny(2026, 5, 12, 9), chair=integ.clinic.chair2)
    with pytest.raises(InvalidNote) as raised:
        integ.draft(dosing_session=later.pk)
    assert "was not dosed" in raised.value.errors["dosing_session"][0]


def test_the_appointment_gives_the_dosing_session_and_the_start(integ: Integ) -> None:
    integ.clock.set(ny(2026, 5, 5, 8))
    appointment = session_services.book_integration_appointment(
        by=integ.front_desk,
        patient=integ.patient,
        therapist=integ.therapist,
        start=ny(2026, 5, 5, 13),
        duration_min=75,
        dosing_session=integ.session,
        room="Room 3",
    ).appointment
    integ.clock.set(ny(2026, 5, 5, 16))
    data = integ.note_data(appointment=appointment.pk)
    del data["dosing_session"], data["started_at"]
    note = services.create_note(by=integ.therapist, patient=integ.patient, data=data).note
    assert note.dosing_session_id == integ.session.pk
    assert note.appointment_id == appointment.pk
    assert note.started_at == ny(2026, 5, 5, 13)


def test_the_author_updates_a_draft_and_a_modality_change_needs_its_fields(integ: Integ) -> None:
    note = integ.draft()
    result = services.update_note(by=integ.therapist, note=note, data={"narrative": "Revised fictional narrative."})
    assert result.note.narrative == "Revised fictional narrative."
    assert result.note.structured["voc"] == 5  # the modality's fields are kept when not given
    event = AuditEvent.objects.filter(action="integration.note.update").get()
    assert event.details == {"changed": ["narrative"]}
    with pytest.raises(InvalidNote) as raised:
        services.update_note(by=integ.therapist, note=note, data={"modality": "art"})
    assert raised.value.errors == {"art": {"scene": ["Describe the scene or metaphor, or mark it as kept private."]}}
    note = services.update_note(
        by=integ.therapist, note=note, data={"modality": "art", "art": {"scene": "", "scene_private": True}}
    ).note
    assert note.modality == "art"
    assert note.structured["scene_private"] is True


def test_only_the_author_changes_or_signs_a_draft(integ: Integ) -> None:
    note = integ.draft()
    with pytest.raises(NotAllowed):
        services.update_note(by=integ.prescriber, note=note, data={"plan": "Another plan."})
    with pytest.raises(NotAllowed):
        services.sign_note(by=integ.prescriber, note=note)
    assert IntegrationNote.objects.get(pk=note.pk).plan == "Continue with the same target next week."


def test_a_signed_note_never_changes(integ: Integ) -> None:
    note = integ.draft()
    signed = services.sign_note(by=integ.therapist, note=note)
    assert signed.status == NoteStatus.SIGNED
    assert signed.signed_by == integ.therapist
    assert signed.signed_at == integ.clock.now
    with pytest.raises(Conflict) as raised:
        services.update_note(by=integ.therapist, note=note, data={"plan": "Changed afterwards."})
    assert raised.value.code == "note_signed"
    with pytest.raises(Conflict) as raised:
        services.sign_note(by=integ.therapist, note=note)
    assert raised.value.code == "note_signed"
    stale = IntegrationNote.objects.get(pk=note.pk)
    stale.plan = "Saved around the services."
    with pytest.raises(ValidationError):
        stale.save()
    with pytest.raises(ValidationError):
        stale.delete()
    assert IntegrationNote.objects.get(pk=note.pk).plan == "Continue with the same target next week."
    assert AuditEvent.objects.filter(action="integration.note.sign", object_id=str(note.pk)).count() == 1


def test_signing_needs_a_narrative_and_a_plan(integ: Integ) -> None:
    note = integ.draft(narrative="", plan="")
    with pytest.raises(InvalidNote) as raised:
        services.sign_note(by=integ.therapist, note=note)
    assert raised.value.errors == {
        "narrative": ["Write the narrative before signing."],
        "plan": ["Write the plan before signing."],
    }


def test_signing_takes_the_nearest_phq9_a_last_time(integ: Integ) -> None:
    note = integ.draft()
    assert note.phq9_total is None
    integ.phq9(8, ny(2026, 5, 5, 15))
    signed = services.sign_note(by=integ.therapist, note=note)
    assert signed.phq9_total == 8
    integ.phq9(3, ny(2026, 5, 5, 14))  # nearer, but the note is signed
    assert IntegrationNote.objects.get(pk=note.pk).phq9_total == 8


def test_addenda_correct_a_signed_note(integ: Integ) -> None:
    note = integ.draft()
    with pytest.raises(Conflict) as raised:
        services.add_addendum(by=integ.therapist, note=note, text="Too early.")
    assert raised.value.code == "note_draft"
    services.sign_note(by=integ.therapist, note=note)
    with pytest.raises(InvalidInput):
        services.add_addendum(by=integ.therapist, note=note, text="   ")
    first = services.add_addendum(by=integ.therapist, note=note, text=" The SUD after was 3, not 2. ")
    second = services.add_addendum(by=integ.prescriber, note=note, text="Reviewed with the therapist.")
    assert first.text == "The SUD after was 3, not 2."
    assert [a.pk for a in NoteAddendum.objects.filter(note=note)] == [first.pk, second.pk]
    with pytest.raises(NotAllowed):
        services.add_addendum(by=integ.nurse, note=note, text="Nurses read notes; they do not add to them.")
    with pytest.raises(ValidationError):
        first.save()
    assert AuditEvent.objects.filter(action="integration.note.addendum").count() == 2


@pytest.mark.parametrize("who", ["therapist", "prescriber", "nurse"])
def test_care_team_therapist_prescriber_and_nurse_read_notes(integ: Integ, who: str) -> None:
    note = integ.draft()
    reader = getattr(integ, who)
    assert [n.pk for n in services.notes_for(reader, integ.patient)] == [note.pk]
    assert services.get_note_for(reader, note.pk).narrative.startswith("Fictional narrative")
    assert AuditEvent.objects.filter(action="integration.note.view", actor=reader).count() == 2


@pytest.mark.parametrize("who", ["other_therapist", "front_desk", "admin", "patient_user", "other_site_nurse"])
def test_others_get_not_found(integ: Integ, who: str) -> None:
    from clinic.models import Role
    from tests.factories import SiteFactory, patient_user, staff

    note = integ.draft()
    users = {
        "other_therapist": integ.other_therapist,
        "front_desk": integ.front_desk,
        "admin": integ.admin,
        "patient_user": patient_user(integ.patient),
        "other_site_nurse": staff(Role.NURSE, SiteFactory(code="ELSE")),
    }
    user = users[who]
    with pytest.raises(Http404):
        services.notes_for(user, integ.patient)
    with pytest.raises(Http404):
        services.get_note_for(user, note.pk)
    with pytest.raises(Http404):
        services.create_note(by=user, patient=integ.patient, data=integ.note_data())
    with pytest.raises(Http404):
        services.add_addendum(by=user, note=note, text="Not mine to add.")
    assert not AuditEvent.objects.filter(action="integration.note.view").exists()


def test_a_nurse_reads_but_may_not_write(integ: Integ) -> None:
    with pytest.raises(NotAllowed):
        services.create_note(by=integ.nurse, patient=integ.patient, data=integ.note_data())


def test_a_prescriber_writes_notes_too(integ: Integ) -> None:
    note = services.create_note(by=integ.prescriber, patient=integ.patient, data=integ.note_data()).note
    assert services.sign_note(by=integ.prescriber, note=note).is_signed


def test_malformed_note_ids_answer_not_found(integ: Integ) -> None:
    with pytest.raises(Http404):
        services.get_note_for(integ.therapist, "abc")
    with pytest.raises(Http404):
        services.sign_note(by=integ.therapist, note=999_999)
