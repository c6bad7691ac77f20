"""Reminder endpoints, included under /api/v1/ by clinic/api_urls.py."""

from django.urls import path

from clinic.reminders import api

urlpatterns = [
    path(
        "patients/<int:patient_pk>/reminders/",
        api.PatientReminderViewSet.as_view({"get": "list"}),
        name="patient-reminders",
    ),
    path("reminders/<int:pk>/retry/", api.ReminderViewSet.as_view({"post": "retry"}), name="reminder-retry"),
]
