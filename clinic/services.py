"""Services of the core app: the only code that changes patients, chairs, care teams and protocol versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from clinic import audit
from clinic.domain import locked
from clinic.errors import InvalidInput, NotAllowed
from clinic.models import CareTeamMember, Chair, Patient, ProtocolVersion, Role, Site, User
from clinic.protocol import DEFAULT_PROTOCOL, Protocol, validation_messages
from clinic.scoping import (
    can_add_chairs,
    can_manage_care_team,
    can_register_patients,
    can_view_clinical,
    get_patient_for,
    sites_of,
)

PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex_at_birth",
    "email",
    "phone",
    "preferred_reminder_channel",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "height_cm",
    "weight_kg",
    "is_active",
)
CLINICAL_PATIENT_FIELDS = frozenset({"height_cm", "weight_kg"})


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidInput({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None


def _snapshot(patient: Patient) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in PATIENT_FIELDS}


def issue_mrn(site: Site) -> str:
    """The next medical record number of `site`, e.g. MAIN-000042. Call inside a transaction."""
    row = locked(Site.objects.all()).get(pk=site.pk)
    number = row.next_mrn_number
    Site.objects.filter(pk=site.pk).update(next_mrn_number=number + 1)
    return f"{row.code}-{number:06d}"


def _check_writer(by: User, data: Mapping[str, Any]) -> None:
    """Who may write patient details: staff who register patients; clinical fields only by clinical staff."""
    if not can_register_patients(by):
        raise NotAllowed("Your role may not register or change patients.")
    clinical = sorted(CLINICAL_PATIENT_FIELDS & {k for k, v in data.items() if v is not None})
    if clinical and not can_view_clinical(by):
        raise NotAllowed(f"Your role may not record clinical measurements ({', '.join(clinical)}).")


def register_patient(*, by: User | None, site: Site, data: Mapping[str, Any]) -> Patient:
    """Create a patient at `site` with a new MRN; audited as clinic.patient.create."""
    if by is not None:
        _check_writer(by, data)
        if not sites_of(by).filter(pk=site.pk).exists():
            raise InvalidInput({"site": "You do not work at this site."})
    unknown = set(data) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "Unknown field."))
    with transaction.atomic():
        patient = Patient(site=site, mrn="pending", **data)
        if patient.height_cm is not None or patient.weight_kg is not None:
            patient.measured_at = timezone.now()
        _full_clean(patient, exclude=["mrn"])
        patient.mrn = issue_mrn(site)
        patient.save()
        audit.record(
            "clinic.patient.create",
            patient=patient,
            obj=patient,
            actor=by,
            details={"mrn": patient.mrn, "site": site.pk, "fields": sorted(data)},
        )
    return patient


def update_patient(*, by: User | None, patient: Patient, data: Mapping[str, Any]) -> Patient:
    """Change a patient's details; audited as clinic.patient.update with the changed fields (old and new)."""
    if by is not None:
        _check_writer(by, data)
        get_patient_for(by, patient.pk)  # 404 for a patient the writer may not see
    unknown = set(data) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    with transaction.atomic():
        row = locked(Patient.objects.all()).get(pk=patient.pk)
        before = _snapshot(row)
        for name, value in data.items():
            setattr(row, name, value)
        diff = audit.changes(before, _snapshot(row))
        if not diff:
            return row
        if CLINICAL_PATIENT_FIELDS & set(diff):
            row.measured_at = timezone.now()
        _full_clean(row)
        row.save()
        audit.record("clinic.patient.update", patient=row, obj=row, actor=by, details={"changes": diff})
    return row


def create_chair(*, by: User | None, site: Site, name: str, notes: str = "") -> Chair:
    if by is not None and not can_add_chairs(by, site):
        raise NotAllowed("Only a clinic administrator of this site may add chairs.")
    with transaction.atomic():
        chair = Chair(site=site, name=name.strip(), notes=notes)
        _full_clean(chair)
        chair.save()
        audit.record("clinic.chair.create", obj=chair, actor=by, details={"site": site.pk, "name": chair.name})
    return chair


def add_care_team_member(
    *, by: User | None, patient: Patient, member: User, is_primary: bool = False
) -> CareTeamMember:
    """Put an active staff member of the patient's site on the care team (`by` None: the system, or a service that
    has already decided, e.g. booking an integration appointment adds its therapist); audited as clinic.careteam.add.
    Adding someone already on the team changes nothing."""
    _check_care_team_writer(by, patient)
    if member.role == Role.PATIENT or not member.is_active:
        raise InvalidInput({"user": "Only active staff can join a care team."})
    if not member.is_superuser and not member.sites.filter(pk=patient.site_id).exists():
        raise InvalidInput({"user": f"{member.get_full_name() or member.get_username()} does not work at this site."})
    with transaction.atomic():
        entry, created = CareTeamMember.objects.get_or_create(
            patient=patient, user=member, defaults={"role": member.role, "is_primary": is_primary}
        )
        if created:
            audit.record(
                "clinic.careteam.add",
                patient=patient,
                obj=entry,
                actor=by,
                details={"user": member.get_username(), "role": member.role},
            )
    return entry


def remove_care_team_member(*, by: User | None, patient: Patient, member: User) -> None:
    _check_care_team_writer(by, patient)
    with transaction.atomic():
        deleted, _ = CareTeamMember.objects.filter(patient=patient, user=member).delete()
        if deleted:
            audit.record("clinic.careteam.remove", patient=patient, actor=by, details={"user": member.get_username()})


def _check_care_team_writer(by: User | None, patient: Patient) -> None:
    if by is not None and not can_manage_care_team(by, patient):
        raise NotAllowed(
            "Only a prescriber, nurse or clinic administrator of the patient's site may change the care team."
        )


# --- Protocol versions ------------------------------------------------------------------------------------------


def active_protocol_version(site: Site) -> ProtocolVersion:
    """The site's active protocol version; a site without one gets version 1 with the default protocol (a write:
    reads take current_protocol)."""
    version = ProtocolVersion.objects.filter(site=site, is_active=True).first()
    if version is not None:
        return version
    with transaction.atomic():
        locked(Site.objects.all()).get(pk=site.pk)
        version = ProtocolVersion.objects.filter(site=site, is_active=True).first()
        if version is None:
            version = ProtocolVersion.objects.create(
                site=site,
                number=(ProtocolVersion.objects.filter(site=site).count() + 1),
                is_active=True,
                change_summary="Default protocol (docs/clinical-protocol.md)",
            )
            audit.record("clinic.protocolversion.create", obj=version, details={"number": version.number})
    return version


def use_protocol(site: Site) -> tuple[ProtocolVersion, Protocol]:
    """The active version and its settings, for a service about to record a decision: the version is stamped as
    used (locked against edits; it is stored on the record), and a site without one gets version 1.

    Reads (pages, previews, the dosing clearance) take current_protocol, which writes nothing."""
    version = active_protocol_version(site)
    if version.first_used_at is None:
        ProtocolVersion.objects.filter(pk=version.pk, first_used_at__isnull=True).update(first_used_at=timezone.now())
        version.refresh_from_db(fields=["first_used_at"])
    return version, version.protocol()


def current_protocol(site: Site) -> Protocol:
    """The site's active protocol settings, for reads: nothing is written (the version is not stamped as used, and a
    site without a version yet reads the default protocol without getting a row)."""
    version = ProtocolVersion.objects.filter(site=site, is_active=True).first()
    return version.protocol() if version is not None else DEFAULT_PROTOCOL


def publish_protocol_version(
    *, by: User | None, site: Site, settings: Mapping[str, Any], change_summary: str, activate: bool = True
) -> ProtocolVersion:
    """Save settings as the site's next protocol version (validated), and make it the active one."""
    try:
        normalized = Protocol.model_validate(dict(settings)).to_json()
    except PydanticValidationError as exc:
        raise InvalidInput({f"settings.{k}": v for k, v in validation_messages(exc).items()}) from None
    if not change_summary.strip():
        raise InvalidInput({"change_summary": "Say what changed and why."})
    with transaction.atomic():
        locked(Site.objects.all()).get(pk=site.pk)
        last = ProtocolVersion.objects.filter(site=site).order_by("-number").first()
        if activate:
            ProtocolVersion.objects.filter(site=site, is_active=True).update(is_active=False)
        version = ProtocolVersion.objects.create(
            site=site,
            number=(last.number + 1) if last else 1,
            settings=normalized,
            change_summary=change_summary.strip(),
            is_active=activate,
            created_by=by,
        )
        audit.record(
            "clinic.protocolversion.create",
            obj=version,
            actor=by,
            details={
                "number": version.number,
                "activated": activate,
                "changes": audit.changes(_flatten(last.settings) if last else {}, _flatten(normalized)),
            },
        )
    return version


def activate_protocol_version(*, by: User | None, version: ProtocolVersion) -> ProtocolVersion:
    with transaction.atomic():
        locked(Site.objects.all()).get(pk=version.site_id)
        ProtocolVersion.objects.filter(site_id=version.site_id, is_active=True).update(is_active=False)
        ProtocolVersion.objects.filter(pk=version.pk).update(is_active=True)
        version.refresh_from_db()
        audit.record("clinic.protocolversion.activate", obj=version, actor=by, details={"number": version.number})
    return version


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat
