"""Who may do what in intake: questionnaires, screenings and their override, consent, medical clearance, safety
tasks.

intake.services enforces these predicates (clinic.domain.require) and the intake views ask the same ones before
they offer a form, so a button is shown exactly when the service would accept it. Seeing a patient at all is
decided by clinic.scoping. Unlike the sessions predicates, a superuser without a clinical role is not a clinician
here: intake decisions are signed by the role that makes them.
"""

from __future__ import annotations

from clinic.models import Patient, Role
from clinic.scoping import Requester, is_active_user

SCREENING_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE})
CLINICIAN_ROLES = frozenset({Role.PRESCRIBER, Role.NURSE, Role.THERAPIST})


def can_enter_assessments(user: Requester) -> bool:
    """Clinicians enter questionnaires in clinic; a patient fills their own in the portal."""
    return is_active_user(user) and (user.role in CLINICIAN_ROLES or user.role == Role.PATIENT)


def may_enter_for(user: Requester, patient: Patient) -> bool:
    """Whether `user` may enter questionnaires, health answers or a signature for `patient`: staff for any patient
    they may see, a patient only for their own record."""
    return is_active_user(user) and (user.role != Role.PATIENT or user.patient_id == patient.pk)


def can_screen(user: Requester) -> bool:
    return is_active_user(user) and user.role in SCREENING_ROLES


def can_override(user: Requester) -> bool:
    """Only a prescriber (physician or nurse practitioner) clears a relative finding (clinical protocol §1)."""
    return is_active_user(user) and user.is_prescriber


def can_record_medical_clearance(user: Requester) -> bool:
    """Only a prescriber records that a patient is medically fit for treatment (clinical protocol §1)."""
    return is_active_user(user) and user.is_prescriber


def can_witness_consent(user: Requester) -> bool:
    return is_active_user(user) and user.role in CLINICIAN_ROLES


def can_resolve_safety_tasks(user: Requester) -> bool:
    return is_active_user(user) and user.role in CLINICIAN_ROLES
