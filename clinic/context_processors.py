from functools import cached_property
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from clinic.models import User
from clinic.notifications import unread_count


class StaffAlerts:
    """The alert count in the staff header, counted (one query) only when a page shows it."""

    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def unread(self) -> int:
        return unread_count(self.user)


def clinic(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"CLINIC_NAME": settings.CLINIC_NAME}
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_staff_member:
        context["staff_alerts"] = StaffAlerts(user)
    return context
