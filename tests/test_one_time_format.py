"""One time format everywhere (issue 8, item 12; docs/architecture.md "Times on pages"): templates and Python code
word times only through clinic/times.py (its template filters in clinic/templatetags/site_times.py) and, in the pure
rule modules, clinic/clock.py. These scans keep a second formatter from coming back."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string

from clinic import clock, times
from clinic.models import Site
from clinic.reminders.wording import appointment_when
from sessions.forms import BookingForm

ROOT = Path(__file__).resolve().parent.parent
APPS = ("clinic", "intake", "sessions", "integration", "messaging", "portal", "bench")
NEW_YORK = ZoneInfo("America/New_York")

# A time worded on a page by Django's own filters or tags instead of the site_times filters.
TEMPLATE_FORMATS = re.compile(r"\|\s*(date|time|naturaltime|naturalday)\s*(:|\}|\|)|\{%\s*now\b")
# A time worded in Python by strftime, an f-string format, or Django's formatters.
PYTHON_FORMATS = re.compile(
    r"\.strftime\(|\{[^{}]*:%[a-zA-Z][^{}]*\}|\bdate_format\(|\btime_format\(|dateformat\.format\(|\"%[YmdHMIaAbBZ]"
)

# What may word a time otherwise, and why.
ALLOWED = {
    "clinic/times.py": "the one path: the value of a time input (INPUT_TIME_FORMAT)",
    "clinic/admin_audit.py": "the CSV export's file name (audit-log-20260504-0905.csv), not words on a page",
    "clinic/management/commands/create_api_token.py": "a command-line answer to an administrator, in UTC",
    "clinic/management/commands/backup.py": "a backup file's name",
    "clinic/reports/services.py": "a PDF's file name",
    "clinic/settings.py": "input formats of DRF",
    "integration/forms.py": "the value of a datetime-local input (DATETIME_LOCAL)",
    "sessions/request_views.py": "the value of a datetime-local input (DATETIME_LOCAL)",
    "portal/forms.py": "the value of a datetime-local input (DATETIME_LOCAL)",
    "sessions/api/serializers.py": "input formats of the API",
    "sessions/api/inputs.py": "input formats of the API",
    "clinic/api.py": "the API's date of birth, ISO 8601",
}


def _sources(suffix: str) -> list[Path]:
    found: list[Path] = []
    for app in ("templates", *APPS):
        base = ROOT / app
        found += [p for p in base.rglob(f"*{suffix}") if "migrations" not in p.parts and "static" not in p.parts]
    return found


def test_no_template_words_a_time_with_djangos_date_filters() -> None:
    templates = _sources(".html") + _sources(".txt")
    assert len(templates) > 100  # the scan reaches the templates
    stray = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for path in templates
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TEMPLATE_FORMATS.search(line)
    ]
    assert stray == [], "word times with the site_times filters (site_datetime, site_clock, input_date, ...)"


def test_no_python_code_words_a_time_with_its_own_format() -> None:
    modules = _sources(".py")
    assert len(modules) > 100
    stray = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for path in modules
        if str(path.relative_to(ROOT)) not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PYTHON_FORMATS.search(line)
    ]
    assert stray == [], "word times with clinic.times (or clinic.clock in a pure rule module)"


def test_the_scans_catch_what_they_look_for() -> None:
    assert TEMPLATE_FORMATS.search('{{ session.start|date:"H:i" }}')
    assert TEMPLATE_FORMATS.search("{% now 'H:i' %}")
    assert TEMPLATE_FORMATS.search("{{ grant.expires_at|time }}")
    assert not TEMPLATE_FORMATS.search("{{ session.start|site_clock }} {{ day|input_date }} {{ c.date_of_birth }}")
    assert PYTHON_FORMATS.search('at.strftime("%H:%M")')
    assert PYTHON_FORMATS.search('f"{value:%Y-%m-%d}"')
    assert not PYTHON_FORMATS.search('f"{times.site_time(value, site)} {count:>3}"')


def test_clock_words_agree_with_the_site_times() -> None:
    site = Site(name="Clock", code="CLK", time_zone="America/New_York")
    moment = dt.datetime(2026, 5, 4, 17, 5, tzinfo=dt.UTC)
    assert clock.on_clock(moment, NEW_YORK) == times.site_datetime(moment, site) == "Mon, May 4, 2026, 1:05 PM EDT"
    assert clock.clock_words(dt.time(0, 30)) == "12:30 AM"
    assert clock.clock_words(dt.time(12, 0)) == "12:00 PM"
    assert times.input_date(moment, site) == "2026-05-04"
    assert times.input_time(moment, site) == "13:05"


def test_reminders_word_the_appointment_as_pages_do() -> None:
    now = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)
    assert appointment_when(dt.datetime(2026, 5, 5, 13, 0, tzinfo=dt.UTC), now, NEW_YORK) == {
        "day": "tomorrow",
        "time": "9:00 AM EDT",
    }
    assert appointment_when(dt.datetime(2026, 5, 7, 19, 30, tzinfo=dt.UTC), now, NEW_YORK) == {
        "day": "on Thu, May 7, 2026",
        "time": "3:30 PM EDT",
    }


def test_a_time_input_holds_what_the_slot_buttons_show() -> None:
    """A slot button reads "9:05 AM" and links ?time=09:05; the time input shows 09:05 (no seconds, which a browser
    would show as "9:05:00 AM")."""
    form = BookingForm(initial={"time": dt.time(9, 5)}, chairs=Site.objects.none(), prescribers=Site.objects.none())  # type: ignore[arg-type]
    assert 'value="09:05"' in str(form["time"])


@pytest.mark.django_db
def test_the_reminder_texts_read_the_same_words(world: object) -> None:
    now = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    words = appointment_when(dt.datetime(2026, 5, 5, 13, 0, tzinfo=dt.UTC), now, NEW_YORK)
    text = render_to_string("sms/dosing-session-2h.txt", {"clinic_name": "KAP Clinic", **words}, using="text")
    assert "tomorrow at 9:00 AM EDT" in text
