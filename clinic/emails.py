"""Email: each message is one function here, rendered from a template trio and sent through the configured mailer.

A message named `NAME` lives in templates/emails/ as three files (healthchecks' hc/lib/emails.py):

- `NAME-subject.txt`: the subject; whitespace and line breaks collapse into one line, so a subject never breaks
  a header;
- `NAME-body.txt`: the plain-text part, rendered by the "text" template engine (no HTML escaping);
- `NAME-body.html`: the HTML part, rendered by the default engine, which escapes every value (extends
  `emails/base.html`).

`send_email` sends both parts as one multipart/alternative message through Django 6.1's `MAILERS` (the alias
"default" is built from EMAIL_URL by clinic/config.py; tests get Django's locmem mailer). It sets a `Message-ID`
and returns it, so a caller that records deliveries (reminders) can store it and match bounces or a provider's
events to it; a caller may also choose the id itself with `headers={"Message-ID": ...}` (see `new_message_id`).

This module sends; it decides nothing and writes no audit entry. Deciding who gets what, recording the send and
auditing it belong to the caller's service, and sending belongs in a Celery task (`<app>/tasks.py`), never in a
request (docs/architecture.md, "Emails").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.core.mail import DNS_NAME, EmailMultiAlternatives, make_msgid
from django.template.loader import render_to_string

__all__ = [
    "Attachment",
    "MessageOptions",
    "RenderedEmail",
    "SentEmail",
    "mail_check",
    "make_message",
    "message_id_for",
    "new_message_id",
    "send_email",
]

TEXT_ENGINE = "text"  # the autoescape-off engine in settings.TEMPLATES


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to attach, e.g. `Attachment("session.ics", ics_bytes, "text/calendar")`."""

    filename: str
    content: bytes | str
    mimetype: str


class MessageOptions(TypedDict, total=False):
    """What a message may carry besides its template: files, extra headers (a chosen "Message-ID" too), Reply-To."""

    attachments: Sequence[Attachment]
    headers: Mapping[str, str]
    reply_to: Sequence[str]


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class SentEmail:
    """What was handed to the mailer: the Message-ID header and the addresses it went to."""

    message_id: str
    recipients: tuple[str, ...]


def _context(context: Mapping[str, Any]) -> dict[str, Any]:
    return {"clinic_name": settings.CLINIC_NAME, **context}


def render_email(name: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render the trio `emails/<name>-subject.txt`, `-body.txt` and `-body.html` with `context`."""
    ctx = _context(context)
    subject = render_to_string(f"emails/{name}-subject.txt", ctx, using=TEXT_ENGINE)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=render_to_string(f"emails/{name}-body.txt", ctx, using=TEXT_ENGINE),
        html=render_to_string(f"emails/{name}-body.html", ctx),
    )


def _domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)


def new_message_id() -> str:
    """A fresh `<...@domain>` Message-ID on the domain of DEFAULT_FROM_EMAIL (the host name if it has none)."""
    return make_msgid(domain=_domain())


def message_id_for(reference: str) -> str:
    """The Message-ID `<reference@domain>` for a message that must keep one id however often it is attempted (a
    reminder: clinic/reminders/channels.py looks a send up by it)."""
    return f"<{reference}@{_domain()}>"


def make_message(
    name: str, to: str | Sequence[str], context: Mapping[str, Any], **options: Unpack[MessageOptions]
) -> EmailMultiAlternatives:
    """The message, rendered and ready to send (text body, HTML alternative, attachments, a Message-ID)."""
    rendered = render_email(name, context)
    all_headers = dict(options.get("headers", {}))
    if not any(key.lower() == "message-id" for key in all_headers):
        all_headers["Message-ID"] = new_message_id()
    message = EmailMultiAlternatives(
        rendered.subject,
        rendered.text,
        settings.DEFAULT_FROM_EMAIL,
        [to] if isinstance(to, str) else list(to),
        headers=all_headers,
        reply_to=list(options.get("reply_to", ())),
    )
    message.attach_alternative(rendered.html, "text/html")
    for attachment in options.get("attachments", ()):
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def send_email(
    name: str,
    to: str | Sequence[str],
    context: Mapping[str, Any],
    *,
    using: str = "default",
    **options: Unpack[MessageOptions],
) -> SentEmail:
    """Render the message `name` and send it through the mailer `using` (an alias of settings.MAILERS).

    Errors of the mailer (SMTP refused, connection lost) propagate: the calling task decides whether to retry.
    """
    message = make_message(name, to, context, **options)
    message.send(using=using)
    message_id = next(str(value) for key, value in message.extra_headers.items() if key.lower() == "message-id")
    return SentEmail(message_id=message_id, recipients=tuple(message.recipients()))


# ---- The messages ------------------------------------------------------------------------------------------------


def mail_check(to: str) -> SentEmail:
    """A message that only proves the mail path works end to end (templates, mailer, headers)."""
    return send_email("mail-check", to, {"recipient": to})
