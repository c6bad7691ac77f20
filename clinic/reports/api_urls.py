"""Routes of the reports API, included under /api/v1/ by clinic/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from clinic.reports import api

router = SimpleRouter()
router.register("reports", api.ReportViewSet, basename="report")

urlpatterns = [
    path(
        "patients/<int:patient_pk>/reports/",
        api.PatientReportViewSet.as_view({"post": "create"}),
        name="patient-reports",
    ),
    *router.urls,
]
