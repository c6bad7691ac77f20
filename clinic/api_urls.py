"""The API under /api/v1/: the core routes here, each app's in its own `<app>.api_urls`, included below."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clinic import api

router = DefaultRouter()
router.include_format_suffixes = False  # one URL per resource: no `patients.json` aliases
router.register("patients", api.PatientViewSet, basename="patient")
router.register("chairs", api.ChairViewSet, basename="chair")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL of its own: no inline script (Content-Security-Policy).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    path(
        "patients/<int:patient_pk>/care-team/",
        api.CareTeamViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-care-team",
    ),
    path(
        "patients/<int:patient_pk>/care-team/<int:user_id>/",
        api.CareTeamViewSet.as_view({"delete": "destroy"}),
        name="patient-care-team-member",
    ),
    path("", include("clinic.reminders.api_urls")),
    path("", include("intake.api_urls")),
    path("", include("sessions.api_urls")),
    path("", include("integration.api_urls")),
    path("", include("clinic.reports.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("portal.api_urls")),
    re_path(r"", api.unknown_endpoint),  # last: whatever matched nothing above
]
