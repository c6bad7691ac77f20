"""Session lifetimes (idle and absolute), the two-step requirement, and the response headers that keep patient
data out of caches and switch off browser features the clinic never uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from clinic.models import User
from clinic.security import mfa, sessions

BACKGROUND_HEADER = "X-Background-Refresh"  # set by static/js/session-timeout.js on htmx polls
ACTIVITY_WRITE_EVERY_SECONDS = 15


def idle_seconds_for(user: Any) -> int:
    seconds: int = (
        settings.SESSION_IDLE_SECONDS_PATIENT if user.is_patient_user else settings.SESSION_IDLE_SECONDS_STAFF
    )
    return seconds


class SessionPolicyMiddleware:
    """Ends a signed-in session that has been idle too long (15 minutes for staff, 30 for patients by default),
    that is older than SESSION_MAX_HOURS, or that lacks the second step the account requires.

    A background refresh (a page polling every 30 seconds) is not activity: a screen left open still times out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            session = request.session
            now = int(time.time())
            signed_in_at = int(session.setdefault(sessions.SIGNED_IN_AT, now))
            last = int(session.get(sessions.LAST_ACTIVITY, now))
            if now - signed_in_at > settings.SESSION_MAX_SECONDS:
                return self._sign_out(request, "absolute")
            if now - last > idle_seconds_for(user):
                return self._sign_out(request, "idle")
            if mfa.required_for(user) and not user.is_verified():  # type: ignore[attr-defined]  # django-otp's
                return self._sign_out(request, "two-step")
            if (
                not request.headers.get(BACKGROUND_HEADER) and now - last >= ACTIVITY_WRITE_EVERY_SECONDS
            ) or sessions.LAST_ACTIVITY not in session:
                session[sessions.LAST_ACTIVITY] = now
            sessions.touch(request, user)
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        request.signout_reason = reason  # type: ignore[attr-defined]  # read by clinic.auth_audit
        logout(request)
        login = reverse("login")
        if request.path.startswith("/api/") or request.path == reverse("security:keep_alive"):
            return JsonResponse({"code": "signed_out", "detail": "Your session has ended; sign in again."}, status=401)
        query = {"signed_out": reason}
        if request.method == "GET":
            query["next"] = request.get_full_path()
        target = f"{login}?{urlencode(query)}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every answer, and `Cache-Control: no-store` on every answer given to a signed-in
    person (pages, fragments, API answers, downloads). Static files are served before this by WhiteNoise and keep
    their long cache lifetimes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "Authorization" in request.headers:
            response["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        elif "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response
