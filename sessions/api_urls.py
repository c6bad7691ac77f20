"""Routes of the sessions API, included by clinic/api_urls.py under /api/v1/."""

from rest_framework.routers import SimpleRouter

from sessions import api

router = SimpleRouter()
router.register("dose-calculations", api.DoseCalculationViewSet, basename="dose-calculation")
router.register("dosing-sessions", api.DosingSessionViewSet, basename="dosing-session")
router.register("courses", api.CourseViewSet, basename="course")
router.register("integration-appointments", api.IntegrationAppointmentViewSet, basename="integration-appointment")

urlpatterns = router.urls
