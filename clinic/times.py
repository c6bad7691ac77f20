"""Times as the clinic reads them: one format on every page, in messages and in emails, in the site's time zone
(docs/architecture.md, "Times on pages").

The formats follow the application's locale (US English, `LANGUAGE_CODE`): "Mon, May 4, 2026" and "9:05 AM", the
way a browser in that locale shows a time input, so that what a page prints and what a form shows agree. A time
carries its zone ("9:05 AM EDT") where it matters: wherever a reader may be elsewhere (the portal, emails, alerts).
Templates use the filters of clinic/templatetags/site_times.py; Python code (messages, emails) calls these; the
words themselves come from clinic/clock.py, which the pure rule modules call directly.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from clinic import clock
from clinic.models import Site

type Where = Site | dt.tzinfo | None
"""Whose clock: a site, a time zone (what has only a zone's name, such as an audit entry), or None (see zone_of)."""


def zone_of(site: Where) -> ZoneInfo | dt.tzinfo:
    """The site's time zone (a zone given as such is used as it is); for what belongs to no site, the zone in
    effect: the reader's site during a request (clinic.middleware.SiteTimeZoneMiddleware, or a `{% timezone %}`
    block), the installation's (TIME_ZONE) in tasks and emails."""
    if isinstance(site, dt.tzinfo):
        return site
    return ZoneInfo(site.time_zone) if site is not None else timezone.get_current_timezone()


def at_site(value: dt.datetime, site: Where) -> dt.datetime:
    """`value` on the site's clock (a naive value is taken as already on it)."""
    zone = zone_of(site)
    if timezone.is_naive(value):
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def site_date(value: dt.date | dt.datetime | None, site: Where = None, *, weekday: bool = True) -> str:
    """The day, "Mon, May 4, 2026" (a time is first put on the site's clock, so its day is the clinic's day); "" for
    None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = at_site(value, site)
    return clock.day_words(value, weekday=weekday)


def site_time(value: dt.datetime | None, site: Where = None, *, zone: bool = True) -> str:
    """The time, "9:05 AM EDT" ("9:05 AM" with `zone=False`); "" for None."""
    if value is None:
        return ""
    return clock.clock_words(at_site(value, site), zone=zone)


def site_datetime(value: dt.datetime | None, site: Where = None, *, zone: bool = True) -> str:
    """Day and time, "Mon, May 4, 2026, 9:05 AM EDT"; "" for None."""
    if value is None:
        return ""
    return f"{site_date(value, site)}, {site_time(value, site, zone=zone)}"


# --- Machine values ---------------------------------------------------------------------------------------------
# What an <input type="date"> or <input type="time"> holds and what a URL carries: the HTML standard's ISO forms,
# which the browser then shows in the reader's locale ("9:05 AM"), the same words as the page around it.


INPUT_DATE_FORMAT = "%Y-%m-%d"
INPUT_TIME_FORMAT = "%H:%M"  # no seconds: a browser would show "9:05:00 AM" beside slot buttons reading "9:05 AM"


def date_input(**attrs: object) -> forms.DateInput:
    """The widget of every date field: the browser's date picker, holding "2026-05-04"."""
    return forms.DateInput(attrs={"type": "date", **attrs}, format=INPUT_DATE_FORMAT)


def time_input(**attrs: object) -> forms.TimeInput:
    """The widget of every time field: the browser's time picker, holding "09:05", shown as "9:05 AM"."""
    return forms.TimeInput(attrs={"type": "time", **attrs}, format=INPUT_TIME_FORMAT)


def input_date(value: dt.date | dt.datetime | None, site: Where = None) -> str:
    """The day as a date input holds it, "2026-05-04" (a time's day on the site's clock); "" for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = at_site(value, site).date()
    return value.isoformat()


def input_time(value: dt.datetime | dt.time | None, site: Where = None) -> str:
    """The time as a time input holds it, "09:05" (on the site's clock); "" for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = at_site(value, site).time()
    return value.strftime(INPUT_TIME_FORMAT)
