"""Course and scheduling rules (clinical protocol §3, "Course and scheduling").

Pure Python, no Django import. How long a dosing session blocks its chair, the dates of a proposed course, and
the two spacing rules between one patient's dosing sessions: at least `min_interval_hours` between starts and
at most `max_sessions_rolling_7_days` in any rolling 7 days. Every number comes from the protocol or the
course template; datetimes must be timezone-aware, and the datetimes returned are in UTC.

Decisions where section 3 leaves room:

- The minimum interval is elapsed time (48 h means 48 real hours), so across the spring daylight-saving change
  Saturday 09:00 to Monday 09:00 is 47 h and too short; `propose_course` says so rather than move a session.
- The rolling 7 days are measured on the clinic's wall clock (`tz`): the window [t, t + 7 days) where "+ 7
  days" keeps the local time. Measured in UTC, a twice-weekly Monday/Thursday course would break the limit
  every spring (Monday 09:00 EST to Monday 09:00 EDT is only 167 h). Callers pass the site's time zone; the
  default, UTC, is the stricter reading.
- A course keeps its local wall-clock time across daylight-saving changes. A local time that does not exist on
  a date (clocks moving forward) is refused; a time that occurs twice (clocks moving back) is its first
  occurrence.
- Weeks of a course are the 7-day blocks from `start_date`. In each block the course takes the first N
  requested weekdays in date order, N being the template's sessions per week, or the phase's for a template
  with `phases` (weeks, sessions per week); once the phases are used up the last phase's rate continues until
  the template's number of sessions is reached. `within_days` counts from the first session's date to the
  last's.
- Without a duration, a route's dosing time is its default infusion duration, else its hold time, else 0 (an
  IM bolus, the esketamine device).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

from clinic import clock
from clinic.protocol import CourseTemplate, Protocol, Route

__all__ = [
    "DAYS_PER_WEEK",
    "SchedulingError",
    "Violation",
    "ViolationCode",
    "chair_block_minutes",
    "check_interval",
    "check_weekly_limit",
    "course_weekly_counts",
    "free_starts",
    "propose_course",
]

DAYS_PER_WEEK = 7
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

ViolationCode = Literal["interval_too_short", "weekly_limit"]


class SchedulingError(ValueError):
    """A course or booking the rules refuse. `code`: invalid_weekdays, invalid_time, invalid_template,
    not_enough_weekdays, nonexistent_local_time, within_days_exceeded, interval_too_short, weekly_limit."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken spacing rule: `conflicting_starts` (UTC) are the other sessions involved."""

    code: ViolationCode
    message: str
    conflicting_starts: tuple[datetime, ...]


def chair_block_minutes(route: Route | str, duration_min: int | None, protocol: Protocol) -> int:
    """Minutes a dosing session blocks its chair: dosing + the route's minimum observation + turnover
    (clinical protocol §3; IV default 40 + 30 + 15 = 85, esketamine 0 + 120 + 15 = 135)."""
    config = protocol.dosing.routes[Route(route)]
    if duration_min is not None:
        dosing_min = duration_min
    elif config.default_duration_min is not None:
        dosing_min = config.default_duration_min
    elif config.hold_min is not None:
        dosing_min = config.hold_min
    else:
        dosing_min = 0
    if dosing_min < 0:
        raise ValueError(f"duration_min must not be negative, got {dosing_min}")
    return dosing_min + config.observation_min + protocol.scheduling.turnover_min


def check_interval(
    existing_starts: Iterable[datetime],
    new_start: datetime,
    min_interval_hours: int,
    *,
    tz: tzinfo = UTC,
) -> Violation | None:
    """At least `min_interval_hours` of elapsed time between the starts of two dosing sessions of one patient,
    before or after the new one (clinical protocol §3). `tz` only sets how times are shown."""
    new = _utc(new_start, "new_start")
    minimum = timedelta(hours=min_interval_hours)
    gaps = sorted((abs(start - new), start) for start in _utcs(existing_starts))
    too_close = [(gap, start) for gap, start in gaps if gap < minimum]
    if not too_close:
        return None
    gap, nearest = too_close[0]
    return Violation(
        "interval_too_short",
        f"{_show(new, tz)} is only {_hours_minutes(gap)} from the dosing session at {_show(nearest, tz)}; "
        f"at least {clock.hours_words(min_interval_hours)} are required between the starts of two dosing sessions.",
        tuple(sorted(start for _, start in too_close)),
    )


def check_weekly_limit(
    existing_starts: Iterable[datetime],
    new_start: datetime,
    max_in_rolling_7_days: int,
    *,
    tz: tzinfo = UTC,
) -> Violation | None:
    """At most `max_in_rolling_7_days` dosing sessions in any rolling 7 days that contain the new one
    (clinical protocol §3). Windows are [t, t + 7 days) on the wall clock of `tz` (see module doc)."""
    new = _utc(new_start, "new_start")
    new_wall = _wall(new, tz)
    week = timedelta(days=DAYS_PER_WEEK)
    existing = sorted((_wall(start, tz), start) for start in _utcs(existing_starts))
    # The fullest window holding the new session starts at a session between new - 7 days and new.
    window_starts = sorted({new_wall, *(wall for wall, _ in existing if new_wall - week < wall <= new_wall)})
    for window_start in window_starts:
        others = tuple(start for wall, start in existing if window_start <= wall < window_start + week)
        if len(others) + 1 > max_in_rolling_7_days:
            listed = ", ".join(_show(start, tz) for start in sorted((*others, new)))
            return Violation(
                "weekly_limit",
                f"{len(others) + 1} dosing sessions within 7 days ({listed}); at most "
                f"{max_in_rolling_7_days} are allowed in any rolling 7 days.",
                others,
            )
    return None


def course_weekly_counts(template: CourseTemplate) -> list[int]:
    """Sessions in each week of a course: the phases' rates week by week, then the last rate (or the
    template's `sessions_per_week` when it has no phases) until the template's number of sessions is
    reached."""
    rates = [per_week for weeks, per_week in template.phases for _ in range(weeks)]
    tail_rate = rates[-1] if rates else template.sessions_per_week
    if any(rate < 0 for rate in rates) or tail_rate < 1:
        raise SchedulingError(
            "invalid_template",
            f"{template.label}: sessions per week must not be negative and the last phase needs at least one.",
        )
    counts: list[int] = []
    remaining = template.sessions
    while remaining > 0:
        week = len(counts)
        count = min(rates[week] if week < len(rates) else tail_rate, remaining)
        counts.append(count)
        remaining -= count
    return counts


def propose_course(
    template: CourseTemplate,
    start_date: date,
    weekdays: tuple[int, ...],
    local_time: time,
    tz: ZoneInfo,
    protocol: Protocol,
) -> list[datetime]:
    """Propose the dosing-session starts of a course (clinical protocol §3), as UTC datetimes that keep
    `local_time` in `tz` across daylight-saving changes. `weekdays` are 0 = Monday ... 6 = Sunday.

    Raises `SchedulingError` when the weekdays cannot satisfy the template: too few weekdays for its sessions
    per week, sessions closer than the minimum interval (e.g. Monday + Tuesday), more than the rolling-7-day
    limit (the template's own, else the protocol's), or a course longer than the template's `within_days`.
    """
    if not weekdays or len(set(weekdays)) != len(weekdays) or any(d not in range(DAYS_PER_WEEK) for d in weekdays):
        raise SchedulingError(
            "invalid_weekdays",
            "Choose one or more different weekdays, Monday to Sunday.",
        )
    if local_time.tzinfo is not None:
        raise SchedulingError("invalid_time", "give the local wall-clock time without a time zone; tz sets the zone")
    counts = course_weekly_counts(template)
    if len(weekdays) < max(counts):
        raise SchedulingError(
            "not_enough_weekdays",
            f"{template.label} needs {max(counts)} sessions in a week; {_weekdays(len(weekdays))} given "
            f"({', '.join(_WEEKDAY_NAMES[d] for d in sorted(weekdays))}): choose more weekdays.",
        )

    dates: list[date] = []
    for week, count in enumerate(counts):
        block = (start_date + timedelta(days=week * DAYS_PER_WEEK + offset) for offset in range(DAYS_PER_WEEK))
        dates.extend([day for day in block if day.weekday() in weekdays][:count])
    if template.within_days is not None and (dates[-1] - dates[0]).days >= template.within_days:
        raise SchedulingError(
            "within_days_exceeded",
            f"{template.label} must fit within {template.within_days} days; these weekdays take "
            f"{(dates[-1] - dates[0]).days + 1} days ({clock.day_words(dates[0])} to {clock.day_words(dates[-1])}): "
            "choose weekdays closer together.",
        )

    starts = [_local_start(day, local_time, tz) for day in dates]
    scheduling = protocol.scheduling
    weekly_limit = template.max_sessions_rolling_7_days or scheduling.max_sessions_rolling_7_days
    for index, start in enumerate(starts):
        earlier = starts[:index]
        violation = check_interval(earlier, start, scheduling.min_interval_hours, tz=tz) or check_weekly_limit(
            earlier, start, weekly_limit, tz=tz
        )
        if violation is not None:
            raise SchedulingError(violation.code, violation.message)
    return starts


def free_starts(
    busy: Iterable[tuple[datetime, datetime]],
    window_start: datetime,
    window_end: datetime,
    block_minutes: int,
    step_minutes: int,
) -> list[datetime]:
    """Suggested starts for booking (not a rule: the booking service decides): every `step_minutes` from
    `window_start` whose block [start, start + `block_minutes`) ends by `window_end` and overlaps none of the
    `busy` [start, end) ranges. Returned in UTC."""
    if block_minutes <= 0 or step_minutes <= 0:
        raise ValueError("block_minutes and step_minutes must be positive")
    first = _utc(window_start, "window_start")
    last_end = _utc(window_end, "window_end")
    taken = sorted((_utc(start, "busy"), _utc(end, "busy")) for start, end in busy)
    block = timedelta(minutes=block_minutes)
    starts: list[datetime] = []
    at = first
    while at + block <= last_end:
        if not any(start < at + block and at < end for start, end in taken):
            starts.append(at)
        at += timedelta(minutes=step_minutes)
    return starts


def _weekdays(count: int) -> str:
    return "1 weekday" if count == 1 else f"{count} weekdays"


def _local_start(day: date, local_time: time, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, local_time, tzinfo=tz)
    start = local.astimezone(UTC)
    if start.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise SchedulingError(
            "nonexistent_local_time",
            f"{clock.clock_words(local_time)} does not exist on {clock.day_words(day)} at this site (the clocks "
            "move forward); choose another time.",
        )
    return start


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _utcs(values: Iterable[datetime]) -> list[datetime]:
    return [_utc(value, "existing_starts") for value in values]


def _wall(value: datetime, tz: tzinfo) -> datetime:
    """Local wall-clock time as a naive datetime, for calendar arithmetic that keeps the local time."""
    return value.astimezone(tz).replace(tzinfo=None)


def _show(value: datetime, tz: tzinfo) -> str:
    return clock.on_clock(value, tz)


def _hours_minutes(gap: timedelta) -> str:
    minutes = gap // timedelta(minutes=1)
    return f"{minutes // 60} h {minutes % 60} min"
