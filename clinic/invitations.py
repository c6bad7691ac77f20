"""Portal invitations: the only way a patient gets a portal account (docs/clinical-protocol.md, section 10).

Staff invite a patient by email (the staff patient page, `POST /api/v1/patients/{id}/invite/`, or `manage.py
create_user --role patient`). The email carries a one-time link that works for `portal.invitation_valid_hours` of
the site's protocol; following it, the patient chooses a password (Django's password validators) and lands signed
in on the portal home. The link's secret is never stored and never travels through the broker: it is an HMAC of the
invitation's random salt under SECRET_KEY (`link_token`); the database keeps its SHA-256 to find the invitation.

A link that has expired, or was used already, shows a page with a way to ask for a new one: a new link is sent
to the email address on file (`request_new_link`), once per link (asking twice with one old link sends nothing
more, so the button cannot flood a mailbox). A newer invitation replaces the open ones.

Every step is audited: `clinic.invitation.send`, `.deliver`, `.open`, `.accept`, `.resend`, and `clinic.user.create`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from clinic import audit, emails
from clinic.domain import lock_patient, locked, require
from clinic.errors import Conflict, InvalidInput
from clinic.models import Patient, PortalInvitation, Role, User
from clinic.scoping import can_register_patients, works_at
from clinic.services import current_protocol
from clinic.times import site_datetime

HMAC_SALT = "clinic.invitations.link"


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkCheck:
    state: LinkState
    invitation: PortalInvitation | None


def link_token(invitation: PortalInvitation, salt: str) -> str:
    return salted_hmac(HMAC_SALT, f"{invitation.patient_id}:{salt}", algorithm="sha256").hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def can_invite(user: User, patient: Patient) -> bool:
    """Front desk, nurses, prescribers and clinic administrators of the patient's site (who register patients); a
    prescriber who sees another site's patient through break-glass reads the chart in an emergency and does not
    give the patient a portal account."""
    return can_register_patients(user) and (user.is_superuser or works_at(user, patient.site_id))


def account_of(patient: Patient) -> User | None:
    return User.objects.filter(patient=patient).first()


def latest_invitation(patient: Patient) -> PortalInvitation | None:
    return PortalInvitation.objects.filter(patient=patient).first()


def _create(*, by: User | None, patient: Patient, now: dt.datetime) -> tuple[PortalInvitation, str]:
    hours = current_protocol(patient.site).portal.invitation_valid_hours
    PortalInvitation.objects.filter(patient=patient, used_at=None, replaced_at=None).update(replaced_at=now)
    salt = secrets.token_urlsafe(24)
    invitation = PortalInvitation(
        patient=patient,
        email=patient.email,
        created_at=now,
        created_by=by,
        expires_at=now + dt.timedelta(hours=hours),
        token_hash="",
    )
    token = link_token(invitation, salt)
    invitation.token_hash = _hash(token)
    invitation.save()
    from clinic.tasks import send_portal_invitation  # the task module imports this one

    transaction.on_commit(functools.partial(send_portal_invitation.delay, invitation.pk, salt))  # queue once committed
    return invitation, token


def invite_patient(*, by: User | None, patient: Patient) -> PortalInvitation:
    """Send `patient` a one-time link to set up their portal account. Refused when the patient has no email
    address (400), already has an account or is inactive (409), or the role may not invite (403)."""
    if by is not None:
        require(can_invite(by, patient), "Your role may not invite patients to the portal.")
    with transaction.atomic():
        patient = lock_patient(patient)
        if account_of(patient) is not None:
            raise Conflict(
                f"{patient.full_name} already has a portal account. If they forgot their password, they can use "
                "“Forgot your password?” on the sign-in page.",
                code="already_has_account",
            )
        if not patient.is_active:
            raise Conflict("This patient's record is inactive; reactivate it first.", code="inactive_patient")
        if not patient.email:
            raise InvalidInput({"email": "Add the patient's email address before sending an invitation."})
        now = timezone.now()
        invitation, _token = _create(by=by, patient=patient, now=now)
        audit.record(
            "clinic.invitation.send",
            patient=patient,
            obj=invitation,
            actor=by,
            details={"email": patient.email, "expires_at": invitation.expires_at},
        )
    return invitation


def deliver(invitation_id: int, salt: str) -> bool:
    """The task's work: email the link of an invitation that is still open. False when there is nothing to send
    (the invitation was used or replaced meanwhile, or is gone)."""
    with transaction.atomic():
        invitation = (
            locked(PortalInvitation.objects.select_related("patient__site"))
            .filter(pk=invitation_id, used_at=None, replaced_at=None)
            .first()
        )
        if invitation is None or invitation.sent_at is not None:
            return False
        token = link_token(invitation, salt)
        if _hash(token) != invitation.token_hash:
            return False
        patient = invitation.patient
        url = settings.CLINIC_BASE_URL + reverse("portal:invitation", args=[token])
        sent = emails.send_email(
            "portal-invitation",
            invitation.email,
            {
                "given_name": patient.given_name,
                "url": url,
                "expires": site_datetime(invitation.expires_at, patient.site),
                "site_name": patient.site.name,
                "site_phone": patient.site.phone,
            },
        )
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
        audit.record(
            "clinic.invitation.deliver", patient=patient, obj=invitation, details={"message_id": sent.message_id}
        )
    return True


def check_link(token: str, *, now: dt.datetime | None = None) -> LinkCheck:
    """What a link is now: valid, expired, used, replaced by a newer one, or not one of ours."""
    now = now or timezone.now()
    invitation = PortalInvitation.objects.select_related("patient__site").filter(token_hash=_hash(token)).first()
    if invitation is None:
        return LinkCheck(LinkState.UNKNOWN, None)
    if invitation.used_at is not None:
        return LinkCheck(LinkState.USED, invitation)
    if invitation.replaced_at is not None:
        return LinkCheck(LinkState.REPLACED, invitation)
    if invitation.expires_at <= now:
        return LinkCheck(LinkState.EXPIRED, invitation)
    return LinkCheck(LinkState.VALID, invitation)


def record_opened(check: LinkCheck) -> None:
    """The patient opened their link (an anonymous read of the invitation page)."""
    if check.invitation is not None:
        audit.record(
            "clinic.invitation.open",
            patient=check.invitation.patient_id,
            obj=check.invitation,
            details={"state": check.state.value},
        )


def username_for(patient: Patient) -> str:
    """The patient signs in with their email address; the MRN if another account already uses it."""
    email = patient.email.strip().lower()
    if email and not User.objects.filter(username__iexact=email).exists():
        return email
    return patient.mrn.lower()


def accept_invitation(*, token: str, password: str) -> User:
    """Create the patient's portal account with the password they chose. The link then stops working."""
    with transaction.atomic():
        check = check_link(token)
        if check.state is not LinkState.VALID or check.invitation is None:
            raise Conflict(expired_text(check.state), code=f"invitation_{check.state.value}")
        invitation = locked(PortalInvitation.objects.all()).get(pk=check.invitation.pk)
        patient = lock_patient(check.invitation.patient)
        if invitation.used_at is not None or account_of(patient) is not None:
            raise Conflict(expired_text(LinkState.USED), code="invitation_used")
        user = User(
            username=username_for(patient),
            role=Role.PATIENT,
            patient=patient,
            first_name=patient.given_name,
            last_name=patient.family_name,
            email=patient.email,
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput({"new_password1": list(exc.messages)}) from None
        user.set_password(password)
        user.save()
        invitation.used_at = timezone.now()
        invitation.account = user
        invitation.save(update_fields=["used_at", "account"])
        audit.record("clinic.user.create", patient=patient, obj=user, actor=user, details={"via": "invitation"})
        audit.record("clinic.invitation.accept", patient=patient, obj=invitation, actor=user)
    return user


def expired_text(state: LinkState) -> str:
    return {
        LinkState.EXPIRED: "This link has expired. Links work for a limited time to keep your account safe.",
        LinkState.USED: "This link was already used. Each link works only once.",
        LinkState.REPLACED: "A newer link was sent to you. Please use the link in the most recent email.",
        LinkState.UNKNOWN: "We do not recognise this link. Please check that you copied all of it.",
        LinkState.VALID: "This link works.",
    }[state]


@dataclass(frozen=True)
class NewLink:
    sent: bool
    message: str


def request_new_link(token: str) -> NewLink:
    """A patient whose link expired (or was used before they finished) asks for a new one: it is sent to the email
    address on file, once per old link. Nothing is sent when the patient already has an account (they sign in, or
    reset their password) or for a link that was replaced or is not ours."""
    check = check_link(token)
    invitation = check.invitation
    if invitation is None or check.state is LinkState.REPLACED:
        return NewLink(False, expired_text(check.state) + " If you cannot find it, call the clinic.")
    patient = invitation.patient
    if account_of(patient) is not None:
        return NewLink(
            False,
            "Your account is already set up. Sign in with your email address and password, or use "
            "“Forgot your password?” on the sign-in page.",
        )
    if check.state is LinkState.VALID:
        return NewLink(False, "This link still works: you can set your password now.")
    with transaction.atomic():
        patient = lock_patient(patient)
        if not patient.email:
            return NewLink(False, "We have no email address for you. Please call the clinic.")
        new, _token = _create(by=None, patient=patient, now=timezone.now())
        audit.record(
            "clinic.invitation.resend",
            patient=patient,
            obj=new,
            details={"replaces": invitation.pk, "email": patient.email, "asked_by": "patient"},
        )
    return NewLink(True, "We sent a new link to the email address we have on file. It may take a few minutes.")
