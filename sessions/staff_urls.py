"""Staff screens of the sessions app, under /staff/schedule/ (namespace staff:sessions)."""

from django.urls import path

from sessions import booking_views, request_views, views

app_name = "sessions"

urlpatterns = [
    path("", views.BoardView.as_view(), name="board"),
    path("book/", booking_views.BookSessionView.as_view(), name="book"),
    path("rems/", views.RemsDueView.as_view(), name="rems_due"),
    path("book-course/", booking_views.BookCourseView.as_view(), name="book_course"),
    path(
        "patients/<int:patient_pk>/integration/", booking_views.BookIntegrationView.as_view(), name="book_integration"
    ),
    path("requests/<int:pk>/", request_views.AppointmentRequestView.as_view(), name="request"),
    path("sessions/<int:pk>/", views.SessionView.as_view(), name="session"),
    path("sessions/<int:pk>/monitor/", views.MonitorView.as_view(), name="monitor"),
    path("sessions/<int:pk>/calendar.ics", views.SessionCalendarView.as_view(), name="session_calendar"),
    path("sessions/<int:pk>/check-in/", views.CheckInView.as_view(), name="check_in"),
    path("sessions/<int:pk>/check-in/correct/", views.CorrectCheckInView.as_view(), name="correct_check_in"),
    path("sessions/<int:pk>/vitals/", views.VitalsView.as_view(), name="vitals"),
    path("sessions/<int:pk>/acknowledge-review/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("sessions/<int:pk>/dose-preview/", views.DosePreviewView.as_view(), name="dose_preview"),
    path("sessions/<int:pk>/start/", views.StartView.as_view(), name="start"),
    path("sessions/<int:pk>/start/check/", views.StartCheckView.as_view(), name="start_check"),
    path("sessions/<int:pk>/end/", views.EndView.as_view(), name="end"),
    path("sessions/<int:pk>/adverse-events/", views.AdverseEventView.as_view(), name="adverse_event"),
    path("sessions/<int:pk>/dissociation/", views.DissociationView.as_view(), name="dissociation"),
    path("sessions/<int:pk>/discharge/", views.DischargeView.as_view(), name="discharge"),
    path("sessions/<int:pk>/discharge/check/", views.DischargeCheckView.as_view(), name="discharge_check"),
    path("sessions/<int:pk>/rems/submit/", views.RemsSubmitView.as_view(), name="rems_submit"),
    path("sessions/<int:pk>/defer/", views.DeferView.as_view(), name="defer"),
    path("sessions/<int:pk>/cancel/", views.CancelView.as_view(), name="cancel"),
    path("sessions/<int:pk>/no-show/", views.NoShowView.as_view(), name="no_show"),
    path("integration/<int:pk>/", booking_views.AppointmentDetailView.as_view(), name="appointment"),
    path(
        "integration/<int:pk>/calendar.ics",
        booking_views.AppointmentCalendarView.as_view(),
        name="appointment_calendar",
    ),
    path("integration/<int:pk>/cancel/", booking_views.AppointmentCancelView.as_view(), name="appointment_cancel"),
]
