"""One time format everywhere, in the site's zone (clinic/times.py and its template filters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template, engines

from clinic import clock, times
from clinic.models import Site

UTC = dt.UTC
SUMMER = dt.datetime(2026, 5, 4, 13, 5, tzinfo=UTC)  # 9:05 AM in New York (EDT)
LATE = dt.datetime(2026, 5, 5, 3, 30, tzinfo=UTC)  # still May 4 in Los Angeles (8:30 PM PDT)


def _site(zone: str) -> Site:
    return Site(name="Clock", code="CLK", time_zone=zone)


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        (SUMMER, "America/New_York", "Mon, May 4, 2026, 9:05 AM EDT"),
        (SUMMER.replace(month=1), "America/New_York", "Sun, Jan 4, 2026, 8:05 AM EST"),
        (LATE, "America/Los_Angeles", "Mon, May 4, 2026, 8:30 PM PDT"),
        (LATE, "America/New_York", "Mon, May 4, 2026, 11:30 PM EDT"),
    ],
)
def test_a_time_reads_on_the_sites_clock_with_its_zone(value: dt.datetime, zone: str, expected: str) -> None:
    assert times.site_datetime(value, _site(zone)) == expected


def test_parts_of_a_time_and_dates() -> None:
    site = _site("America/New_York")
    assert times.site_time(SUMMER, site) == "9:05 AM EDT"
    assert times.site_time(SUMMER, site, zone=False) == "9:05 AM"
    assert times.site_date(LATE, _site("America/Los_Angeles")) == "Mon, May 4, 2026"  # the clinic's day
    assert times.site_date(dt.date(1980, 5, 17), weekday=False) == "May 17, 1980"
    assert times.site_datetime(None, site) == times.site_date(None) == times.site_time(None) == ""


def test_the_template_filters_use_the_same_format_and_survive_missing_values() -> None:
    template = Template(
        "{% load site_times %}{{ at|site_datetime:site }}|{{ at|site_time:site }}|{{ at|site_clock:site }}|"
        "{{ at|site_date:site }}|{{ born|site_day }}|{{ stored|parse_day|site_day }}|{{ missing|site_datetime:site }}|"
        "{{ at|site_time:no_site }}"
    )
    rendered = template.render(
        Context(
            {
                "at": SUMMER,
                "site": _site("America/New_York"),
                "born": dt.date(1980, 5, 17),
                "stored": "2025-11-02",
                "no_site": None,
            }
        )
    )
    assert rendered.split("|") == [
        "Mon, May 4, 2026, 9:05 AM EDT",
        "9:05 AM EDT",
        "9:05 AM",
        "Mon, May 4, 2026",
        "May 17, 1980",
        "Nov 2, 2025",
        "",
        times.site_time(SUMMER, None),  # no site: the installation's zone
    ]


def test_emails_read_times_the_same_way() -> None:
    text = engines["text"].from_string("{% load site_times %}Your session: {{ at|site_datetime:site }}")
    assert (
        text.render({"at": SUMMER, "site": _site("America/Chicago")}) == "Your session: Mon, May 4, 2026, 8:05 AM CDT"
    )


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        (Decimal("2.5"), "2 hours 30 minutes"),
        (Decimal("1"), "1 hour"),
        (Decimal("1.0167"), "1 hour 1 minute"),
        (Decimal("0.75"), "45 minutes"),
        (0, "0 minutes"),
        (Decimal("0.0167"), "1 minute"),
        (6, "6 hours"),
        (1.9, "1 hour 54 minutes"),
    ],
)
def test_a_span_of_hours_reads_in_hours_and_minutes(hours: Decimal | float | int, words: str) -> None:
    assert clock.hours_words(hours) == words
