"""Integration notes: drafts that only their author changes, signing that locks them, addenda after that
(clinical protocol §6, docs/clinical-protocol.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from clinic import audit
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import Patient, ProtocolVersion, User
from clinic.protocol import Protocol
from clinic.scoping import note_refused, patients_visible_to
from clinic.services import use_protocol
from integration import sources
from integration.modalities import (
    MODALITY_LABELS,
    NARRATIVE_MAX,
    Modality,
    NoteErrors,
    NoteInput,
    parse_modality,
    validate_note,
)
from integration.models import IntegrationNote, NoteAddendum, NoteStatus
from integration.permissions import can_read_notes, can_write_notes, is_author
from integration.services._common import as_id, for_update, visible_patient
from sessions import services as session_services

NOTE_FIELDS = frozenset(
    {"modality", "dosing_session", "appointment", "started_at", "duration_min", "narrative", "plan"}
)
STRUCTURED_KEYS = frozenset(m.value for m in Modality if m != Modality.GENERAL)


class InvalidNote(InvalidInput):
    """Bad note input, with the modality's errors nested under its name: `{"emdr": {"voc": ["..."]}}`."""

    def __init__(self, errors: NoteErrors) -> None:
        super().__init__({key: v if isinstance(v, list) else _sentences(v) for key, v in errors.items()})
        self.errors = errors  # type: ignore[assignment]  # the API answers the nested shape


def _sentences(errors: Mapping[str, list[str]]) -> list[str]:
    return [message for messages in errors.values() for message in messages]


@dataclass(frozen=True)
class NoteResult:
    note: IntegrationNote
    warnings: tuple[str, ...] = ()


# --- Reads --------------------------------------------------------------------------------------------------------


def readable_notes(by: User) -> QuerySet[IntegrationNote]:
    """The notes `by` may read: those of the patients they may see, if their role reads notes (not audited: the
    functions below audit what they return)."""
    if not can_read_notes(by):
        return IntegrationNote.objects.none()
    return IntegrationNote.objects.filter(patient__in=patients_visible_to(by).values("pk")).select_related(
        "patient__site", "author", "signed_by"
    )


def notes_for(by: User, patient: Patient | int) -> list[IntegrationNote]:
    """The patient's notes, newest first (404 for a patient or a role that may not read them); audited."""
    patient = visible_patient(by, patient, allowed=can_read_notes(by))
    notes = list(readable_notes(by).filter(patient=patient).prefetch_related("addenda__author"))
    audit.record("integration.note.view", patient=patient, actor=by, details={"notes": [n.pk for n in notes]})
    return notes


def get_note_for(by: User, pk: Any) -> IntegrationNote:
    """One note with its addenda if `by` may read it; Http404 otherwise (also for a malformed id); audited."""
    try:
        note = readable_notes(by).prefetch_related("addenda__author").get(pk=int(pk))
    except (IntegrationNote.DoesNotExist, TypeError, ValueError):
        note_refused(IntegrationNote, pk)
        raise Http404("No such note.") from None
    audit.record("integration.note.view", patient=note.patient, obj=note, actor=by)
    return note


def previous_note(
    by: User, patient: Patient, modality: str, *, before: IntegrationNote | None = None
) -> IntegrationNote | None:
    """The patient's latest note of `modality` (before `before`, when given), whoever wrote it: a new note starts
    from it (integration.modalities.carried_forward). Audited integration.note.view."""
    patient = visible_patient(by, patient, allowed=can_read_notes(by))
    notes = readable_notes(by).filter(patient=patient, modality=modality)
    if before is not None:
        notes = notes.exclude(pk=before.pk).filter(started_at__lte=before.started_at)
    found: IntegrationNote | None = notes.order_by("-started_at", "-pk").first()
    if found is not None:
        audit.record("integration.note.view", patient=patient, obj=found, actor=by, details={"purpose": "prefill"})
    return found


def drafts_of(by: User) -> list[IntegrationNote]:
    """The drafts `by` wrote and has not signed, oldest first (what they still have to sign)."""
    drafts = list(readable_notes(by).filter(author=by, status=NoteStatus.DRAFT).order_by("started_at", "pk"))
    if drafts:
        audit.record("integration.note.list", actor=by, details={"drafts": [n.pk for n in drafts]})
    return drafts


# --- Writing a draft ------------------------------------------------------------------------------------------------


def _when(value: Any) -> dt.datetime | str:
    """The time, or what is wrong with it."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return "Give the date and time the session started."
    if not isinstance(value, dt.datetime):
        return "Give the date and time the session started."
    if timezone.is_naive(value):
        return "Give the time with its time zone."
    return value


@dataclass(frozen=True)
class _Links:
    session: sources.DosingSessionFacts | None
    appointment: sources.AppointmentFacts | None
    errors: NoteErrors


def _links(by: User, patient: Patient, data: Mapping[str, Any]) -> _Links:
    """The dosing session and the integration appointment the note belongs to, checked against the patient. The
    appointment's dosing session is taken when none is named."""
    errors: NoteErrors = {}
    appointment = None
    if data.get("appointment") not in (None, ""):
        try:
            appointment = sources.appointment(by, as_id(data["appointment"], "appointment"))
        except ValueError:
            appointment = None
        if appointment is None or appointment.patient_id != patient.pk:
            errors["appointment"] = ["Choose one of this patient's integration appointments."]
    session_value = data.get("dosing_session")
    if session_value in (None, "") and appointment is not None:
        session_value = appointment.dosing_session_id
    session = None
    if session_value in (None, ""):
        errors["dosing_session"] = ["Choose the dosing session this integration session follows."]
    else:
        try:
            session = sources.dosing_session(by, as_id(session_value, "dosing_session"))
        except ValueError:
            session = None
        if session is None or session.patient_id != patient.pk:
            errors["dosing_session"] = ["Choose one of this patient's dosing sessions."]
        elif not session.was_dosed:
            errors["dosing_session"] = ["This dosing session was not dosed; a note follows a session that took place."]
        elif appointment is not None and appointment.dosing_session_id not in (None, session.session_id):
            errors["appointment"] = ["This appointment follows another dosing session."]
    valid_session = None if "dosing_session" in errors else session
    return _Links(valid_session, None if "appointment" in errors else appointment, errors)


def _check_input(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - NOTE_FIELDS - STRUCTURED_KEYS)
    errors: NoteErrors = {name: ["This is not a field of an integration note."] for name in unknown}
    chosen = parse_modality(data.get("modality"))
    for key in sorted(STRUCTURED_KEYS & set(data)):
        if key != chosen and data[key] is not None:
            errors[key] = [f"These are the fields of an {MODALITY_LABELS[Modality(key)]} note; choose that modality."]
    if errors:
        raise InvalidNote(errors)


def _apply(
    by: User, note: IntegrationNote, data: Mapping[str, Any], protocol: Protocol, now: dt.datetime
) -> tuple[str, ...]:
    """Validate the note as it would be with `data` applied, then apply it (nothing changes when it is refused)."""
    _check_input(data)
    modality = data.get("modality")
    kept = note.structured if modality == note.modality else None
    structured = data.get(modality, kept) if isinstance(modality, str) else None
    check = validate_note(
        NoteInput(
            modality=modality,
            duration_min=data.get("duration_min", note.duration_min),
            narrative=data.get("narrative", note.narrative),
            plan=data.get("plan", note.plan),
            structured=structured,
        ),
        protocol.integration,
        protocol.scheduling,
    )
    links = _links(by, note.patient, {**_current_links(note), **data})
    errors: NoteErrors = {**check.errors, **links.errors}
    given = data.get("started_at") or (note.started_at if note.pk else None)
    started_at = _when(given or (links.appointment.start if links.appointment else ""))
    if isinstance(started_at, str):
        errors["started_at"] = [started_at]
    elif started_at > now:
        errors["started_at"] = ["A note is for a session that has started; this time is in the future."]
    elif links.session is not None and started_at < links.session.start:
        errors["started_at"] = ["The integration session cannot start before the dosing session it follows."]
    if errors or check.note is None or links.session is None or isinstance(started_at, str):
        raise InvalidNote(errors)
    valid = check.note
    note.modality = valid.modality.value
    note.duration_min = valid.duration_min
    note.narrative = valid.narrative
    note.plan = valid.plan
    note.structured = valid.structured
    note.started_at = started_at
    note.dosing_session_id = links.session.session_id
    note.appointment_id = links.appointment.appointment_id if links.appointment else None
    return valid.warnings


def _current_links(note: IntegrationNote) -> dict[str, Any]:
    return {"dosing_session": note.dosing_session_id, "appointment": note.appointment_id} if note.pk else {}


def _refresh_phq9(note: IntegrationNote, protocol: Protocol) -> None:
    """The PHQ-9 closest in time to the session, within the protocol's window (default 7 days)."""
    nearest = sources.nearest_score(
        note.patient_id, "phq9", note.started_at, protocol.integration.phq9_nearest_window_days
    )
    note.phq9_assessment_id = nearest.assessment_id if nearest else None
    note.phq9_total = nearest.total if nearest else None
    note.phq9_administered_at = nearest.at if nearest else None


def _stamp(note: IntegrationNote, version: ProtocolVersion, protocol: Protocol) -> None:
    _refresh_phq9(note, protocol)
    note.protocol_version = version


def create_note(*, by: User, patient: Patient | int, data: Mapping[str, Any]) -> NoteResult:
    """A new draft note by `by` (a therapist on the care team or a prescriber); audited integration.note.create."""
    patient = visible_patient(by, patient, allowed=can_read_notes(by))
    if not can_write_notes(by):
        raise NotAllowed("Only therapists and prescribers write integration notes.")
    with transaction.atomic():
        version, protocol = use_protocol(patient.site)
        note = IntegrationNote(patient=patient, author=by, status=NoteStatus.DRAFT)
        warnings = _apply(by, note, data, protocol, timezone.now())
        _stamp(note, version, protocol)
        note.save()
        audit.record(
            "integration.note.create",
            patient=patient,
            obj=note,
            actor=by,
            details={"modality": note.modality, "dosing_session": note.dosing_session_id, "fields": sorted(data)},
        )
    return NoteResult(note, warnings)


def _locked_note(by: User, note: IntegrationNote | int) -> IntegrationNote:
    pk = note.pk if isinstance(note, IntegrationNote) else note
    if not readable_notes(by).filter(pk=pk).exists():
        raise Http404("No such note.")
    return for_update(IntegrationNote.objects.select_related("patient__site")).get(pk=pk)


def _require_author(by: User, note: IntegrationNote, doing: str) -> None:
    if not is_author(by, note.author_id):
        raise NotAllowed(f"Only the author of a note may {doing} it.")


def _require_draft(note: IntegrationNote) -> None:
    if note.is_signed:
        raise Conflict("This note is signed and can no longer change; add an addendum instead.", code="note_signed")


def update_note(*, by: User, note: IntegrationNote | int, data: Mapping[str, Any]) -> NoteResult:
    """Change a draft (its author only). The fields given replace those of the draft; a modality's fields are
    replaced as a whole. Audited integration.note.update with the names of the changed fields."""
    with transaction.atomic():
        locked = _locked_note(by, note)
        _require_author(by, locked, "change")
        _require_draft(locked)
        before = {name: getattr(locked, name) for name in ("modality", "duration_min", "narrative", "plan",
                                                           "structured", "started_at", "dosing_session_id",
                                                           "appointment_id")}  # fmt: skip
        version, protocol = use_protocol(locked.patient.site)
        warnings = _apply(by, locked, {"modality": locked.modality, **data}, protocol, timezone.now())
        _stamp(locked, version, protocol)
        locked.save()
        changed = sorted(name for name, value in before.items() if getattr(locked, name) != value)
        audit.record("integration.note.update", patient=locked.patient, obj=locked, actor=by,
                     details={"changed": changed})  # fmt: skip
    return NoteResult(locked, warnings)


def _held_appointment(by: User, note: IntegrationNote) -> int | None:
    """The integration appointment the note documents, which signing marks completed; a note tied to a cancelled
    or missed appointment is refused on its `appointment` field (the author links the right one, or none)."""
    if note.appointment_id is None:
        return None
    facts = sources.appointment(by, note.appointment_id)
    if facts is None:
        raise InvalidNote({"appointment": ["Choose one of this patient's integration appointments."]})
    if not facts.is_active:
        raise InvalidNote(
            {
                "appointment": [
                    f"This appointment is marked {facts.status_label.lower()}; link the note to the appointment "
                    "the session took place in, or to none, before signing."
                ]
            }
        )
    return facts.appointment_id


def sign_note(*, by: User, note: IntegrationNote | int) -> IntegrationNote:
    """Sign a draft (its author only): the note is locked from now on. The PHQ-9 nearest in time is taken a last
    time. The integration appointment it documents is marked completed (sessions' service), in the same
    transaction. Audited integration.note.sign."""
    with transaction.atomic():
        locked = _locked_note(by, note)
        _require_author(by, locked, "sign")
        _require_draft(locked)
        missing = {name: ["Write the " + name + " before signing."] for name in ("narrative", "plan")}
        missing = {name: message for name, message in missing.items() if not getattr(locked, name)}
        if missing:
            raise InvalidNote(dict(missing))
        appointment = _held_appointment(by, locked)
        version, protocol = use_protocol(locked.patient.site)
        _stamp(locked, version, protocol)
        locked.status = NoteStatus.SIGNED
        locked.signed_at = timezone.now()
        locked.signed_by = by
        locked.save()
        if appointment is not None:
            session_services.complete_integration_appointment(
                by=by, appointment=appointment, reason="Its integration note was signed."
            )
        audit.record(
            "integration.note.sign",
            patient=locked.patient,
            obj=locked,
            actor=by,
            details={
                "phq9_assessment": locked.phq9_assessment_id,
                "protocol_version": version.number,
                "appointment": appointment,
            },
        )
    return locked


def add_addendum(*, by: User, note: IntegrationNote | int, text: str) -> NoteAddendum:
    """A correction or addition to a signed note, by a therapist or prescriber who may see it."""
    with transaction.atomic():
        locked = _locked_note(by, note)
        if not can_write_notes(by):
            raise NotAllowed("Only therapists and prescribers add to integration notes.")
        if not locked.is_signed:
            raise Conflict("This note is still a draft: change the draft instead of adding to it.", code="note_draft")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput({"text": "Write the addendum."})
        if len(text.strip()) > NARRATIVE_MAX:
            raise InvalidInput({"text": f"An addendum is limited to {NARRATIVE_MAX} characters."})
        addendum = NoteAddendum.objects.create(note=locked, text=text.strip(), author=by, created_at=timezone.now())
        audit.record("integration.note.addendum", patient=locked.patient, obj=addendum, actor=by,
                     details={"note": locked.pk})  # fmt: skip
    return addendum
