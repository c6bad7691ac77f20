"""Who may read and write a patient's secure messages. messaging/services.py enforces these; the pages ask the same
predicates before they offer a form. Seeing the patient at all is clinic.scoping's."""

from __future__ import annotations

from clinic.models import Patient, Role
from clinic.scoping import Requester, can_view_clinical, is_active_user

CLINICIAN_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})


def is_own_patient(user: Requester, patient: Patient) -> bool:
    return is_active_user(user) and user.role == Role.PATIENT and user.patient_id == patient.pk


def can_message_as_staff(user: Requester, patient: Patient | None = None) -> bool:
    """Prescribers, nurses and therapists who may see the patient's clinical record read and answer messages; the
    front desk and the clinic administrators do not (a message may carry anything about one's health)."""
    return (
        is_active_user(user) and user.role in CLINICIAN_ROLES and (patient is None or can_view_clinical(user, patient))
    )


def can_use_thread(user: Requester, patient: Patient) -> bool:
    return is_own_patient(user, patient) or can_message_as_staff(user, patient)
