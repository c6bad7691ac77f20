"""The request types of the clinic's views, so that code reading `request.user` knows it holds a `User`.

Django types `request.user` as `User | AnonymousUser`; behind a sign-in check it is always a `User`. Views behind one
(clinic.views.StaffView, portal.views.PortalView) declare `request: AuthedRequest`, and the API's viewsets
(clinic.api.ScopedViewSet, behind DRF's IsAuthenticated) `request: AuthedApiRequest`. Every request carries the id
that RequestIdMiddleware gives it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from clinic.models import User


class ClinicRequest(HttpRequest):
    """Any request that passed the clinic's middleware: it has an id (echoed as X-Request-ID, kept in the audit)."""

    request_id: str


class AuthedRequest(ClinicRequest):
    """A request from a signed-in user (LoginRequiredMixin, or an API permission that requires one)."""

    user: User


class AuthedApiRequest(Request):
    """A DRF request from a signed-in user (the API's default permission is IsAuthenticated)."""

    user: User


def user_of(request: HttpRequest | Request) -> User:
    """The signed-in user of a request behind a sign-in check (the admin, a staff or portal view, the API).

    Django types `request.user` as possibly anonymous; where the code runs only for a signed-in user this says so
    once, instead of silencing the type checker at each use. Reaching it without one is a programming error: it
    refuses the request rather than acting as nobody."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user
