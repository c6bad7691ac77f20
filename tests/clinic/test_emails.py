"""clinic.emails: a template trio becomes one text + HTML message, sent through the MAILERS alias (locmem in tests)."""

from __future__ import annotations

import email
from email.message import Message

import pytest
from django.core import mail
from django.template import TemplateDoesNotExist
from django.test import override_settings

from clinic import emails

TRICKY = "O'Neil & <b>Sons</b>"
LOCMEM = {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


def _parsed(message: mail.EmailMessage) -> Message:
    return email.message_from_bytes(message.message().as_bytes())


def test_mail_check_sends_text_and_html_through_the_default_mailer(mailoutbox: list[mail.EmailMessage]) -> None:
    sent = emails.mail_check("testperson-01@example.invalid")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.sent_using == "default"
    assert message.to == ["testperson-01@example.invalid"]
    assert message.subject == "Mail check from KAP Clinic"
    assert "can send email to testperson-01@example.invalid" in message.body
    assert isinstance(message, mail.EmailMultiAlternatives)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "can send email to testperson-01@example.invalid" in str(html)
    assert sent == emails.SentEmail(message.extra_headers["Message-ID"], ("testperson-01@example.invalid",))
    parsed = _parsed(message)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Message-ID"] == sent.message_id
    assert sent.message_id.endswith("@clinic.invalid>")  # the domain of DEFAULT_FROM_EMAIL


@override_settings(CLINIC_NAME="Tom & Jerry's\nBcc: victim@example.invalid <Clinic>")
def test_subject_is_one_line_text_is_as_typed_and_html_is_escaped() -> None:
    rendered = emails.render_email("mail-check", {"recipient": TRICKY})
    assert rendered.subject == "Mail check from Tom & Jerry's Bcc: victim@example.invalid <Clinic>"
    assert "\n" not in rendered.subject
    assert f"can send email to {TRICKY}." in rendered.text
    assert "&amp;" not in rendered.text
    assert "O&#x27;Neil &amp; &lt;b&gt;Sons&lt;/b&gt;" in rendered.html
    assert "<b>Sons</b>" not in rendered.html
    assert "Tom &amp; Jerry&#x27;s" in rendered.html


def test_attachments_and_extra_headers_travel_with_the_message(mailoutbox: list[mail.EmailMessage]) -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    sent = emails.send_email(
        "mail-check",
        ["a@example.invalid", "b@example.invalid"],
        {"recipient": "the care team"},
        attachments=[emails.Attachment("session.ics", ics, "text/calendar")],
        headers={"X-Clinic-Reminder": "42"},
        reply_to=["front-desk@clinic.invalid"],
    )
    assert sent.recipients == ("a@example.invalid", "b@example.invalid")
    parsed = _parsed(mailoutbox[0])
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed["X-Clinic-Reminder"] == "42"
    assert parsed["Reply-To"] == "front-desk@clinic.invalid"
    [attachment] = [part for part in parsed.walk() if part.get_filename()]
    assert attachment.get_filename() == "session.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_payload(decode=True).splitlines() == ics.splitlines()  # the wire format chooses CRLF
    assert {part.get_content_type() for part in parsed.walk()} >= {"text/plain", "text/html"}


def test_a_caller_may_choose_the_message_id(mailoutbox: list[mail.EmailMessage]) -> None:
    chosen = emails.new_message_id()
    sent = emails.send_email("mail-check", "a@example.invalid", {}, headers={"message-id": chosen})
    assert sent.message_id == chosen
    assert _parsed(mailoutbox[0]).get_all("Message-ID") == [chosen]
    assert emails.new_message_id() != chosen


def test_a_header_with_a_line_break_is_refused_not_sent(mailoutbox: list[mail.EmailMessage]) -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        emails.send_email("mail-check", "a@example.invalid", {}, headers={"X-Note": "one\nBcc: b@example.invalid"})
    assert mailoutbox == []


@override_settings(MAILERS={"default": LOCMEM, "notifications": LOCMEM})
def test_send_through_another_mailer_alias(mailoutbox: list[mail.EmailMessage]) -> None:
    emails.send_email("mail-check", "a@example.invalid", {}, using="notifications")
    assert [m.sent_using for m in mailoutbox] == ["notifications"]


def test_an_unknown_message_name_fails_before_sending(mailoutbox: list[mail.EmailMessage]) -> None:
    with pytest.raises(TemplateDoesNotExist):
        emails.send_email("no-such-message", "a@example.invalid", {})
    assert mailoutbox == []
