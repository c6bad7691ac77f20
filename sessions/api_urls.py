"""Routes of the sessions API, included by clinic/api_urls.py under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from sessions import api
from sessions.api import me

router = SimpleRouter()
router.register("dose-calculations", api.DoseCalculationViewSet, basename="dose-calculation")
router.register("dosing-sessions", api.DosingSessionViewSet, basename="dosing-session")
router.register("courses", api.CourseViewSet, basename="course")
router.register("integration-appointments", api.IntegrationAppointmentViewSet, basename="integration-appointment")

urlpatterns = [
    *router.urls,
    # The patient's own appointments (a future mobile app); `me/` itself and `me/messages/` belong to the portal's API.
    path("me/appointments/", me.MyAppointmentsViewSet.as_view({"get": "list"}), name="me-appointments"),
    path(
        "me/appointment-requests/",
        me.MyAppointmentRequestsViewSet.as_view({"post": "create"}),
        name="me-appointment-requests",
    ),
]
