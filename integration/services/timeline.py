"""A patient's integration work on one page (clinical protocol §6): the dosing sessions with the integration
sessions and notes that follow each, and the progress across notes (EMDR SUD/VOC per target, IFS parts)."""

from __future__ import annotations

from dataclasses import dataclass

from clinic import audit
from clinic.models import Patient, User
from integration import sources
from integration.history import IfsProgress, NoteRecord, TargetProgress, emdr_targets, ifs_parts
from integration.models import IntegrationNote
from integration.permissions import can_read_notes
from integration.services._common import visible_patient
from integration.services.notes import readable_notes


@dataclass(frozen=True)
class AppointmentEntry:
    appointment: sources.AppointmentFacts
    notes: tuple[IntegrationNote, ...]


@dataclass(frozen=True)
class SessionEntry:
    """A dosing session (None: integration sessions booked without one) with what followed it."""

    session: sources.DosingSessionFacts | None
    appointments: tuple[AppointmentEntry, ...]
    notes: tuple[IntegrationNote, ...]  # notes written without an appointment


@dataclass(frozen=True)
class Timeline:
    entries: tuple[SessionEntry, ...]  # the newest dosing session first
    notes: tuple[IntegrationNote, ...]  # newest first
    emdr: tuple[TargetProgress, ...]
    ifs: IfsProgress


def timeline(by: User, patient: Patient) -> Timeline:
    """The patient's dosing and integration sessions with their notes, and progress across the notes. Audited
    integration.note.view with the notes shown."""
    patient = visible_patient(by, patient, allowed=can_read_notes(by))
    notes = list(readable_notes(by).filter(patient=patient).prefetch_related("addenda__author"))
    sessions = sources.dosing_sessions(by, patient)
    appointments = sources.appointments(by, patient)
    booked = {a.appointment_id for a in appointments}

    def entry(session: sources.DosingSessionFacts | None) -> SessionEntry:
        session_id = session.session_id if session else None
        return SessionEntry(
            session=session,
            appointments=tuple(
                AppointmentEntry(a, tuple(n for n in notes if n.appointment_id == a.appointment_id))
                for a in appointments
                if a.dosing_session_id == session_id
            ),
            notes=tuple(n for n in notes if n.dosing_session_id == session_id and n.appointment_id not in booked),
        )

    entries = [entry(session) for session in reversed(sessions)]
    unlinked = entry(None)
    if unlinked.appointments:
        entries.append(unlinked)
    records = [NoteRecord(n.pk, n.started_at, n.modality, n.structured or {}) for n in notes]
    audit.record(
        "integration.note.view", patient=patient, actor=by, details={"notes": [n.pk for n in notes], "view": "timeline"}
    )
    return Timeline(tuple(entries), tuple(notes), tuple(emdr_targets(records)), ifs_parts(records))
