"""Kinds of reminder, registered by the apps that own their subjects, so clinic never imports them.

An app registers its kinds in `AppConfig.ready()`, as it registers panels::

    from clinic.reminders import registry

    registry.register(registry.ReminderKind(
        name="dosing_session_48h",
        audience="patient",
        clinical=True,
        subject_type="treatment_sessions.dosingsession",
        lead_time_setting="reminders.dosing_session_first_hours_before",
        email_template="reminders/dosing-session-48h",   # templates/emails/reminders/dosing-session-48h-*.txt/.html
        sms_template="sms/dosing-session-48h.txt",
        build_context=dosing_session_reminder_context,   # (subject_id) -> dict, or None when the session is gone
        attachments=dosing_session_ics,                    # optional: (subject_id, context) -> [Attachment]
    ))

`build_context` runs in the worker just before the send and returns what the templates need (times already in the
patient's time zone, the site's address...). It must return only what a lock screen may show: no diagnosis, dose,
score or clinical note (tests/clinic/reminders/test_message_content.py renders every registered kind with a patient
whose clinical details are planted and fails if any appears).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from clinic.emails import Attachment
    from clinic.protocol import Protocol

Audience = Literal["patient", "staff"]
ContextBuilder = Callable[[int], Mapping[str, Any] | None]


@dataclass(frozen=True)
class ReminderKind:
    """One kind of message.

    - `audience`: "patient" (by the patient's preferred channel) or "staff" (by email to a staff member).
    - `clinical`: a clinical message is sent even to a patient who opted out of non-clinical ones.
    - `lead_time_setting`: the protocol setting, in hours, for how long before the subject starts it is due
      (e.g. "reminders.dosing_session_first_hours_before"); None for kinds given an explicit due time.
    - `quiet_hours`: whether the patient's quiet hours hold it back.
    - `sample_context`: what `build_context` would return, with made-up values, for previews and the content test.
    - `on_sent(subject_id, sent_at)`: called once the send is recorded (e.g. marks a notification delivered).
    """

    name: str
    audience: Audience
    clinical: bool
    subject_type: str
    email_template: str
    build_context: ContextBuilder
    sample_context: Mapping[str, Any]
    sms_template: str | None = None
    lead_time_setting: str | None = None
    quiet_hours: bool = True
    attachments: Callable[[int, Mapping[str, Any]], Sequence[Attachment]] | None = None
    on_sent: Callable[[int, datetime], None] | None = None
    label: str = ""

    def lead_hours(self, protocol: Protocol) -> float | None:
        if self.lead_time_setting is None:
            return None
        value: Any = protocol
        for part in self.lead_time_setting.split("."):
            value = getattr(value, part)
        return float(value)

    @property
    def display(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


_kinds: dict[str, ReminderKind] = {}


def register(kind: ReminderKind) -> None:
    """Add a kind (in AppConfig.ready()). Registering the same name again replaces it (autoreload, tests)."""
    if kind.audience == "staff" and kind.sms_template:
        raise ValueError(f"{kind.name}: messages to staff go by email only")
    if kind.audience == "patient" and not kind.sms_template:
        raise ValueError(f"{kind.name}: a patient reminder needs a text-message template too")
    _kinds[kind.name] = kind


def get(name: str) -> ReminderKind | None:
    return _kinds.get(name)


def all_kinds() -> list[ReminderKind]:
    return sorted(_kinds.values(), key=lambda k: k.name)


def label_of(name: str) -> str:
    """A person's words for the kind `name` (the name itself for a kind no longer registered)."""
    kind = _kinds.get(name)
    return kind.display if kind else name
