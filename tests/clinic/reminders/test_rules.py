"""clinic/reminders/rules.py: quiet hours, too late, backoff (table-driven, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.reminders.rules import (
    QuietHours,
    SendNow,
    TooLate,
    WaitUntil,
    due_before,
    quiet_hours_end,
    release,
    retry_delay,
)

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
NIGHT = QuietHours(time(21, 0), time(8, 0))  # across midnight
NAP = QuietHours(time(13, 0), time(15, 0))  # within a day


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.mark.parametrize(
    ("at", "quiet", "tz", "expected_end"),
    [
        # across midnight, New York (EST in January)
        (local(NY, 2026, 1, 15, 20, 59), NIGHT, NY, None),
        (local(NY, 2026, 1, 15, 21, 0), NIGHT, NY, local(NY, 2026, 1, 16, 8, 0)),  # the start is inside
        (local(NY, 2026, 1, 15, 23, 30), NIGHT, NY, local(NY, 2026, 1, 16, 8, 0)),
        (local(NY, 2026, 1, 16, 0, 0), NIGHT, NY, local(NY, 2026, 1, 16, 8, 0)),
        (local(NY, 2026, 1, 16, 7, 59), NIGHT, NY, local(NY, 2026, 1, 16, 8, 0)),
        (local(NY, 2026, 1, 16, 8, 0), NIGHT, NY, None),  # the end is not
        (local(NY, 2026, 1, 16, 12, 0), NIGHT, NY, None),
        # within a day
        (local(NY, 2026, 1, 16, 12, 59), NAP, NY, None),
        (local(NY, 2026, 1, 16, 13, 0), NAP, NY, local(NY, 2026, 1, 16, 15, 0)),
        (local(NY, 2026, 1, 16, 15, 0), NAP, NY, None),
        # equal start and end: no quiet hours
        (local(NY, 2026, 1, 16, 3, 0), QuietHours(time(3, 0), time(3, 0)), NY, None),
        # the same instant is quiet in Los Angeles (22:30) and not in New York (01:30 is quiet too, 16:00 is not)
        (datetime(2026, 1, 16, 6, 30, tzinfo=UTC), NIGHT, LA, local(LA, 2026, 1, 16, 8, 0)),
        (datetime(2026, 1, 16, 21, 0, tzinfo=UTC), NIGHT, NY, None),
        (datetime(2026, 1, 16, 21, 0, tzinfo=UTC), NAP, LA, local(LA, 2026, 1, 16, 15, 0)),
        # daylight saving: the night of March 8, 2026 is an hour shorter in New York; the end is 8:00 EDT
        (local(NY, 2026, 3, 7, 22, 0), NIGHT, NY, datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        # and November 1, 2026 an hour longer: 8:00 EST
        (local(NY, 2026, 10, 31, 22, 0), NIGHT, NY, datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_end(at: datetime, quiet: QuietHours, tz: ZoneInfo, expected_end: datetime | None) -> None:
    end = quiet_hours_end(at, quiet, tz)
    assert end == expected_end
    if end is not None:
        assert end.tzinfo == UTC


START = local(NY, 2026, 1, 16, 9, 0)


@pytest.mark.parametrize(
    ("now", "starts_at", "quiet", "applies", "expected"),
    [
        (local(NY, 2026, 1, 16, 7, 0), START, None, True, SendNow()),
        (local(NY, 2026, 1, 16, 7, 0), None, None, True, SendNow()),
        (local(NY, 2026, 1, 16, 9, 0), START, None, True, TooLate()),  # the appointment has begun
        (local(NY, 2026, 1, 16, 10, 0), START, NIGHT, False, TooLate()),
        # inside the quiet hours: wait for their end
        (local(NY, 2026, 1, 14, 22, 0), START, NIGHT, True, WaitUntil(local(NY, 2026, 1, 15, 8, 0))),
        (local(NY, 2026, 1, 14, 22, 0), None, NIGHT, True, WaitUntil(local(NY, 2026, 1, 15, 8, 0))),
        # the 2-hour reminder is exempt
        (local(NY, 2026, 1, 16, 7, 0), START, NIGHT, False, SendNow()),
        # quiet until 8:00, the appointment at 9:00: wait; at 8:00 or earlier: it would be too late
        (local(NY, 2026, 1, 16, 7, 0), START, NIGHT, True, WaitUntil(local(NY, 2026, 1, 16, 8, 0))),
        (local(NY, 2026, 1, 16, 7, 0), local(NY, 2026, 1, 16, 8, 0), NIGHT, True, TooLate()),  # end == start
        (local(NY, 2026, 1, 16, 6, 0), local(NY, 2026, 1, 16, 7, 30), NIGHT, True, TooLate()),
        # outside the quiet hours
        (local(NY, 2026, 1, 15, 12, 0), START, NIGHT, True, SendNow()),
    ],
)
def test_release(
    now: datetime, starts_at: datetime | None, quiet: QuietHours | None, applies: bool, expected: object
) -> None:
    assert release(now, starts_at=starts_at, quiet=quiet, tz=NY, quiet_hours_apply=applies) == expected


@pytest.mark.parametrize(
    ("attempt", "expected_seconds"),
    [(0, 60), (1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (10, 3600), (40, 3600)],
)
def test_retry_delay_doubles_up_to_the_cap(attempt: int, expected_seconds: int) -> None:
    assert retry_delay(attempt, base_seconds=60, cap_seconds=3600) == timedelta(seconds=expected_seconds)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(48, local(NY, 2026, 1, 14, 9, 0)), (2, local(NY, 2026, 1, 16, 7, 0)), (0.5, local(NY, 2026, 1, 16, 8, 30))],
)
def test_due_before(hours: float, expected: datetime) -> None:
    assert due_before(START, hours) == expected
