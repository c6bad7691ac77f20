"""Reminder kinds that tests register (the apps' own kinds arrive with their booking hooks). They use the
templates written for the dosing-session kinds, so those templates are exercised end to end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clinic.reminders import registry

VISIT = "tests.visit"
GONE = 0  # a subject id whose subject no longer exists

VISIT_CONTEXT = {
    "day": "tomorrow",
    "time": "9:00 AM EDT",
    "site_name": "North Test Site",
    "site_address": "1 Example Street, Testville",
    "site_phone": "555-0100",
    "portal_url": "http://localhost:8000/portal/",
    "solids_until": "3:00 AM",
    "clear_liquids_until": "7:00 AM",
    "escort_needed": True,
    "bring": ["a list of your medicines"],
}


def visit_context(subject_id: int) -> Mapping[str, Any] | None:
    return None if subject_id == GONE else VISIT_CONTEXT


def register() -> None:
    common: dict[str, Any] = {
        "audience": "patient",
        "subject_type": VISIT,
        "build_context": visit_context,
        "sample_context": VISIT_CONTEXT,
    }
    registry.register(registry.ReminderKind(
        name="test_visit_48h", clinical=True, lead_time_setting="reminders.dosing_session_first_hours_before",
        email_template="reminders/dosing-session-48h", sms_template="sms/dosing-session-48h.txt", **common,
    ))  # fmt: skip
    registry.register(registry.ReminderKind(
        name="test_visit_2h", clinical=True, lead_time_setting="reminders.dosing_session_second_hours_before",
        email_template="reminders/dosing-session-2h", sms_template="sms/dosing-session-2h.txt", quiet_hours=False,
        **common,
    ))  # fmt: skip
    registry.register(registry.ReminderKind(
        name="test_nudge", clinical=False, email_template="reminders/questionnaire-nudge",
        sms_template="sms/questionnaire-nudge.txt", **{**common, "sample_context": {"link": "http://x.invalid/q"}},
    ))  # fmt: skip
