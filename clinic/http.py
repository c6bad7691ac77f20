"""The request types of the clinic's views, so that code reading `request.user` knows it holds a `User`.

Django types `request.user` as `User | AnonymousUser`; behind a sign-in check it is always a `User`. Views behind one
(clinic.views.StaffView, portal.views.PortalView) declare `request: AuthedRequest`; API views get
clinic.api.AuthedApiRequest. Every request carries the id that RequestIdMiddleware gives it.
"""

from __future__ import annotations

from django.http import HttpRequest

from clinic.models import User


class ClinicRequest(HttpRequest):
    """Any request that passed the clinic's middleware: it has an id (echoed as X-Request-ID, kept in the audit)."""

    request_id: str


class AuthedRequest(ClinicRequest):
    """A request from a signed-in user (LoginRequiredMixin, or an API permission that requires one)."""

    user: User
