"""Request id, the audit context, and the site's time zone for each request."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from clinic import audit
from clinic.audit import audit_context
from clinic.http import ClinicRequest
from clinic.security.lockout import client_ip
from clinic.shared_reads import shared_reads

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
    """Bind the signed-in user and request id so that services can audit without being handed the request, and
    append the request's read entries in one go when the view has answered (clinic.audit.one_append_per_request).

    DRF authenticates token users inside the view, so the API base classes re-bind the context there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        with (
            audit_context(user=user, request_id=getattr(request, "request_id", None), ip_address=client_ip(request)),
            audit.one_append_per_request(),
        ):
            return self.get_response(request)


REFUSALS = frozenset({403, 404})
GUARDED_PREFIXES = ("/staff/", "/portal/", "/api/v1/")
AREA = {"/staff/": "staff", "/portal/": "portal", "/api/v1/": "api"}


class RefusalAuditMiddleware:
    """Record every refused request of a signed-in person to the staff pages, the portal and the API (an answer 403
    or 404 from a view the URL resolved to) as one `clinic.access.denied` entry: with the patient whose record was
    asked for when a scoped lookup found it exists (clinic.audit.note_refused) or the URL names an existing patient.
    The admin records its own refusals (clinic.admin_base); a URL that resolves to nothing is no attempt on a
    record. Anonymous requests are sent to sign in (or answered 401) and never reach a record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit.refusal_notes() as notes:
            response = self.get_response(request)
        if response.status_code in REFUSALS and request.path.startswith(GUARDED_PREFIXES):
            self._record(request, response, notes)
        return response

    def _record(self, request: HttpRequest, response: HttpResponse, notes: list[int]) -> None:
        from clinic.api import unknown_endpoint
        from clinic.models import Patient

        user = request.user  # DRF writes a token's user here once it has authenticated it
        match = request.resolver_match
        if not user.is_authenticated or match is None or match.func is unknown_endpoint:
            return
        from clinic.scoping import patients_visible_to

        patients: list[int | None] = list(notes)
        named = str(match.kwargs.get("patient_pk") or "")
        if not patients and named.isdigit():
            if response.status_code == 404 and patients_visible_to(user).filter(pk=int(named)).exists():
                return  # the patient is theirs to see: what they asked for does not exist (no plan yet, say)
            if Patient.objects.filter(pk=int(named)).exists():
                patients = [int(named)]
        details = {
            "via": next(area for prefix, area in AREA.items() if request.path.startswith(prefix)),
            "path": request.path,
            "method": request.method,
            "status": response.status_code,
        }
        for patient_id in patients or [None]:
            audit.record("clinic.access.denied", patient=patient_id, details=details, actor=user)


class SharedReadsMiddleware:
    """A request that only reads (GET, HEAD) reads what its panels share once (clinic.shared_reads)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with shared_reads():
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
