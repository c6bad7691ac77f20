from django.urls import include, path

from clinic import care_team_views, invitation_views, notification_views, views

app_name = "staff"

urlpatterns = [
    path("", views.StaffHomeView.as_view(), name="home"),
    path("patients/new/", views.PatientCreateView.as_view(), name="patient_create"),
    path("patients/<int:patient_pk>/", views.PatientDetailView.as_view(), name="patient_detail"),
    path("patients/<int:patient_pk>/invite/", invitation_views.InvitePatientView.as_view(), name="patient_invite"),
    path("patients/<int:patient_pk>/care-team/", care_team_views.CareTeamAddView.as_view(), name="care_team_add"),
    path(
        "patients/<int:patient_pk>/care-team/<int:user_pk>/remove/",
        care_team_views.CareTeamRemoveView.as_view(),
        name="care_team_remove",
    ),
    path("", include("clinic.reminders.staff_urls")),
    path("alerts/", notification_views.NotificationListView.as_view(), name="alerts"),
    path("alerts/<int:pk>/open/", notification_views.OpenNotificationView.as_view(), name="alert_open"),
    path(
        "alerts/<int:pk>/acknowledge/",
        notification_views.AcknowledgeView.as_view(),
        name="alert_acknowledge",
    ),
    path("", include("intake.staff_urls")),
    path("schedule/", include("sessions.staff_urls")),
    path("integration/", include("integration.staff_urls")),
    path("messages/", include("messaging.staff_urls")),
    path("", include("clinic.reports.staff_urls")),
]
