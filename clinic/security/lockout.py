"""The sign-in lockout (django-axes): the client's address, when a pause ends, and the page that says so.

A username is paused after `LOGIN_FAILURE_LIMIT` failures from one address, for `LOGIN_LOCKOUT_MINUTES`; the same
username from another address is not affected, so a stranger cannot lock a nurse out of the clinic's computers.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from clinic import times

LOCKED_STATUS = 429


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or with REVERSE_PROXY_COUNT proxies in front, the address the outermost
    proxy saw (an X-Forwarded-For entry a client wrote itself is never trusted)."""
    proxies = settings.SECURITY.reverse_proxy_count
    address = request.META.get("REMOTE_ADDR")
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return None


def locked_until(username: str, ip_address: str | None) -> datetime | None:
    """When the pause of `username` from `ip_address` ends, or None when there is none."""
    attempt = AccessAttempt.objects.filter(username=username, ip_address=ip_address).order_by("-attempt_time").first()
    if attempt is None or attempt.failures_since_start < settings.AXES_FAILURE_LIMIT:
        return None
    until: datetime = attempt.attempt_time + settings.AXES_COOLOFF_TIME
    return until if until > timezone.now() else None


def lockout_message(until: datetime | None) -> str:
    """The sentence shown on the page and in the API's answer."""
    if until is None:
        when = "in a few minutes"
    else:
        minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
        local = times.site_time(until)
        when = f"after {local} (in about {minutes} minute{'s' if minutes != 1 else ''})"
    return (
        f"Too many sign-in attempts. Signing in with this username from this device is paused; you can try again "
        f"{when}. If you need to sign in sooner, call {settings.SIGN_IN_HELP}: a clinic administrator can lift the "
        "pause."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page (or, for the API, the JSON answer) given instead of signing in."""
    username = get_client_username(request, credentials) or ""
    until = locked_until(username, getattr(request, "axes_ip_address", None) or client_ip(request))
    message = lockout_message(until)
    retry_after = str(max(1, int((until - timezone.now()).total_seconds()))) if until else "60"
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"code": "locked_out", "detail": message, "retry_after_seconds": int(retry_after)}, status=LOCKED_STATUS
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": message, "until": until, "help": settings.SIGN_IN_HELP},
            status=LOCKED_STATUS,
        )
    response["Retry-After"] = retry_after
    return response
