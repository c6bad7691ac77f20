"""REST API of the sessions app: dose calculations, dosing sessions and their life cycle, courses, integration
appointments. One module per resource; `serializers` holds every answer, `inputs` every request body.

Every viewset derives from clinic.api.ScopedViewSet and reads sessions only through sessions.queries (which starts
from clinic.scoping.patients_visible_to): what a requester may not see answers 404. Front desk sees and books
schedules but never clinical data: clinical endpoints (vitals, doses, check-in, discharge) answer them 404, and
their reads of a session carry the schedule only. Interfaces are thin: each action parses its input and calls one
service; domain errors become 400/403/409 in clinic.api.exception_handler.
"""

from sessions.api.appointments import IntegrationAppointmentViewSet
from sessions.api.courses import CourseViewSet
from sessions.api.dosing_sessions import DoseCalculationViewSet, DosingSessionViewSet

__all__ = ["CourseViewSet", "DoseCalculationViewSet", "DosingSessionViewSet", "IntegrationAppointmentViewSet"]
