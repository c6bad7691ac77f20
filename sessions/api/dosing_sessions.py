"""Dose calculations and dosing sessions: booking, cancelling, and each step of a session's life.

Each step looks the session up through sessions.queries (404 for a patient the requester may not see, and for
front desk on a clinical step), asks the predicate the service enforces (403), then parses its input (400) and calls
one service; domain errors become 400/403/409 in clinic.api.exception_handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import ScopedViewSet
from clinic.api_schema import NOT_FOUND_IN_BODY
from clinic.domain import require
from clinic.errors import InvalidInput
from clinic.scoping import Requester, can_view_clinical, sites_of
from clinic.services import current_protocol
from sessions import permissions, queries, services
from sessions.api import inputs
from sessions.api.inputs import (
    AdverseEventInput,
    BookingInput,
    CheckInInput,
    DischargeInput,
    DissociationInput,
    DoseCalculationInput,
    EndDosingInput,
    ReasonInput,
    RemsSubmissionInput,
    StartInput,
    VitalsInput,
)
from sessions.api.lists import ListFilters, list_schema, shows_clinical
from sessions.api.serializers import (
    AdverseEventRecordedSerializer,
    BookingSerializer,
    CheckedInSerializer,
    ClinicalSessionSerializer,
    DischargedSerializer,
    DissociationSerializer,
    DoseResultSerializer,
    DoseStepSerializer,
    RemsFormSerializer,
    RemsSubmissionSerializer,
    ReviewAcknowledgedSerializer,
    ScheduleSerializer,
    VitalsRecordedSerializer,
)
from sessions.dosing import DoseRequest
from sessions.models import DosingSession, SessionStatus, TreatmentCourse

type RolePredicate = Callable[[Requester | None], bool]

# The API asks the service's own predicate before it reads the input, so a role that may not act learns nothing
# about the input (403 before 400).
REFUSALS: dict[RolePredicate, str] = {
    permissions.can_book: "Your role may not book, cancel or mark sessions as no-shows.",
    permissions.can_run_sessions: "Only a nurse or a prescriber may record this step of a dosing session.",
    permissions.can_prescribe: "Only a prescriber may do this.",
    permissions.can_submit_rems: "Only a nurse, a prescriber or a clinic administrator may mark a REMS form submitted.",
}


class DoseCalculationViewSet(ScopedViewSet):
    """POST /dose-calculations/: the dose for given inputs under the requester's site's protocol; stores nothing."""

    serializer_class = DoseCalculationInput

    def scoped_queryset(self) -> QuerySet[Any]:
        return DosingSession.objects.none()

    @extend_schema(request=DoseCalculationInput, responses={200: DoseResultSerializer})
    def create(self, request: Request) -> Response:
        user = self.request.user
        if not can_view_clinical(user) or user.is_patient_user:
            raise PermissionDenied("Dose calculations are for clinical staff.")
        site = sites_of(user).order_by("id").first()
        if site is None:
            raise PermissionDenied("You work at no site.")
        data = inputs.valid(DoseCalculationInput, request.data)
        result = services.calculate(DoseRequest(**data), current_protocol(site))
        return Response(DoseResultSerializer(result).data)


def _answer(serializer: type[serializers.Serializer[Any]], instance: Any, code: int = status.HTTP_200_OK) -> Response:
    return Response(serializer(instance).data, status=code)


class DosingSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Dosing sessions of the patients the requester may see; booking, cancelling and the session's life."""

    serializer_class = ScheduleSerializer

    def scoped_queryset(self) -> QuerySet[DosingSession]:
        return queries.sessions_visible_to(self.request.user)

    def _session(self, *, clinical: bool) -> DosingSession:
        return queries.get_session_for(self.request.user, self.kwargs["pk"], clinical=clinical)

    def _step(
        self,
        service: Callable[..., Any],
        input_class: type[serializers.Serializer[Any]] | None = None,
        *,
        allowed: RolePredicate,
        clinical: bool = True,
    ) -> tuple[DosingSession, Any]:
        """Run one service on the session with the parsed input as its arguments: (session, what it returned)."""
        session = self._session(clinical=clinical)
        require(allowed(self.request.user), REFUSALS[allowed])
        data = inputs.valid(input_class, self.request.data) if input_class else {}
        return session, service(by=self.request.user, session=session, **data)

    @list_schema("dosing_sessions_list", ScheduleSerializer, "chair", "patient", statuses=SessionStatus.choices)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = ListFilters(request).apply(
            self.get_queryset(), "chair__site", SessionStatus.choices, chair="chair_id", patient="patient_id"
        )
        return self.answer_page(qs, ScheduleSerializer, audit_action="sessions.dosingsession.list")

    @extend_schema(
        responses=ClinicalSessionSerializer,
        description="Staff who may see clinical data get the clinical record; front desk the schedule's fields.",
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self._session(clinical=False)
        clinical = shows_clinical(self.request.user, session.patient)
        audit.record(
            "sessions.dosingsession.view",
            patient=session.patient,
            obj=session,
            details={"via": "api", "clinical": clinical},
        )
        return _answer(ClinicalSessionSerializer if clinical else ScheduleSerializer, session)

    @extend_schema(request=BookingInput, responses={201: BookingSerializer, 404: NOT_FOUND_IN_BODY})
    def create(self, request: Request) -> Response:
        data = inputs.valid(BookingInput, request.data)
        user = self.request.user
        patient = inputs.patient_to_book(
            user, data["patient"], allowed=permissions.can_book(user), refusal="Your role may not book dosing sessions."
        )
        course = None
        if data.get("course") is not None:
            course = TreatmentCourse.objects.filter(pk=data["course"], patient=patient).first()
            if course is None:
                raise InvalidInput({"course": "No such course of this patient."})
        booking = services.book_dosing_session(
            by=user,
            patient=patient,
            chair=inputs.chair_for(user, data["chair"]),
            start=data["start"],
            route=data.get("route") or None,
            supervising_clinician=inputs.optional_staff_member(
                data.get("supervising_clinician"), "supervising_clinician"
            ),
            course=course,
            duration_min=data.get("duration_min"),
        )
        answer = BookingSerializer(booking.session, context={"warnings": booking.clearance_warnings})
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonInput, responses=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        _session, session = self._step(
            services.cancel_session, ReasonInput, allowed=permissions.can_book, clinical=False
        )
        return _answer(ScheduleSerializer, session)

    @extend_schema(request=None, responses=ScheduleSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        _session, session = self._step(services.mark_no_show, allowed=permissions.can_book, clinical=False)
        return _answer(ScheduleSerializer, session)

    @extend_schema(request=CheckInInput, responses=CheckedInSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str) -> Response:
        _session, record = self._step(services.check_in, CheckInInput, allowed=permissions.can_run_sessions)
        return _answer(CheckedInSerializer, record)

    @extend_schema(request=VitalsInput, responses={201: VitalsRecordedSerializer})
    @action(detail=True, methods=["post"])
    def vitals(self, request: Request, pk: str) -> Response:
        _session, reading = self._step(services.record_vitals, VitalsInput, allowed=permissions.can_run_sessions)
        return _answer(VitalsRecordedSerializer, reading, status.HTTP_201_CREATED)

    @extend_schema(request=ReasonInput, responses={201: ReviewAcknowledgedSerializer})
    @action(detail=True, methods=["post"], url_path="acknowledge-review")
    def acknowledge_review(self, request: Request, pk: str) -> Response:
        _session, ack = self._step(services.acknowledge_review, ReasonInput, allowed=permissions.can_prescribe)
        body = {"id": ack.pk, "reviewed": ack.reviewed_reasons, "reason": ack.reason}
        return _answer(ReviewAcknowledgedSerializer, body, status.HTTP_201_CREATED)

    @extend_schema(request=StartInput, responses=DoseStepSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        session, dose = self._step(services.start_dosing, StartInput, allowed=permissions.can_run_sessions)
        return _answer(DoseStepSerializer, {"id": session.pk, "status": SessionStatus.DOSING, "dose": dose})

    @extend_schema(request=EndDosingInput, responses=DoseStepSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        _session, dose = self._step(services.end_dosing, EndDosingInput, allowed=permissions.can_run_sessions)
        return _answer(DoseStepSerializer, {"id": dose.session_id, "status": SessionStatus.MONITORING, "dose": dose})

    @extend_schema(request=ReasonInput, responses=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def defer(self, request: Request, pk: str) -> Response:
        _session, session = self._step(services.defer_session, ReasonInput, allowed=permissions.can_run_sessions)
        return _answer(ScheduleSerializer, session)

    @extend_schema(request=AdverseEventInput, responses={201: AdverseEventRecordedSerializer})
    @action(detail=True, methods=["post"], url_path="adverse-events")
    def adverse_events(self, request: Request, pk: str) -> Response:
        _session, event = self._step(
            services.record_adverse_event, AdverseEventInput, allowed=permissions.can_run_sessions
        )
        return _answer(AdverseEventRecordedSerializer, event, status.HTTP_201_CREATED)

    @extend_schema(request=DischargeInput, responses=DischargedSerializer)
    @action(detail=True, methods=["post"])
    def discharge(self, request: Request, pk: str) -> Response:
        session, record = self._step(services.discharge_session, DischargeInput, allowed=permissions.can_run_sessions)
        return _answer(
            DischargedSerializer, {"id": session.pk, "status": SessionStatus.DISCHARGED, "discharge": record}
        )

    @extend_schema(request=DissociationInput, responses={201: DissociationSerializer})
    @action(detail=True, methods=["post"])
    def dissociation(self, request: Request, pk: str) -> Response:
        _session, record = self._step(
            services.record_dissociation, DissociationInput, allowed=permissions.can_run_sessions
        )
        return _answer(DissociationSerializer, record, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RemsFormSerializer)
    @action(detail=True, methods=["get"])
    def rems(self, request: Request, pk: str) -> Response:
        """The esketamine REMS Patient Monitoring Form as the session's records fill it (staff with clinical
        access; 404 for other routes)."""
        session = self._session(clinical=True)
        if not shows_clinical(self.request.user, session.patient):
            raise NotFound("No such session.")
        reason = services.not_esketamine(session)
        if reason is not None:
            raise NotFound(reason)
        audit.record(
            "sessions.dosingsession.view",
            patient=session.patient,
            obj=session,
            details={"via": "api", "clinical": True, "part": "rems"},
        )
        return _answer(RemsFormSerializer, rems_form(session))

    @extend_schema(request=RemsSubmissionInput, responses={201: RemsSubmissionSerializer})
    @action(detail=True, methods=["post"], url_path="rems/submit")
    def rems_submit(self, request: Request, pk: str) -> Response:
        _session, submission = self._step(
            services.submit_rems_form, RemsSubmissionInput, allowed=permissions.can_submit_rems
        )
        return _answer(RemsSubmissionSerializer, submission, status.HTTP_201_CREATED)


def rems_form(session: DosingSession) -> dict[str, Any]:
    """The session's REMS Patient Monitoring Form: every item with its value or missing, the due date, the status."""
    form = services.rems_form_of(session, current_protocol(session.patient.site))
    return {
        "session": session.pk,
        "items": services.rems_form_body(form),
        "missing": [item.key for item in form.missing],
        "complete": form.complete,
        "due_on": form.due_on,
        "status": services.rems_status_of(session, form),
        "submission": services.rems_submission_of(session),
    }
