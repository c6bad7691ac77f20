"""When a reminder may go: quiet hours, too late, and the backoff between attempts. Pure: no Django.

- A reminder about an appointment that has begun is never sent (it would only confuse).
- A patient's quiet hours (local times in the site's time zone, possibly across midnight, e.g. 21:00-08:00) hold
  a reminder back until they end, unless its kind is exempt (the 2-hour reminder before a dosing session: it
  carries the fasting times, and waiting would make it useless); a reminder that would only be released after its
  appointment began is too late.
- Retries after a transient failure wait `base * 2^(attempt - 1)` seconds, at most `cap`.

The reminder timings themselves are protocol settings (clinic/protocol.py, `reminders`; docs/clinical-protocol.md
§8); the retry numbers are operations settings (README, "Configuration").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class SendNow:
    pass


@dataclass(frozen=True, slots=True)
class WaitUntil:
    at: datetime


@dataclass(frozen=True, slots=True)
class TooLate:
    pass


Release = SendNow | WaitUntil | TooLate


def quiet_hours_end(at: datetime, quiet: QuietHours, tz: ZoneInfo) -> datetime | None:
    """If `at` (aware) lies inside the quiet hours in `tz`, the moment they end (in UTC); otherwise None.

    The start is inside, the end is not. Equal start and end mean no quiet hours.
    """
    local = at.astimezone(tz)
    now = local.time().replace(tzinfo=None)
    if quiet.start == quiet.end:
        return None
    if quiet.start < quiet.end:
        if not quiet.start <= now < quiet.end:
            return None
        end_day = local.date()
    else:  # across midnight
        if quiet.end <= now < quiet.start:
            return None
        end_day = local.date() if now < quiet.end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, quiet.end, tzinfo=tz).astimezone(UTC)


def release(
    now: datetime,
    *,
    starts_at: datetime | None,
    quiet: QuietHours | None,
    tz: ZoneInfo,
    quiet_hours_apply: bool,
) -> Release:
    """What to do with a due reminder at `now`: send it, hold it until the quiet hours end, or drop it as too late."""
    if starts_at is not None and now >= starts_at:
        return TooLate()
    if quiet is None or not quiet_hours_apply:
        return SendNow()
    end = quiet_hours_end(now, quiet, tz)
    if end is None:
        return SendNow()
    if starts_at is not None and end >= starts_at:
        return TooLate()
    return WaitUntil(end)


def retry_delay(attempt: int, *, base_seconds: int, cap_seconds: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1, 2, ...) before the next."""
    exponent = max(attempt, 1) - 1
    seconds = base_seconds * 2**exponent if exponent < 32 else cap_seconds
    return timedelta(seconds=min(seconds, cap_seconds))


def due_before(starts_at: datetime, hours: float) -> datetime:
    """The due time of a reminder `hours` before an appointment starting at `starts_at`."""
    return starts_at - timedelta(hours=hours)
