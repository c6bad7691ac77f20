"""Two-step sign-in (django-otp): an authenticator app (TOTP) and single-use recovery codes.

Required for every staff account when MFA_REQUIRED_FOR_STAFF is on (the default when DEBUG is off), optional for
patients. docs/security.md says why django-otp.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import audit
from clinic.errors import InvalidInput
from clinic.models import User
from clinic.security import sessions, tokens

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10


def required_for(user: User) -> bool:
    return bool(settings.MFA_REQUIRED_FOR_STAFF and user.is_staff_member)


def is_enrolled(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    qr_svg: SafeString  # the otpauth:// address as a QR code, drawn server-side (no script, no image request)
    secret: str  # the same key as text, in groups of four, for typing into the app by hand


def start_enrolment(user: User) -> Enrolment:
    """A new, unconfirmed authenticator for the user (an earlier unconfirmed one is replaced)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return _enrolment(device)


def pending_enrolment(user: User, device_id: int) -> Enrolment | None:
    device = TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()
    return _enrolment(device) if device else None


def _enrolment(device: TOTPDevice) -> Enrolment:
    import base64

    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, dark="#1f2933", light="#ffffff", title="QR code for your authenticator app")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return Enrolment(device=device, qr_svg=mark_safe(svg), secret=grouped)  # noqa: S308 (segno's own SVG)


def confirm_enrolment(user: User, device_id: int, code: str) -> list[str]:
    """Confirm the authenticator with a code it shows; returns new recovery codes (shown once)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False).first()
        if device is None:
            raise InvalidInput({"code": ["This set-up has expired. Start again."]})
        if not device.verify_token(_digits(code)):
            raise InvalidInput({"code": ["That code did not match. Type the 6 digits the app shows now."]})
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        audit.record("clinic.user.mfa_enrol", obj=user, actor=user, patient=user.patient_id, details={"method": "totp"})
    return codes


def new_recovery_codes(user: User) -> list[str]:
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record("clinic.user.mfa_recovery_codes", obj=user, actor=user, patient=user.patient_id)
    return codes


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify(user: User, code: str) -> Device | None:
    """The device that accepts `code`: 6 digits go to the authenticator app, anything else is tried as a recovery
    code (which is then used up). Each kind has its own back-off (django-otp's throttling)."""
    compact = code.strip().replace(" ", "").replace("-", "").lower()
    app_code = compact.isdigit() and len(compact) == 6
    model = TOTPDevice if app_code else StaticDevice
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(compact):
                if not app_code:
                    audit.record(
                        "clinic.user.mfa_recovery_code_used",
                        obj=user,
                        actor=user,
                        patient=user.patient_id,
                        details={"left": recovery_codes_left(user)},
                    )
                return device
    return None


def turn_off(user: User) -> None:
    """A patient (or a person for whom it is not required) removes their own two-step sign-in."""
    if required_for(user):
        raise InvalidInput({"__all__": ["Two-step sign-in is required for staff accounts."]})
    with transaction.atomic():
        _delete_devices(user)
        audit.record("clinic.user.mfa_remove", obj=user, actor=user, patient=user.patient_id)


def reset(user: User, *, by: User) -> None:
    """A clinic administrator resets a staff member's two-step sign-in (a lost phone): the devices go, the person
    is signed out everywhere, and they set it up again at their next sign-in."""
    with transaction.atomic():
        _delete_devices(user)
        tokens.revoke_all(user, reason="two-step sign-in reset")
        sessions.end_all(user, reason="two-step sign-in reset")
        audit.record("clinic.user.mfa_reset", obj=user, actor=by, details={"username": user.get_username()})


def _delete_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())[:8]
