"""Secure messages on the staff patient page, the staff home (unread patients' messages) and the portal home (unread
messages from the care team), registered in MessagingConfig.ready through clinic.panels."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from clinic import panels
from clinic.models import Patient
from clinic.scoping import is_active_user
from messaging import services
from messaging.permissions import can_message_as_staff, is_own_patient


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    user = request.user
    if not is_active_user(user) or not can_message_as_staff(user, patient):
        return None
    rows = services.threads_of(user, patient)
    return {
        "rows": rows[:5],
        "more": len(rows) > 5,
        "unread": sum(row.unread for row in rows),
        "threads_url": reverse("staff:messaging:threads", args=[patient.pk]),
        "site": patient.site,
    }


def home_panel(request: HttpRequest, _patient: None) -> dict[str, Any] | None:
    user = request.user
    if not is_active_user(user) or not can_message_as_staff(user):
        return None
    rows = services.staff_unread_threads(user)
    if not rows:
        return None
    return {"rows": rows, "unread": sum(row.unread for row in rows)}


def portal_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    user = request.user
    if not is_active_user(user) or not is_own_patient(user, patient):
        return None
    return {"unread": services.unread_for_patient(user, patient), "messages_url": reverse("portal:messages")}


def register() -> None:
    panels.register(panels.Panel("messaging", "staff", "staff/messaging/panel.html", staff_panel, 25))
    panels.register(panels.Panel("messaging", "staff_home", "staff/messaging/home.html", home_panel, 3))
    panels.register(panels.Panel("messaging", "portal", "portal/messages/panel.html", portal_panel, 15))
