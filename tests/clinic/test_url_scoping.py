"""Every URL that can reach patient data goes through the scoping helper's base classes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, path
from django.views import View

from clinic import views
from clinic.api import ScopedViewSet
from clinic.views import StaffView
from portal.views import PortalView

# Views that serve no patient data at all, by dotted name. Adding to this list needs a reason.
NO_PATIENT_DATA = {
    "clinic.views.home",  # redirect by role
    "clinic.views.healthz",  # SELECT 1
    "django.views.generic.base.RedirectView",
    "drf_spectacular.views.SpectacularAPIView",  # schema
    "drf_spectacular.views.SpectacularSwaggerSplitView",  # docs page and its script
    "rest_framework.routers.APIRootView",
    "clinic.api.unknown_endpoint",  # the API's JSON 404 for a URL that matched nothing
}
# Sign-in, sign-out, password reset; two-step sign-in, one's own devices and API tokens (clinic.security).
AUTH_VIEWS_PREFIX = (
    "django.contrib.auth.views.",
    "clinic.security.views.",
    "clinic.security.account_views.",
    "clinic.security.api.",
    "portal.invitation_views.",  # a portal invitation's link: set one's first password (clinic/invitations.py)
)


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # the admin is guarded by ClinicAdminSite.has_permission (tests/clinic/test_admin.py)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _view_class(callback: Any) -> Any:
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _dotted(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _offenders(patterns: list[Any]) -> list[str]:
    offenders = []
    for route, callback in _walk(patterns):
        cls = _view_class(callback)
        name = _dotted(cls) if cls is not None else _dotted(callback)
        if name in NO_PATIENT_DATA or name.startswith(AUTH_VIEWS_PREFIX):
            continue
        if cls is not None and issubclass(cls, ScopedViewSet | StaffView | PortalView):
            continue
        offenders.append(f"{route} -> {name}")
    return offenders


def test_every_url_is_scoped_or_declared_free_of_patient_data() -> None:
    offenders = _offenders(get_resolver().url_patterns)
    assert offenders == [], "views that bypass clinic.scoping:\n" + "\n".join(offenders)


def test_the_walk_sees_the_known_endpoints() -> None:
    routes = {route for route, _ in _walk(get_resolver().url_patterns)}
    assert any(r.startswith("api/v1/") and "patients" in r for r in routes)
    assert "staff/patients/<int:patient_pk>/" in routes


def rogue_view(request: Any) -> None:  # pragma: no cover - never called
    return None


class RogueView(View):
    pass


def test_views_outside_the_scoped_bases_are_caught() -> None:
    patterns = [
        path("rogue/<int:pk>/", rogue_view),
        path("also-rogue/", RogueView.as_view()),
        path("fine/", views.healthz),
        path("scoped/<int:patient_pk>/", views.PatientDetailView.as_view()),
    ]
    assert _offenders(patterns) == [
        "rogue/<int:pk>/ -> tests.clinic.test_url_scoping.rogue_view",
        "also-rogue/ -> tests.clinic.test_url_scoping.RogueView",
    ]
