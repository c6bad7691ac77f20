"""Consent (the patient's typed signature on the current document, in the portal or witnessed in clinic) and a
prescriber's medical clearance (clinical protocol §1)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from clinic import audit
from clinic.domain import lock_patient, past_time, require, required_text
from clinic.errors import InvalidInput, NotAllowed
from clinic.models import Patient, Role, User
from intake.consent import CONSENT_TEMPLATES, CURRENT_CONSENT_VERSION, consent_sha256
from intake.models import Consent, ConsentMethod, MedicalClearance
from intake.permissions import can_record_medical_clearance, can_witness_consent, may_enter_for


def _normalized_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def record_consent(
    *,
    by: User,
    patient: Patient,
    document_version: str,
    signed_name: str,
    signed_at: dt.datetime | None = None,
) -> Consent:
    """The patient signs `document_version` by typing their full name: in the portal (`by` is the patient), or in
    clinic witnessed by the clinician `by`. The SHA-256 of the text shown is stored with the signature."""
    if by.role == Role.PATIENT:
        require(may_enter_for(by, patient), "Patients can only fill in their own questionnaires.")
        method, witness = ConsentMethod.PORTAL, None
    elif can_witness_consent(by):
        method, witness = ConsentMethod.WITNESSED, by
    else:
        raise NotAllowed("Only a prescriber, nurse or therapist may witness consent.")
    if document_version not in CONSENT_TEMPLATES:
        raise InvalidInput(
            {"document_version": f"Unknown consent version {document_version!r}; the current one is "
                                 f"{CURRENT_CONSENT_VERSION}."}
        )  # fmt: skip
    if document_version != CURRENT_CONSENT_VERSION:
        raise InvalidInput(
            {"document_version": f"Consent {document_version} is no longer in use; sign {CURRENT_CONSENT_VERSION}."}
        )
    typed = required_text(signed_name, "signed_name", "Type the patient's full name to sign.")
    if _normalized_name(typed) != _normalized_name(patient.full_name):
        raise InvalidInput({"signed_name": f"Type the full name as on record: {patient.full_name}."})
    when = past_time(signed_at, "signed_at", timezone.now())
    with transaction.atomic():
        patient = lock_patient(patient)
        consent = Consent.objects.create(
            patient=patient,
            document_version=document_version,
            text_sha256=consent_sha256(document_version),
            signed_name=" ".join(typed.split()),
            signed_at=when,
            method=method,
            witnessed_by=witness,
            recorded_by=by,
        )
        audit.record(
            "intake.consent.create",
            patient=patient,
            obj=consent,
            actor=by,
            details={"document_version": document_version, "text_sha256": consent.text_sha256, "method": method},
        )
    return consent


def record_medical_clearance(
    *, by: User, patient: Patient, note: str, cleared_at: dt.datetime | None = None
) -> MedicalClearance:
    require(
        can_record_medical_clearance(by),
        "Only a prescriber (physician or nurse practitioner) may record a medical clearance.",
    )
    note = required_text(note, "note", "Say what was reviewed (history, examination, tests) and the conclusion.")
    when = past_time(cleared_at, "cleared_at", timezone.now())
    with transaction.atomic():
        patient = lock_patient(patient)
        clearance = MedicalClearance.objects.create(patient=patient, prescriber=by, note=note, cleared_at=when)
        audit.record("intake.medicalclearance.create", patient=patient, obj=clearance, actor=by, details={"note": note})
    return clearance
