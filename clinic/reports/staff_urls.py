"""Staff URLs of the reports (namespace staff:reports), included by clinic/staff_urls.py."""

from django.urls import path

from clinic.reports import views

app_name = "reports"

urlpatterns = [
    path("patients/<int:patient_pk>/reports/", views.ReportRequestView.as_view(), name="request"),
    path("reports/attention/", views.ReportsNeedingAttentionView.as_view(), name="attention"),
    path("reports/<int:pk>/", views.ReportStatusView.as_view(), name="status"),
    path("reports/<int:pk>/download/", views.ReportDownloadView.as_view(), name="download"),
    path("reports/<int:pk>/retry/", views.ReportRetryView.as_view(), name="retry"),
]
