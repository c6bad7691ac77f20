"""The channels against real servers on 127.0.0.1: an SMTP server (aiosmtpd) and a fake Twilio REST API."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from clinic import sms
from clinic.config import load
from clinic.reminders import delivery
from clinic.reminders.models import Reminder
from tests.clinic.reminders.conftest import make_due, visit
from tests.conftest import World

PROD = {"SECRET_KEY": "x" * 60}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RecordingHandler:
    """Takes every message (or answers with `reply`, e.g. "451 4.3.0 Try again later")."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.reply = "250 Message accepted for delivery"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content))
        return self.reply


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _smtp(port: int) -> dict[str, Any]:
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5}}}  # fmt: skip


@pytest.mark.django_db
def test_exactly_once_through_real_smtp(world: World, smtp_server: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp_server
    reminders = [make_due(visit(world.patient_a, subject_id=n)) for n in (1, 2, 3)]
    with override_settings(MAILERS=_smtp(port)):
        assert delivery.run_pass()["sent"] == 3
        assert delivery.run_pass()["claimed"] == 0
    ids = sorted(m["Message-ID"] for m in handler.messages)
    assert ids == sorted(f"<{r.reference}@clinic.invalid>" for r in reminders)
    assert {m["To"] for m in handler.messages} == {world.patient_a.email}
    assert all(m.get_content_type() == "multipart/alternative" for m in handler.messages)
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reply", "status", "attempts"),
    [("451 4.3.0 Try again later", "pending", 1), ("550 5.1.1 No such mailbox", "failed", 1)],
)
def test_smtp_refusals_retry_or_fail(
    world: World, smtp_server: tuple[RecordingHandler, int], reply: str, status: str, attempts: int
) -> None:
    handler, port = smtp_server
    handler.reply = reply
    reminder = make_due(visit(world.patient_a))
    with override_settings(MAILERS=_smtp(port)):
        delivery.run_pass()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (status, attempts)
    assert reply.split()[0] in reminder.last_error
    assert reminder.handed_over_at is None  # the server said no: certainly not delivered


@pytest.mark.django_db
def test_a_mail_server_that_cannot_be_reached_is_retried(world: World) -> None:
    reminder = make_due(visit(world.patient_a))
    with override_settings(MAILERS=_smtp(_free_port())):  # nothing listens there
        delivery.run_pass()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.handed_over_at) == ("pending", None)
    assert reminder.last_error.startswith("The mail server could not be reached")


# --- Twilio --------------------------------------------------------------------------------------------------------


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/{sid}/Messages.json as Twilio does; `mode` picks the answer."""

    mode = "ok"
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        type(self).received.append({"path": self.path, "auth": self.headers["Authorization"], **form})
        if self.mode == "drop":  # read the request, then hang up without an answer
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, body = {
            "ok": (201, {"sid": f"SM{len(self.received):032d}", "status": "queued"}),
            "busy": (429, {"code": 20429, "message": "Too Many Requests"}),
            "down": (503, {"code": 20503, "message": "Service Unavailable"}),
            "bad": (400, {"code": 21211, "message": "The 'To' number is not a valid phone number."}),
        }[self.mode]
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def twilio() -> Iterator[tuple[type[FakeTwilio], int]]:
    FakeTwilio.received = []
    FakeTwilio.mode = "ok"
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeTwilio, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _twilio_backend(port: int, tmp_path: Path) -> dict[str, Any]:
    url = f"twilio+http://ACtest0001:secret-token@127.0.0.1:{port}?from=+15550100"
    return load({**PROD, "SMS_URL": url}, tmp_path).sms


@pytest.mark.django_db
def test_a_text_message_goes_to_twilio_once(world: World, twilio: tuple[type[FakeTwilio], int], tmp_path: Path) -> None:
    server, port = twilio
    patient = world.patient_a
    patient.phone, patient.preferred_reminder_channel = "(555) 010-0142", "sms"
    patient.save()
    reminder = make_due(visit(patient))
    with override_settings(SMS_BACKEND=_twilio_backend(port, tmp_path)):
        assert delivery.run_pass()["sent"] == 1
        assert delivery.run_pass()["claimed"] == 0
    [request] = server.received
    assert request["path"] == "/2010-04-01/Accounts/ACtest0001/Messages.json"
    assert request["auth"].startswith("Basic ")
    assert (request["To"], request["From"]) == ("+15550100142", "+15550100")
    assert request["Body"].startswith("KAP Clinic: You have an appointment tomorrow at 9:00 AM EDT")
    reminder.refresh_from_db()
    assert (reminder.status, reminder.provider_message_id) == ("sent", f"SM{1:032d}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "status", "marked", "error"),
    [
        ("busy", "pending", False, "HTTP 429"),
        ("down", "pending", False, "HTTP 503"),
        ("bad", "failed", False, "21211"),
        ("drop", "failed", True, "Delivery uncertain"),  # the request went out, no answer came: never resent
    ],
)
def test_twilio_answers_are_read_as_retry_fail_or_uncertain(
    world: World, twilio: tuple[type[FakeTwilio], int], tmp_path: Path, mode: str, status: str, marked: bool,
    error: str,
) -> None:  # fmt: skip
    server, port = twilio
    server.mode = mode
    patient = world.patient_a
    patient.phone, patient.preferred_reminder_channel = "555-010-0142", "sms"
    patient.save()
    reminder = make_due(visit(patient))
    with override_settings(SMS_BACKEND=_twilio_backend(port, tmp_path)):
        delivery.run_pass()
    reminder.refresh_from_db()
    assert reminder.status == status
    assert (reminder.handed_over_at is not None) is marked
    assert error in reminder.last_error
    assert len(server.received) == 1


def test_twilio_that_cannot_be_reached_is_transient(tmp_path: Path) -> None:
    backend = sms.TwilioBackend(**_twilio_backend(_free_port(), tmp_path)["OPTIONS"])
    with pytest.raises(sms.SmsError) as caught:
        backend.send(sms.TextMessage(to="+15550100142", body="hello", reference="r-1"))
    assert caught.value.kind == "transient"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("(555) 010-0142", "+15550100142"), ("1-555-010-0142", "+15550100142"), ("+44 20 7946 0000", "+442079460000"),
     ("0044 20 7946 0000", "+442079460000"), ("12", None), ("call me", None)],
)  # fmt: skip
def test_phone_numbers_become_e164(typed: str, e164: str | None) -> None:
    assert sms.to_e164(typed) == e164


def test_the_file_backend_appends_one_line_per_message_and_finds_it(tmp_path: Path) -> None:
    backend = sms.FileBackend(directory=str(tmp_path / "sms"))
    assert backend.find("r-1") is None
    assert backend.send(sms.TextMessage(to="+15550100142", body="hello", reference="r-1")) == "file-r-1"
    backend.send(sms.TextMessage(to="+15550100142", body="again", reference="r-2"))
    assert backend.find("r-2") == "file-r-2"
    assert len((tmp_path / "sms" / "messages.jsonl").read_text().splitlines()) == 2


def test_sms_is_refused_clearly_when_not_set_up() -> None:
    with pytest.raises(sms.SmsError) as caught:
        sms.DisabledBackend().send(sms.TextMessage(to="+15550100142", body="x", reference="r"))
    assert caught.value.kind == "permanent"
    assert "SMS_URL" in caught.value.message


# --- Configuration --------------------------------------------------------------------------------------------------


def test_sms_url_forms(tmp_path: Path) -> None:
    assert load({**PROD, "SMS_URL": "console://"}, tmp_path).sms["BACKEND"] == "clinic.sms.ConsoleBackend"
    assert load({**PROD, "SMS_URL": "file:///srv/sms"}, tmp_path).sms["OPTIONS"] == {"directory": "/srv/sms"}
    assert load(PROD, tmp_path).sms["BACKEND"] == "clinic.sms.DisabledBackend"
    assert load({"DEBUG": "1"}, tmp_path).sms["OPTIONS"] == {"directory": str(tmp_path / "var" / "sms")}
    twilio = load({**PROD, "SMS_URL": "twilio://AC123:tok%2Fen@api.twilio.com?messaging_service_sid=MG9"}, tmp_path)
    assert twilio.sms["OPTIONS"]["base_url"] == "https://api.twilio.com"
    assert twilio.sms["OPTIONS"]["auth_token"] == "tok/en"
    assert twilio.sms["OPTIONS"]["messaging_service_sid"] == "MG9"


@pytest.mark.parametrize(
    "url",
    [
        "pigeon://coop",
        "file://relative/dir",
        "twilio://api.twilio.com?from=+15550100",  # no credentials
        "twilio://AC1:tok@api.twilio.com",  # no sender
        "twilio://AC1:tok@api.twilio.com?from=5550100",  # not E.164
        "twilio://AC1:tok@api.twilio.com?from=+15550100&colour=blue",
        "twilio+http://AC1:tok@api.twilio.com?from=+15550100",  # plain HTTP off this machine
    ],
)
def test_a_bad_sms_url_names_the_variable(url: str, tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="SMS_URL"):
        load({**PROD, "SMS_URL": url}, tmp_path)


def test_email_url_may_name_an_anymail_provider(tmp_path: Path) -> None:
    config = load({**PROD, "EMAIL_URL": "anymail://postmark?server_token=abc%2B1"}, tmp_path)
    assert config.email == {"BACKEND": "anymail.backends.postmark.EmailBackend", "OPTIONS": {"server_token": "abc+1"}}
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        load({**PROD, "EMAIL_URL": "anymail://"}, tmp_path)


@pytest.mark.parametrize(
    ("env", "named"),
    [({"CLINIC_BASE_URL": "clinic.example.org"}, "CLINIC_BASE_URL"), ({"REMINDER_MAX_ATTEMPTS": "0"},
     "REMINDER_MAX_ATTEMPTS"), ({"REMINDER_LEASE_SECONDS": "soon"}, "REMINDER_LEASE_SECONDS")],
)  # fmt: skip
def test_bad_reminder_settings_name_the_variable(env: dict[str, str], named: str, tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match=named):
        load({**PROD, **env}, tmp_path)


def test_the_anymail_backend_sends_through_the_channel(tmp_path: Path) -> None:
    """django-anymail's own test backend stands in for an ESP: the provider's id is what is recorded."""
    from django.core import mail

    from clinic.reminders import channels

    message = mail.EmailMultiAlternatives("s", "b", "from@clinic.invalid", ["to@example.invalid"],
                                          headers={"Message-ID": "<r-1@clinic.invalid>"})  # fmt: skip
    with override_settings(MAILERS={"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}):
        provider_id = channels.send_email(message)
    assert provider_id == str(getattr(message, "anymail_status").message_id)  # noqa: B009 (set by anymail)
    assert provider_id != "<r-1@clinic.invalid>"
