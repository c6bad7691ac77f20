from django.urls import include, path

from portal import invitation_views, messages_views, profile_views, reminder_views, sessions_views, views

app_name = "portal"

urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="home"),
    path("welcome/<str:token>/", invitation_views.InvitationView.as_view(), name="invitation"),
    path("welcome/<str:token>/new-link/", invitation_views.NewLinkView.as_view(), name="invitation_new_link"),
    path("questionnaires/<str:instrument>/", views.QuestionnaireView.as_view(), name="questionnaire"),
    path(
        "questionnaires/link/<str:token>/",
        reminder_views.QuestionnaireLinkView.as_view(),
        name="questionnaire_link",
    ),
    path(
        "questionnaires/<str:instrument>/draft/",
        views.QuestionnaireDraftView.as_view(),
        name="questionnaire_draft",
    ),
    path(
        "questionnaires/answers/<int:assessment_pk>/",
        views.QuestionnaireDoneView.as_view(),
        name="questionnaire_done",
    ),
    path("health/", views.HealthView.as_view(), name="health"),
    path("profile/reminders/", reminder_views.ReminderPreferencesView.as_view(), name="reminder_preferences"),
    path("messages/", messages_views.MessagesView.as_view(), name="messages"),
    path("messages/<int:pk>/", messages_views.ThreadView.as_view(), name="message_thread"),
    path("profile/", profile_views.ProfileView.as_view(), name="profile"),
    path("profile/password/", profile_views.PasswordView.as_view(), name="password"),
    path("reports/", include("portal.reports_urls")),
    path("consent/", views.ConsentView.as_view(), name="consent"),
    path("sessions/", sessions_views.MySessionsView.as_view(), name="sessions"),
    path("sessions/<int:pk>/change/", sessions_views.ChangeRequestView.as_view(), name="session_change"),
    path(
        "integration/<int:pk>/change/", sessions_views.AppointmentChangeRequestView.as_view(), name="appointment_change"
    ),
    path("sessions/<int:pk>/check-in/", sessions_views.PreVisitCheckInView.as_view(), name="check_in"),
    path("sessions/<int:pk>/calendar.ics", sessions_views.SessionCalendarView.as_view(), name="session_calendar"),
    path("integration/<int:pk>/", sessions_views.AppointmentView.as_view(), name="appointment"),
    path(
        "integration/<int:pk>/calendar.ics",
        sessions_views.AppointmentCalendarView.as_view(),
        name="appointment_calendar",
    ),
    path("", include("portal.integration_views")),
]
