"""Who may do what with integration records, for a patient the requester can already see (clinic.scoping decides
that, and answers 404 otherwise; a therapist sees only the patients whose care team they are on).

- notes: prescribers, nurses and the patient's therapists read; therapists and prescribers write; the author alone
  changes a draft or signs it. Patients, front desk and clinic administrators never read therapy notes here (the
  Django admin shows administrators what a note is about, not what it says).
- relapse-prevention plan: the note readers and the patient read it; therapists and prescribers revise it.
- outcomes: the note readers and the patient.
- maintenance evaluations: the note readers see and open them; a prescriber resolves them.
"""

from __future__ import annotations

from typing import Any

from clinic.models import Role

NOTE_READERS = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})
NOTE_WRITERS = frozenset({Role.PRESCRIBER, Role.THERAPIST})


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _has_role(user: Any, roles: frozenset[Role]) -> bool:
    return _active(user) and (user.is_superuser or user.role in roles)


def _is_the_patient(user: Any, patient_id: int) -> bool:
    return _active(user) and user.role == Role.PATIENT and user.patient_id == patient_id


def can_read_notes(user: Any) -> bool:
    return _has_role(user, NOTE_READERS)


def can_write_notes(user: Any) -> bool:
    return _has_role(user, NOTE_WRITERS)


def is_author(user: Any, author_id: int) -> bool:
    return _active(user) and user.pk == author_id


def can_read_relapse_plan(user: Any, patient_id: int) -> bool:
    return can_read_notes(user) or _is_the_patient(user, patient_id)


def can_revise_relapse_plan(user: Any) -> bool:
    return _has_role(user, NOTE_WRITERS)


def can_read_outcomes(user: Any, patient_id: int) -> bool:
    return can_read_notes(user) or _is_the_patient(user, patient_id)


def can_open_evaluations(user: Any) -> bool:
    return _has_role(user, NOTE_READERS)


def can_resolve_evaluations(user: Any) -> bool:
    return _has_role(user, frozenset({Role.PRESCRIBER}))
