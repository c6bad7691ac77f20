"""Times on pages, one format everywhere, in the site's zone (clinic/times.py; docs/architecture.md, "Times on
pages"):

    {% load site_times %}
    {{ session.start|site_datetime:site }}      Mon, May 4, 2026, 9:05 AM EDT
    {{ session.start|site_time:site }}          9:05 AM EDT
    {{ session.start|site_clock:site }}         9:05 AM (beside a date or a heading that already gives the zone)
    {{ screening.screened_at|site_date:site }}  Mon, May 4, 2026
    {{ patient.date_of_birth|site_day }}        May 4, 1980 (a calendar date: no zone, no weekday)
    {{ "2026-05-04"|parse_day|site_day }}       a date stored as text (JSON fields)
    {{ day|input_date:site }}                   2026-05-04 (the value of a date input, a URL's ?date=)
    {{ start|input_time:site }}                 09:05 (the value of a time input, a slot's ?time=)

`site` is a clinic.models.Site, or nothing for the zone in effect (the reader's site, a `{% timezone %}` block, or
the installation's).
"""

from __future__ import annotations

import datetime as dt

from django import template

from clinic import times
from clinic.models import Site

register = template.Library()


def _moment(value: object) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None


def _site(site: object) -> Site | None:
    return site if isinstance(site, Site) else None  # a missing site reads the installation's zone


def _day(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None  # a datetime is a date too


@register.filter
def site_datetime(value: object, site: object = None) -> str:
    return times.site_datetime(_moment(value), _site(site))


@register.filter
def site_time(value: object, site: object = None) -> str:
    return times.site_time(_moment(value), _site(site))


@register.filter
def site_clock(value: object, site: object = None) -> str:
    return times.site_time(_moment(value), _site(site), zone=False)


@register.filter
def site_date(value: object, site: object = None) -> str:
    return times.site_date(_day(value), _site(site))


@register.filter
def site_day(value: object, site: object = None) -> str:
    return times.site_date(_day(value), _site(site), weekday=False)


@register.filter
def parse_day(value: object) -> dt.date | None:
    """A date stored as ISO text ("2026-05-04"), as a date; None when it is not one."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


@register.filter
def input_date(value: object, site: object = None) -> str:
    return times.input_date(_day(value), _site(site))


@register.filter
def input_time(value: object, site: object = None) -> str:
    moment = value if isinstance(value, dt.datetime | dt.time) else None
    return times.input_time(moment, _site(site))
