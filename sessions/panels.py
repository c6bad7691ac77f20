"""The sessions app's sections on the staff patient page and the portal home (registered in the AppConfig)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clinic import panels
from clinic.models import Patient
from sessions import queries, services
from sessions.models import TreatmentCourse


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    """Upcoming sessions and integration appointments, and the courses: schedules, so front desk sees it too."""
    user = request.user
    return {
        "upcoming": queries.upcoming_for_patient(patient),
        "courses": TreatmentCourse.objects.filter(patient=patient).order_by("-start_date")[:5],
        "site_tz": patient.site.time_zone,
        "can_book": services.can_book(user),
        "can_book_integration": services.can_book_integration(user),
    }


def portal_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    upcoming = queries.upcoming_for_patient(patient, limit=5)
    return {"upcoming": upcoming, "site_tz": patient.site.time_zone}


def register() -> None:
    """Schedules, not clinical data: shown to front desk too (clinical=False)."""
    for audience, template, build in (
        ("staff", "staff/sessions/panel.html", staff_panel),
        ("portal", "portal/sessions/panel.html", portal_panel),
    ):
        panels.register(
            panels.Panel(key="sessions", audience=audience, template=template, build=build, order=20, clinical=False)  # type: ignore[arg-type]
        )
