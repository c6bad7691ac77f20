from typing import Any

from django.conf import settings
from django.http import HttpRequest

from clinic.security.middleware import idle_seconds_for


def session_timeout(request: HttpRequest) -> dict[str, Any]:
    """What static/js/session-timeout.js needs to warn before the idle time-out (signed-in pages only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "session_timeout": {
            "idle_seconds": idle_seconds_for(user),
            "warn_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
        }
    }
