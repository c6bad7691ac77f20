"""Words for appointment times in messages, for the context builders of the apps' reminder kinds.

"You have an appointment at KAP Clinic tomorrow at 9:00 AM EDT": the day relative to when the message goes, the time
as every page and email shows one (clinic/times.py), on the patient's site's clock and with its zone, since the
message may be read elsewhere.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from clinic import times


def appointment_when(starts_at: datetime, now: datetime, tz: tzinfo) -> dict[str, str]:
    """{"day": "today" | "tomorrow" | "on Thu, May 7, 2026", "time": "9:00 AM EDT"} on the clock of `tz`."""
    local, today = starts_at.astimezone(tz), now.astimezone(tz).date()
    days = (local.date() - today).days
    day = {0: "today", 1: "tomorrow"}.get(days) or "on " + times.site_date(local, tz)
    return {"day": day, "time": times.site_time(local, tz)}
