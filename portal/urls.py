from django.urls import include, path

from portal import messages_views, reminder_views, sessions_views, views

app_name = "portal"

urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="home"),
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
    path("reports/", include("portal.reports_urls")),
    path("consent/", views.ConsentView.as_view(), name="consent"),
    path("sessions/", sessions_views.MySessionsView.as_view(), name="sessions"),
    path("sessions/<int:pk>/calendar.ics", sessions_views.SessionCalendarView.as_view(), name="session_calendar"),
    path("integration/<int:pk>/", sessions_views.AppointmentView.as_view(), name="appointment"),
    path(
        "integration/<int:pk>/calendar.ics",
        sessions_views.AppointmentCalendarView.as_view(),
        name="appointment_calendar",
    ),
    path("", include("portal.integration_views")),
]
