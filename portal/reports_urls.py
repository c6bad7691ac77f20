"""The patient's documents (PDF reports), included by portal/urls.py under /portal/reports/."""

from django.urls import path

from portal import reports_views

urlpatterns = [
    path("", reports_views.MyReportsView.as_view(), name="reports"),
    path("<int:pk>/", reports_views.ReportStatusView.as_view(), name="report_status"),
    path("<int:pk>/download/", reports_views.ReportDownloadView.as_view(), name="report_download"),
]
