"""Appointments as iCalendar (.ics) files, in the site's time zone (with its VTIMEZONE), for staff and patients.

A calendar file leaves the clinic's system (phones, shared calendars), so it carries as little as it can: the
patient's version names no drug, and the staff version names the patient by MRN only. The UID is stable, so a
downloaded file updates the same event; a cancelled appointment is exported with STATUS:CANCELLED.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import icalendar
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from clinic import audit
from clinic.domain import site_zone
from clinic.models import Site
from sessions.models import AppointmentStatus, DosingSession, IntegrationAppointment, SessionStatus

Audience = Literal["staff", "patient"]
PRODID = "-//Clinic//Appointments//EN"  # neutral: the file may be seen by anyone with the calendar


def _calendar(event: icalendar.Event) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _event(
    *,
    uid: str,
    site: Site,
    start: dt.datetime,
    end: dt.datetime,
    place: str,
    summary: str,
    description: str,
    cancelled: bool,
) -> bytes:
    tz = site_zone(site)
    event = icalendar.Event()
    event.add("uid", f"{uid}@{site.code.lower()}.{slugify(settings.CLINIC_NAME)}")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", end.astimezone(tz))
    event.add("summary", summary)
    event.add("location", ", ".join(part for part in (site.name, place, site.address) if part))
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return _calendar(event)


def session_ics(session: DosingSession, audience: Audience) -> bytes:
    site = session.chair.site
    if audience == "patient":
        summary = f"Treatment session at {site.name}"
        description = (
            "Please follow the fasting instructions your care team gave you, and bring the adult who will take you "
            "home: you may not drive until the next day."
        )
    else:
        summary = f"Dosing session, MRN {session.patient.mrn} ({session.chair.name})"
        description = f"{session.get_route_display()}, with observation and turnover."
    return _event(
        uid=f"session-{session.pk}",
        site=site,
        start=session.start,
        end=session.block_end,
        place=session.chair.name,
        summary=summary,
        description=description,
        cancelled=session.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW, SessionStatus.DEFERRED),
    )


def appointment_ics(appointment: IntegrationAppointment, audience: Audience) -> bytes:
    site = appointment.patient.site
    therapist = appointment.therapist.get_full_name() or "your therapist"
    if audience == "patient":
        summary = f"Integration session with {therapist}"
    else:
        summary = f"Integration session, MRN {appointment.patient.mrn} ({therapist})"
    return _event(
        uid=f"integration-{appointment.pk}",
        site=site,
        start=appointment.start,
        end=appointment.end,
        place=appointment.place,
        summary=summary,
        description=f"{(appointment.end - appointment.start) // dt.timedelta(minutes=1)} minutes at {site.name}.",
        cancelled=appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW),
    )


def download(item: DosingSession | IntegrationAppointment, audience: Audience) -> HttpResponse:
    """The calendar file of a session or appointment the requester may see, as a download that is never cached;
    audited as a read of the patient's record."""
    if isinstance(item, DosingSession):
        body, filename = session_ics(item, audience), f"session-{item.pk}.ics"
    else:
        body, filename = appointment_ics(item, audience), f"integration-session-{item.pk}.ics"
    audit.record(f"sessions.{item._meta.model_name}.calendar", patient=item.patient_id, obj=item,
                 details={"audience": audience})  # fmt: skip
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
