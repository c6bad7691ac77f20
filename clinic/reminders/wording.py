"""Words for appointment times in messages, for the context builders of the apps' reminder kinds.

"You have an appointment at KAP Clinic tomorrow at 9:00 a.m.": the day relative to when the message goes, in the
patient's site time zone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import dateformat


def appointment_when(starts_at: datetime, now: datetime, tz: ZoneInfo) -> dict[str, str]:
    """{"day": "today" | "tomorrow" | "on Thursday, May 7", "time": "9:00 a.m."} in `tz`."""
    local, today = starts_at.astimezone(tz), now.astimezone(tz).date()
    days = (local.date() - today).days
    day = {0: "today", 1: "tomorrow"}.get(days) or "on " + dateformat.format(local, "l, F j")
    return {"day": day, "time": dateformat.format(local, "g:i a")}
