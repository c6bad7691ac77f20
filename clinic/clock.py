"""The words of a time, without Django: the one format of docs/architecture.md "Times on pages", for the pure rule
modules (refusals of scheduling, monitoring's REMS items, chart axes) and for clinic/times.py, which puts a time on
a site's clock and then words it here. No Django import (the pure-rules contract, pyproject.toml).

    day_words(date(2026, 5, 4))                        "Mon, May 4, 2026"
    day_words(date(1980, 5, 4), weekday=False)         "May 4, 1980"
    clock_words(datetime(..., 9, 5, tzinfo=NY))        "9:05 AM EDT"    (zone=False: "9:05 AM")
    moment_words(datetime(..., tzinfo=NY))             "Mon, May 4, 2026, 9:05 AM EDT"
    hours_words(Decimal("2.5"))                        "2 hours 30 minutes"
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_words(value: dt.date, *, weekday: bool = True) -> str:
    """ "Mon, May 4, 2026" ("May 4, 2026" without the weekday); a datetime is taken on its own clock."""
    day = f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"
    return f"{_WEEKDAYS[value.weekday()]}, {day}" if weekday else day


def month_day(value: dt.date) -> str:
    """ "May 4", for a chart's axis of days."""
    return f"{_MONTHS[value.month - 1]} {value.day}"


def clock_words(value: dt.datetime | dt.time, *, zone: bool = True) -> str:
    """ "9:05 AM EDT" on the value's own clock ("9:05 AM" with `zone=False` or for a time without a zone)."""
    hour = value.hour % 12 or 12
    words = f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
    name = value.tzname() if zone else None
    return f"{words} {name}" if name else words


def moment_words(value: dt.datetime, *, zone: bool = True) -> str:
    """ "Mon, May 4, 2026, 9:05 AM EDT" on the value's own clock."""
    return f"{day_words(value)}, {clock_words(value, zone=zone)}"


def on_clock(value: dt.datetime, tz: dt.tzinfo) -> str:
    """`value` on the clock of `tz`, as moment_words gives it."""
    return moment_words(value.astimezone(tz))


def hours_words(hours: Decimal | float | int) -> str:
    """A span of hours as a nurse says it, to the minute: "2 hours 30 minutes", "1 hour", "45 minutes"."""
    minutes = int((Decimal(str(hours)) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    whole, rest = divmod(minutes, 60)
    parts = [f"{whole} hour{'s' if whole != 1 else ''}"] if whole else []
    if rest or not whole:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)
