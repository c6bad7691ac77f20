from django.urls import path

from clinic.reminders import views

# Included inside the "staff" namespace by clinic/staff_urls.py.
urlpatterns = [
    path("operations/", views.OperationsView.as_view(), name="operations"),
    path("operations/reminders/<int:pk>/retry/", views.RetryReminderView.as_view(), name="reminder_retry"),
    path("notifications/<int:pk>/", views.NotificationOpenView.as_view(), name="notification_open"),
    path(
        "patients/<int:patient_pk>/reminder-preferences/",
        views.ReminderPreferencesView.as_view(),
        name="reminder_preferences",
    ),
]
