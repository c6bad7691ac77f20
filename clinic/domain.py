"""Small helpers every service module uses, so each app writes them once: times as the clinic reads them, typed text
and times from a request, role guards, and row locks.

They raise the domain errors of clinic.errors with messages a person reads beside the field.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from clinic.errors import InvalidInput, NotAllowed
from clinic.models import Patient, Site

FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # clocks of tablets and servers differ a little

# --- Time at the site -------------------------------------------------------------------------------------------


def site_zone(site: Site) -> ZoneInfo:
    return ZoneInfo(site.time_zone)


def local_day(site: Site, at: dt.datetime) -> dt.date:
    """The calendar day of `at` at the site (days since an event are counted in the clinic's zone)."""
    return at.astimezone(site_zone(site)).date()


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


# --- Input ------------------------------------------------------------------------------------------------------


def aware(value: dt.datetime, field: str) -> dt.datetime:
    """`value` if it carries its time zone; InvalidInput on `field` otherwise."""
    if timezone.is_naive(value):
        raise InvalidInput({field: "Give the time with its time zone."})
    return value


def past_time(value: dt.datetime | None, field: str, now: dt.datetime) -> dt.datetime:
    """When something happened: `now` if not given; refused if naive or in the future (beyond the clocks' drift)."""
    if value is None:
        return now
    if aware(value, field) > now + FUTURE_TOLERANCE:
        raise InvalidInput({field: "This time is in the future."})
    return value


def text(value: str | None) -> str:
    """Typed text without the blanks around it ("" for None)."""
    return (value or "").strip()


def required_text(value: str | None, field: str, message: str) -> str:
    """Typed text that must not be blank; InvalidInput on `field` with `message` otherwise."""
    stripped = text(value)
    if not stripped:
        raise InvalidInput({field: message})
    return stripped


# --- Roles and locks --------------------------------------------------------------------------------------------


def require(allowed: bool, message: str) -> None:
    """The role guard at the top of a service: NotAllowed (403) with `message` unless `allowed`.

    `allowed` is one of the apps' `can_*` predicates (clinic/scoping.py, intake/permissions.py,
    sessions/permissions.py), the same one the views ask before they offer the action.
    """
    if not allowed:
        raise NotAllowed(message)


def locked[M: models.Model](queryset: QuerySet[M]) -> QuerySet[M]:
    """`queryset` with its rows locked until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL).

    Only the model's own rows: `of=("self",)` keeps a `select_related` (a patient's site, a session's chair) from
    locking those rows too, which would serialize every booking of a site. SQLite ignores row locks: each write
    transaction holds the database's write lock from its start (clinic.config).
    """
    return queryset.select_for_update(of=("self",))


def lock_patient(patient: Patient) -> Patient:
    """Lock the patient's row: serializes the services that decide on the patient's records as a whole (bookings
    and their spacing rules, screenings, consent); the site row stays unlocked."""
    return locked(Patient.objects.select_related("site")).get(pk=patient.pk)
