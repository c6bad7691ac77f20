"""Request id, the audit context, and the site's time zone for each request."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from clinic.audit import audit_context
from clinic.http import ClinicRequest
from clinic.security.lockout import client_ip

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Take a well-formed X-Request-ID from the proxy, or make one; echo it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: ClinicRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class AuditContextMiddleware:
    """Bind the signed-in user and request id so that services can audit without being handed the request.

    DRF authenticates token users inside the view, so the API base classes re-bind the context there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        with audit_context(
            user=user,
            request_id=getattr(request, "request_id", None),
            ip_address=client_ip(request),
        ):
            return self.get_response(request)


class SiteTimeZoneMiddleware:
    """Show times in the zone of the user's site (stored in UTC); the clinic's default zone otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        user = request.user
        if user.is_authenticated:
            patient = getattr(user, "patient", None)
            if patient is not None:
                zone = patient.site.time_zone
            else:
                site = user.sites.order_by("id").first()
                zone = site.time_zone if site else None
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
