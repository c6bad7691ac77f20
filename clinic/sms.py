"""Text messages: a small backend interface, chosen by SMS_URL (clinic/config.py), in the manner of Django's mail
backends.

- `ConsoleBackend` writes each message to the log; `FileBackend` appends it to `messages.jsonl` in a directory (the
  embedded mode's default, var/sms); `LocmemBackend` keeps it in `outbox` (tests); `DisabledBackend` refuses (no
  SMS_URL in production); `TwilioBackend` posts it to Twilio's REST Messages API.
- `send(message)` returns the provider's id for the message or raises `SmsError` saying whether the provider
  certainly did not take it (`transient`: try again later; `permanent`: it never will) or may have
  (`uncertain`: do not send again blindly). The reminders machinery (clinic/reminders/) decides what to do.
- `find(reference)` looks a message up by the reference the caller gave it, for backends that can
  (`supports_lookup`), so a send interrupted after the hand-over can be settled without sending twice.

A message body carries what a lock screen may show and no more; this module sends what it is given.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("clinic.sms")

FailureKind = Literal["transient", "permanent", "uncertain"]


@dataclass(frozen=True, slots=True)
class TextMessage:
    to: str
    body: str
    reference: str  # the caller's id for this message, e.g. "reminder-42"


class SmsError(Exception):
    def __init__(self, message: str, *, kind: FailureKind) -> None:
        super().__init__(message)
        self.message = message
        self.kind: FailureKind = kind


class BaseBackend:
    supports_lookup = False

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError(f"{type(self).__name__} takes no options: {sorted(options)}")

    def send(self, message: TextMessage) -> str:
        raise NotImplementedError

    def find(self, reference: str) -> str | None:
        """The provider id of the message sent with `reference`, or None if there is none."""
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, message: TextMessage) -> str:
        logger.info("Text message to %s (%s): %s", message.to, message.reference, message.body)
        return f"console-{message.reference}"


class FileBackend(BaseBackend):
    """One JSON line per message in DIRECTORY/messages.jsonl. Each line is one `write` on a file opened for
    appending, so concurrent processes never interleave lines."""

    supports_lookup = True

    def __init__(self, *, directory: str) -> None:
        self.path = Path(directory) / "messages.jsonl"

    def send(self, message: TextMessage) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{message.reference}"
        line = json.dumps({**asdict(message), "id": provider_id, "sent_at": timezone.now().isoformat()}) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
        return provider_id

    def find(self, reference: str) -> str | None:
        if not self.path.exists():
            return None
        for line in self.path.read_text().splitlines():
            record = json.loads(line)
            if record["reference"] == reference:
                return str(record["id"])
        return None


outbox: list[TextMessage] = []


class LocmemBackend(BaseBackend):
    """Keeps messages in `clinic.sms.outbox` (tests empty it)."""

    supports_lookup = True

    def send(self, message: TextMessage) -> str:
        outbox.append(message)
        return f"locmem-{message.reference}"

    def find(self, reference: str) -> str | None:
        return next((f"locmem-{m.reference}" for m in outbox if m.reference == reference), None)


class DisabledBackend(BaseBackend):
    def send(self, message: TextMessage) -> str:
        raise SmsError("Text messages are not set up on this server (SMS_URL).", kind="permanent")


E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def to_e164(number: str, country_code: str = "+1") -> str | None:
    """A phone number as typed ("(555) 010-0142", "+44 20 7946 0000") in E.164 form, or None if it cannot be."""
    digits = re.sub(r"[\s().\-/]", "", number)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        national = digits.removeprefix(country_code[1:]) if len(digits) > 10 else digits
        digits = country_code + national
    return digits if E164.match(digits) else None


class TwilioBackend(BaseBackend):
    """Twilio's REST API: POST /2010-04-01/Accounts/{sid}/Messages.json, answered 201 with the message's `sid`."""

    TIMEOUT = (5, 20)  # connect, read (seconds): well within a reminder's lease

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        country_code: str = "+1",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.url = f"{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.country_code = country_code

    def send(self, message: TextMessage) -> str:
        to = to_e164(message.to, self.country_code)
        if to is None:
            raise SmsError("The phone number cannot take text messages (it is not a full number).", kind="permanent")
        data = {"To": to, "Body": message.body}
        if self.messaging_service_sid:
            data["MessagingServiceSid"] = self.messaging_service_sid
        else:
            data["From"] = self.from_number
        try:
            response = requests.post(
                self.url, data=data, auth=(self.account_sid, self.auth_token), timeout=self.TIMEOUT
            )
        except (requests.ConnectTimeout, requests.ConnectionError) as exc:
            raise SmsError(f"Twilio could not be reached: {type(exc).__name__}", kind=_connection_failure(exc)) from exc
        except requests.RequestException as exc:  # e.g. ReadTimeout: the request went out, the answer did not come
            raise SmsError(f"No answer from Twilio: {type(exc).__name__}", kind="uncertain") from exc
        if response.status_code in (200, 201):
            try:
                return str(response.json()["sid"])
            except (ValueError, KeyError):
                raise SmsError("Twilio accepted the message without saying its id.", kind="uncertain") from None
        detail = _twilio_error(response)
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsError(f"Twilio is busy or failing (HTTP {response.status_code}): {detail}", kind="transient")
        raise SmsError(f"Twilio refused the message (HTTP {response.status_code}): {detail}", kind="permanent")


def _connection_failure(exc: requests.RequestException) -> FailureKind:
    """A connection that was never made is certainly not a delivery; one that broke mid-request may be."""
    if isinstance(exc, requests.ConnectTimeout):
        return "transient"
    reason = repr(exc.args[0]) if exc.args else ""
    never_connected = ("NewConnectionError", "NameResolutionError", "Connection refused", "ConnectTimeoutError")
    return "transient" if any(marker in reason for marker in never_connected) else "uncertain"


def _twilio_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return f"{body.get('code', '')} {body.get('message', '')}".strip()[:300]


def get_backend() -> BaseBackend:
    """The backend of settings.SMS_BACKEND (from SMS_URL)."""
    config: dict[str, Any] = settings.SMS_BACKEND
    backend_class = import_string(config["BACKEND"])
    backend: BaseBackend = backend_class(**config.get("OPTIONS", {}))
    return backend
