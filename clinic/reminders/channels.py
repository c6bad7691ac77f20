"""The two ways a reminder travels: email (clinic/emails.py through MAILERS) and text message (clinic/sms.py).

Each channel renders a reminder's message, hands it to the provider, and says how a failure should be read:

- `transient`: the provider certainly did not take the message and may later (SMTP 4xx, a connection that was
  never made, HTTP 429/5xx): try again after a backoff;
- `permanent`: it never will (SMTP 5xx, an address refused, HTTP 4xx, no SMS configured): failed at once;
- `uncertain`: the message may have been taken (the connection broke after the data went out, no answer came):
  never resent blindly.

`lookup` asks the provider whether a message with the reminder's reference was taken, where the provider can say
(the file and in-memory backends; SMTP and Twilio cannot be asked, so the answer there is "unknown").
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from clinic import emails, sms
from clinic.reminders.models import DeliveryChannel, Reminder
from clinic.reminders.registry import ReminderKind

FailureKind = Literal["transient", "permanent", "uncertain"]
NOT_FOUND: Final = "not_found"
UNKNOWN: Final = "unknown"


class DeliveryError(Exception):
    def __init__(self, message: str, *, kind: FailureKind) -> None:
        super().__init__(message)
        self.message = message
        self.kind: FailureKind = kind


@dataclass(frozen=True)
class Found:
    provider_message_id: str


Lookup = Found | Literal["not_found", "unknown"]


def recipient_address(reminder: Reminder) -> str:
    """Where this reminder goes on its channel ("" if the recipient has no such address)."""
    if reminder.recipient_user_id is not None:
        return (reminder.recipient_user.email or "").strip() if reminder.recipient_user else ""
    patient = reminder.patient
    if patient is None:
        return ""
    return (patient.phone if reminder.channel == DeliveryChannel.SMS else patient.email).strip()


def _context(context: Mapping[str, Any]) -> dict[str, Any]:
    return {"clinic_name": settings.CLINIC_NAME, **context}


# --- Email ----------------------------------------------------------------------------------------------------


def render_email(kind: ReminderKind, reminder: Reminder, context: Mapping[str, Any]) -> EmailMultiAlternatives:
    attachments = kind.attachments(reminder.subject_id, context) if kind.attachments else ()
    return emails.make_message(
        kind.email_template,
        recipient_address(reminder),
        context,
        attachments=attachments,
        headers={
            "Message-ID": emails.message_id_for(reminder.reference),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )


def send_email(message: EmailMultiAlternatives) -> str:
    """Hand the message to the default mailer. The connection is opened first, so a server that cannot be reached
    (certainly not a delivery) is told apart from one that broke off during the transfer (perhaps one)."""
    mailer = mail.mailers["default"]
    try:
        mailer.open()
    except OSError as exc:
        raise DeliveryError(f"The mail server could not be reached: {_describe(exc)}", kind="transient") from exc
    try:
        mailer.send_messages([message])
    except Exception as exc:
        raise DeliveryError(_describe(exc), kind=_email_failure(exc)) from exc
    finally:
        with suppress(Exception):  # the message is in; a failing QUIT changes nothing
            mailer.close()
    status = getattr(message, "anymail_status", None)  # django-anymail: the provider's own id
    provider_id = getattr(status, "message_id", None)
    return str(provider_id) if provider_id not in (None, "") else str(message.extra_headers["Message-ID"])


def _email_failure(exc: Exception) -> FailureKind:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return "transient" if codes and all(400 <= code < 500 for code in codes) else "permanent"
    if isinstance(exc, smtplib.SMTPResponseException):  # sender refused, data refused, any coded answer
        return "transient" if 400 <= exc.smtp_code < 500 else "permanent"
    status_code = getattr(exc, "status_code", None)  # django-anymail's AnymailAPIError
    if isinstance(status_code, int):
        return "transient" if status_code == 429 or status_code >= 500 else "permanent"
    if type(exc).__name__ == "AnymailRecipientsRefused" or isinstance(exc, ValueError | UnicodeError):
        return "permanent"  # a refused or malformed address
    return "uncertain"  # disconnected or timed out mid-transfer: the server may have taken it


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"The mail server answered {exc.smtp_code}: {error}"[:500]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return (
            "The mail server refused the address: "
            + "; ".join(
                f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                for code, msg in exc.recipients.values()
            )[:500]
        )
    return f"{type(exc).__name__}: {exc}"[:500]


def lookup_email(reminder: Reminder) -> Lookup:
    """Whether the mailer took a message with this reminder's Message-ID, where the mailer can be asked."""
    message_id = emails.message_id_for(reminder.reference)
    backend = settings.MAILERS["default"]["BACKEND"]
    if backend.endswith("locmem.EmailBackend"):
        taken = any(m.extra_headers.get("Message-ID") == message_id for m in getattr(mail, "outbox", []))
        return Found(message_id) if taken else NOT_FOUND
    if backend.endswith("filebased.EmailBackend"):
        folder = Path(settings.MAILERS["default"]["OPTIONS"]["file_path"])
        needle = f"Message-ID: {message_id}".encode()
        files = folder.glob("*.log") if folder.is_dir() else ()
        return Found(message_id) if any(needle in path.read_bytes() for path in files) else NOT_FOUND
    return UNKNOWN


# --- Text messages --------------------------------------------------------------------------------------------


def render_sms(kind: ReminderKind, context: Mapping[str, Any]) -> str:
    if not kind.sms_template:
        raise DeliveryError(f"{kind.name} has no text-message template.", kind="permanent")
    body = render_to_string(kind.sms_template, _context(context), using=emails.TEXT_ENGINE)
    return " ".join(body.split())


def send_sms(reminder: Reminder, body: str) -> str:
    message = sms.TextMessage(to=recipient_address(reminder), body=body, reference=reminder.reference)
    try:
        return sms.get_backend().send(message)
    except sms.SmsError as exc:
        raise DeliveryError(exc.message, kind=exc.kind) from exc


def lookup_sms(reminder: Reminder) -> Lookup:
    backend = sms.get_backend()
    if not backend.supports_lookup:
        return UNKNOWN
    try:
        found = backend.find(reminder.reference)
    except Exception:  # the lookup itself failed: nothing is known
        return UNKNOWN
    return Found(found) if found else NOT_FOUND


# --- Both -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A rendered message, ready to hand over."""

    reminder: Reminder
    email: EmailMultiAlternatives | None = None
    sms_body: str = ""


def prepare(kind: ReminderKind, reminder: Reminder, context: Mapping[str, Any]) -> Prepared:
    if reminder.channel == DeliveryChannel.SMS:
        return Prepared(reminder, sms_body=render_sms(kind, context))
    return Prepared(reminder, email=render_email(kind, reminder, context))


def hand_over(prepared: Prepared) -> str:
    """Give the message to the provider; its id for the message, or DeliveryError."""
    if prepared.email is not None:
        return send_email(prepared.email)
    return send_sms(prepared.reminder, prepared.sms_body)


def lookup(reminder: Reminder) -> Lookup:
    return lookup_sms(reminder) if reminder.channel == DeliveryChannel.SMS else lookup_email(reminder)
