from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from clinic import api

router = DefaultRouter()
router.register("patients", api.PatientViewSet, basename="patient")
router.register("chairs", api.ChairViewSet, basename="chair")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL of its own: no inline script (Content-Security-Policy).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    path("", include("clinic.reminders.api_urls")),
    path("", include("intake.api_urls")),
    path("", include("sessions.api_urls")),
    path("", include("integration.api_urls")),
    path("", include("clinic.reports.api_urls")),
]
