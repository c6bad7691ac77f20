"""Times as the clinic reads them: one format on every page, in messages and in emails, in the site's time zone
(docs/architecture.md, "Times on pages").

The formats follow the application's locale (US English, `LANGUAGE_CODE`): "Mon, May 4, 2026" and "9:05 AM", the
way a browser in that locale shows a time input, so that what a page prints and what a form shows agree. A time
carries its zone ("9:05 AM EDT") where it matters: wherever a reader may be elsewhere (the portal, emails, alerts).
Templates use the filters of clinic/templatetags/site_times.py; Python code (messages, emails) calls these.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import dateformat, timezone

from clinic.models import Site

DATE_FORMAT = "D, M j, Y"  # Mon, May 4, 2026
SHORT_DATE_FORMAT = "M j, Y"  # May 4, 2026 (dates of birth, renewal dates)
TIME_FORMAT = "g:i A"  # 9:05 AM
ZONE_FORMAT = "T"  # EDT


def zone_of(site: Site | None) -> ZoneInfo | dt.tzinfo:
    """The site's time zone; the installation's (TIME_ZONE) for what belongs to no site."""
    return ZoneInfo(site.time_zone) if site is not None else timezone.get_default_timezone()


def at_site(value: dt.datetime, site: Site | None) -> dt.datetime:
    """`value` on the site's clock (a naive value is taken as already on it)."""
    zone = zone_of(site)
    if timezone.is_naive(value):
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)


def site_date(value: dt.date | dt.datetime | None, site: Site | None = None, *, weekday: bool = True) -> str:
    """The day, "Mon, May 4, 2026" (a time is first put on the site's clock, so its day is the clinic's day); "" for
    None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = at_site(value, site)
    return dateformat.format(value, DATE_FORMAT if weekday else SHORT_DATE_FORMAT)


def site_time(value: dt.datetime | None, site: Site | None = None, *, zone: bool = True) -> str:
    """The time, "9:05 AM EDT" ("9:05 AM" with `zone=False`); "" for None."""
    if value is None:
        return ""
    local = at_site(value, site)
    fmt = f"{TIME_FORMAT} {ZONE_FORMAT}" if zone else TIME_FORMAT
    return dateformat.format(local, fmt)


def site_datetime(value: dt.datetime | None, site: Site | None = None, *, zone: bool = True) -> str:
    """Day and time, "Mon, May 4, 2026, 9:05 AM EDT"; "" for None."""
    if value is None:
        return ""
    return f"{site_date(value, site)}, {site_time(value, site, zone=zone)}"
