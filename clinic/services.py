"""Services of the core app: the only code that changes patients, chairs, care teams and protocol versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from clinic import audit
from clinic.care_team import display_name, member_refusal
from clinic.domain import locked
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import SMS_NEEDS_PHONE as SMS_NEEDS_PHONE
from clinic.models import CareTeamMember, Chair, Patient, ProtocolVersion, Site, User, reminder_contact_error
from clinic.protocol import DEFAULT_PROTOCOL, Protocol, validation_messages
from clinic.scoping import (
    can_add_chairs,
    can_manage_care_team,
    can_register_patients,
    can_view_clinical,
    get_patient_for,
    sites_of,
)
from clinic.shared_reads import per_request

PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex_at_birth",
    "email",
    "phone",
    "preferred_reminder_channel",
    "quiet_hours_start",
    "quiet_hours_end",
    "non_clinical_opt_out",
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


def _reminder_errors(patient: Patient) -> dict[str, list[str]]:
    error = reminder_contact_error(patient.preferred_reminder_channel, patient.phone)
    return {"phone": [error]} if error else {}


def _check_patient(patient: Patient, *, exclude: list[str] | None = None, reminders: bool = True) -> None:
    """The model's validation and the reminder contact together, so a form shows every problem at once."""
    errors: dict[str, list[str]] = _reminder_errors(patient) if reminders else {}
    try:
        patient.full_clean(exclude=exclude)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            known = errors.setdefault(key, [])
            known.extend(str(m) for m in messages if str(m) not in known)
    if errors:
        raise InvalidInput(errors)


def same_person_at_site(site: Site, given_name: str, family_name: str, date_of_birth: Any) -> QuerySet[Patient]:
    """Patients of `site` with this name (ignoring case and spaces around it) and date of birth."""
    return Patient.objects.filter(
        site=site,
        date_of_birth=date_of_birth,
        given_name__iexact=(given_name or "").strip(),
        family_name__iexact=(family_name or "").strip(),
    ).order_by("pk")


def register_patient(
    *, by: User | None, site: Site, data: Mapping[str, Any], refuse_same_person: bool = False
) -> Patient:
    """Create a patient at `site` with a new MRN; audited as clinic.patient.create.

    With `refuse_same_person`, a patient of the site with the same name and date of birth refuses it (409
    `possible_duplicate`, their ids in `patients`) so the registration page can show them first; the person
    registering then opens the existing record or confirms that this is someone else."""
    if by is not None:
        _check_writer(by, data)
        if not sites_of(by).filter(pk=site.pk).exists():
            raise InvalidInput({"site": "You do not work at this site."})
    unknown = set(data) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "Unknown field."))
    with transaction.atomic():
        locked(Site.objects.all()).get(pk=site.pk)  # one registration at a time per site: the check below holds
        patient = Patient(site=site, mrn="pending", **data)
        if patient.height_cm is not None or patient.weight_kg is not None:
            patient.measured_at = timezone.now()
        _check_patient(patient, exclude=["mrn"])
        if refuse_same_person:
            same = list(
                same_person_at_site(site, patient.given_name, patient.family_name, patient.date_of_birth).values_list(
                    "pk", flat=True
                )
            )
            if same:
                raise Conflict(
                    f"A patient with this name and date of birth is already registered at {site.name}.",
                    code="possible_duplicate",
                    details={"patients": same},
                )
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
        # Records kept from before the rule are checked only when their contact or channel changes.
        _check_patient(row, reminders=bool({"phone", "preferred_reminder_channel"} & set(diff)))
        row.save()
        if "preferred_reminder_channel" in diff:
            from clinic.reminders.preferences import apply_channel  # clinic.reminders builds on this module

            apply_channel(row, by)
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
    """Put a staff member of the patient's site on the care team; audited as clinic.careteam.add."""
    _check_care_team_writer(by, patient)
    with transaction.atomic():
        Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)
        refusal = member_refusal(patient, member)
        if refusal:
            raise InvalidInput({"user": refusal})
        entry = CareTeamMember.objects.create(patient=patient, user=member, role=member.role, is_primary=is_primary)
        audit.record(
            "clinic.careteam.add",
            patient=patient,
            obj=entry,
            actor=by,
            details={"user": member.get_username(), "role": member.role, "is_primary": is_primary},
        )
    return entry


def remove_care_team_member(*, by: User | None, patient: Patient, member: User) -> None:
    """Take someone off the care team; audited as clinic.careteam.remove."""
    _check_care_team_writer(by, patient)
    with transaction.atomic():
        Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)
        deleted, _ = CareTeamMember.objects.filter(patient=patient, user=member).delete()
        if not deleted:
            raise InvalidInput({"user": f"{display_name(member)} is not on the care team."})
        audit.record(
            "clinic.careteam.remove",
            patient=patient,
            actor=by,
            details={"user": member.get_username(), "role": member.role},
        )


def set_primary_care_team_member(*, by: User | None, patient: Patient, member: User, is_primary: bool) -> None:
    """Mark a member as the patient's primary contact on the team (or not); audited as clinic.careteam.update."""
    _check_care_team_writer(by, patient)
    with transaction.atomic():
        Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)
        updated = CareTeamMember.objects.filter(patient=patient, user=member).exclude(is_primary=is_primary)
        if updated.update(is_primary=is_primary):
            audit.record(
                "clinic.careteam.update",
                patient=patient,
                actor=by,
                details={"user": member.get_username(), "is_primary": is_primary},
            )


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


@per_request
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


# The details a patient keeps up to date themselves in the portal (contact and emergency contact).
OWN_DETAILS = ("email", "phone", "emergency_contact_name", "emergency_contact_phone", "emergency_contact_relationship")


def update_own_details(*, by: User, data: Mapping[str, Any]) -> Patient:
    """A patient changes their own contact details and emergency contact (the portal's profile). Only the fields of
    OWN_DETAILS; audited as clinic.patient.update with the changes, like a change made by staff. Their sign-in name
    stays as it is."""
    if not (by.is_active and by.is_patient_user and by.patient_id):
        raise NotAllowed("Only a patient changes their own details here.")
    unknown = set(data) - set(OWN_DETAILS)
    if unknown:
        raise InvalidInput(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    with transaction.atomic():
        row = locked(Patient.objects.all()).get(pk=by.patient_id)
        before = _snapshot(row)
        for name, value in data.items():
            setattr(row, name, (value or "").strip())
        diff = audit.changes(before, _snapshot(row))
        if not diff:
            return row
        _check_patient(row, reminders="phone" in diff)
        row.save()
        audit.record(
            "clinic.patient.update", patient=row, obj=row, actor=by, details={"changes": diff, "via": "portal"}
        )
    return row
