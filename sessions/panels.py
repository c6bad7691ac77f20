"""The sessions app's sections on the staff patient page and the portal home (registered in the AppConfig)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clinic import panels
from clinic.models import Patient
from clinic.protocol import Route
from clinic.scoping import sites_of
from clinic.services import current_protocol
from sessions import permissions, queries
from sessions.models import DosingSession, TreatmentCourse
from sessions.preparation import preparation_for
from sessions.services import checkins
from sessions.services import requests as request_services


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    """Upcoming sessions and integration appointments, and the courses: schedules, so front desk sees it too."""
    user = request.user
    return {
        "rows": queries.upcoming_rows(user, patient),
        "courses": TreatmentCourse.objects.filter(patient=patient).order_by("-start_date")[:5],
        "site_tz": patient.site.time_zone,
        "can_book": permissions.can_book(user),
        "can_book_integration": permissions.can_book_integration(user),
    }


def portal_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    upcoming = queries.upcoming_for_patient(patient, limit=5)
    return {"upcoming": upcoming, "site_tz": patient.site.time_zone}


def next_session_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    """The portal home's first section: the next dosing session and how to get ready for it (sessions.preparation:
    the fasting times for that session, escort, what to bring, the address with a map link, the calendar file)."""
    upcoming = [item for item in queries.upcoming_for_patient(patient, limit=10) if isinstance(item, DosingSession)]
    if not upcoming:
        return None
    session = upcoming[0]
    site = session.chair.site
    return {
        "session": session,
        "site": site,
        "preparation": preparation_for(session.start, Route(session.route), current_protocol(site)),
        "address": site.address.replace("\n", ", ").strip(),
        "check_in_open": checkins.pre_visit_open(session),
        "change_asked": request_services.open_request_for(session),
        "checked_in": checkins.pre_visit_of(session),
    }


def today_panel(request: HttpRequest, _patient: None) -> dict[str, Any] | None:
    """The staff home's "Today": each of the user's sites with the day's sessions and integration appointments, and
    what needs the nurse (sessions.chairside)."""
    user = request.user
    days = []
    for site in sites_of(user).order_by("name"):
        day, rows = queries.today_at(user, site)
        days.append({"site": site, "day": day, "rows": rows})
    if not days:
        return None
    return {"days": days, "can_book": permissions.can_book(user)}


def register() -> None:
    """Schedules, not clinical data: shown to front desk too (clinical=False)."""
    from sessions import request_views

    request_views.register()
    panels.register(panels.Panel("sessions", "staff", "staff/sessions/panel.html", staff_panel, 20, clinical=False))
    panels.register(panels.Panel("sessions", "portal", "portal/sessions/panel.html", portal_panel, 20, clinical=False))
    panels.register(
        panels.Panel(
            "next_session", "portal", "portal/sessions/next_session.html", next_session_panel, 5, clinical=False
        )
    )
    panels.register(
        panels.Panel("sessions", "staff_home", "staff/sessions/home_today.html", today_panel, 20, clinical=False)
    )
