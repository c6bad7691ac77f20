"""REST API of the sessions app: dose calculations, dosing sessions and their life cycle, courses, integration
appointments.

Every viewset derives from clinic.api.ScopedViewSet and reads sessions only through sessions.queries (which starts
from clinic.scoping.patients_visible_to): what a requester may not see answers 404. Front desk sees and books
schedules but never clinical data: clinical endpoints (vitals, doses, check-in, discharge) answer them 404, and
their reads of a session carry the schedule only. Interfaces are thin: each action parses its input and calls one
service; domain errors become 400/403/409 in clinic.api.exception_handler.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import ScopedViewSet
from clinic.domain import require
from clinic.errors import InvalidInput
from clinic.models import Chair, Patient, User
from clinic.scoping import can_view_clinical, chairs_visible_to, get_patient_for, patients_visible_to, sites_of
from clinic.services import current_protocol
from sessions import permissions, queries, services
from sessions.dosing import DoseRequest, DoseResult
from sessions.models import (
    CheckIn,
    Discharge,
    DissociationScore,
    DoseRecord,
    DosingSession,
    IntegrationAppointment,
    RemsSubmission,
    SessionStatus,
    TreatmentCourse,
    VitalSign,
)

DECIMAL: dict[str, Any] = {"max_digits": None, "decimal_places": None}
OPTIONAL: dict[str, Any] = {"required": False, "allow_null": True}


def _decimal(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**DECIMAL, **kwargs)


def shows_clinical(user: User, patient: Patient) -> bool:
    """Staff who may see clinical data get the clinical view; front desk and patients get the schedule."""
    return can_view_clinical(user, patient) and not user.is_patient_user


# --- Output -----------------------------------------------------------------------------------------------------

DOSE_RESULT_FIELDS = (
    "route",
    "dose_mg",
    "dosing_weight_kg",
    "weight_basis",
    "bmi",
    "ideal_body_weight_kg",
    "adjusted_body_weight_kg",
    "mg_per_kg",
    "rate_mg_per_min",
    "pump_rate_ml_per_h",
    "bag_volume_ml",
    "draw_volume_ml",
    "duration_min",
    "warnings",
    "requires_override",
    "override_reasons",
    "steps",
)


def dose_result_body(result: DoseResult) -> dict[str, Any]:
    """A DoseResult for JSON: Decimals render as JSON numbers (REST_FRAMEWORK COERCE_DECIMAL_TO_STRING off)."""
    return {name: getattr(result, name) for name in DOSE_RESULT_FIELDS}


def schedule_body(session: DosingSession) -> dict[str, Any]:
    return {
        "id": session.pk,
        "patient": session.patient_id,
        "patient_name": session.patient.full_name,
        "mrn": session.patient.mrn,
        "site": session.chair.site_id,
        "chair": session.chair_id,
        "chair_name": session.chair.name,
        "course": session.course_id,
        "route": session.route,
        "start": session.start,
        "block_end": session.block_end,
        "status": session.status,
        "supervising_clinician": session.supervising_clinician_id,
    }


def _pick(obj: Any, names: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {**{name: getattr(obj, name) for name in names}, **extra}


VITAL_FIELDS = ("id", "recorded_at", "phase", "systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate",
                "gate_reasons", "alerts")  # fmt: skip
DOSE_FIELDS = ("id", "route", "dose_mg", "mg_per_kg", "dosing_weight_kg", "duration_min", "rate_mg_per_min",
               "pump_rate_ml_per_h", "draw_volume_ml", "warnings", "lot_number", "administered_by_id", "started_at",
               "ended_at", "protocol_version_id", "override_reasons", "override_by_id")  # fmt: skip
CHECK_IN_FIELDS = ("checked_in_at", "fasting_solids_hours", "fasting_clear_liquids_hours", "fasting",
                   "fasting_reasons", "escort_confirmed")  # fmt: skip
DISCHARGE_FIELDS = ("discharged_at", "aldrete_total", "observation_min", "escort_confirmed", "instructions_given",
                    "no_driving_acknowledged")  # fmt: skip
DISSOCIATION_FIELDS = ("id", "items", "total", "minutes_after_dosing_start", "recorded_at", "recorded_by_id")
REMS_SUBMISSION_FIELDS = ("id", "reference", "note", "due_on", "submitted_at", "submitted_by_id")
APPOINTMENT_FIELDS = ("id", "patient_id", "therapist_id", "dosing_session_id", "chair_id", "room", "start", "end",
                      "status")  # fmt: skip


def _vital_body(reading: VitalSign) -> dict[str, Any]:
    return _pick(reading, VITAL_FIELDS, gate=reading.gate or None)


def _dose_body(dose: DoseRecord | None) -> dict[str, Any] | None:
    if dose is None:
        return None
    body = _pick(dose, DOSE_FIELDS, weight_basis=dose.weight_basis or None, steps=dose.result.get("steps", []),
                 override_reason=dose.override_reason or None)  # fmt: skip
    return {key.removesuffix("_id"): value for key, value in body.items()}


def _check_in_body(check: CheckIn | None) -> dict[str, Any] | None:
    return None if check is None else _pick(check, CHECK_IN_FIELDS)


def _discharge_body(record: Discharge | None) -> dict[str, Any] | None:
    return None if record is None else _pick(record, DISCHARGE_FIELDS, aldrete=record.aldrete_items)


def _dissociation_body(record: DissociationScore) -> dict[str, Any]:
    return {key.removesuffix("_id"): value for key, value in _pick(record, DISSOCIATION_FIELDS).items()}


def _rems_submission_body(submission: RemsSubmission | None) -> dict[str, Any] | None:
    if submission is None:
        return None
    return {key.removesuffix("_id"): value for key, value in _pick(submission, REMS_SUBMISSION_FIELDS).items()}


def rems_body(session: DosingSession) -> dict[str, Any]:
    """The session's REMS Patient Monitoring Form: every item with its value or missing, the due date, the status."""
    protocol = current_protocol(session.patient.site)
    form = services.rems_form_of(session, protocol)
    return {
        "session": session.pk,
        "items": services.rems_form_body(form),
        "missing": [item.key for item in form.missing],
        "complete": form.complete,
        "due_on": form.due_on,
        "status": services.rems_status_of(session, form),
        "submission": _rems_submission_body(services.rems_submission_of(session)),
    }


def clinical_body(session: DosingSession) -> dict[str, Any]:
    return {
        **schedule_body(session),
        "check_in": _check_in_body(CheckIn.objects.filter(session=session).first()),
        "vitals": [_vital_body(r) for r in session.vital_signs.order_by("recorded_at", "id")],
        "pending_review": list(services.pending_review(session).reasons)
        if session.status == SessionStatus.CHECKED_IN
        else [],
        "dose": _dose_body(DoseRecord.objects.filter(session=session).first()),
        "adverse_events": [
            {
                "id": e.pk,
                "occurred_at": e.occurred_at,
                "kind": e.kind,
                "severity": e.severity,
                "action_taken": e.action_taken,
            }
            for e in session.adverse_events.all()
        ],
        "discharge": _discharge_body(Discharge.objects.filter(session=session).first()),
        "dissociation": [_dissociation_body(d) for d in session.dissociation_scores.all()],
        "status_changes": [
            {"from": c.from_status or None, "to": c.to_status, "at": c.changed_at, "reason": c.reason}
            for c in session.status_changes.all()
        ],
    }


# --- Input ------------------------------------------------------------------------------------------------------


class DoseCalculationInput(serializers.Serializer[Any]):
    route = serializers.CharField()
    weight_kg = _decimal()
    height_cm = _decimal()
    sex_at_birth = serializers.CharField()
    mg_per_kg = _decimal(**OPTIONAL)
    dose_mg = _decimal(**OPTIONAL)
    duration_min = serializers.IntegerField(**OPTIONAL)
    bag_volume_ml = _decimal(**OPTIONAL)
    concentration_mg_per_ml = _decimal(**OPTIONAL)
    age = serializers.IntegerField(**OPTIONAL)
    first_dose = serializers.BooleanField(required=False, default=False)


class BookingInput(serializers.Serializer[Any]):
    patient = serializers.IntegerField()
    chair = serializers.IntegerField()
    start = serializers.DateTimeField()
    route = serializers.CharField(required=False, allow_blank=True)
    supervising_clinician = serializers.IntegerField(**OPTIONAL)
    course = serializers.IntegerField(**OPTIONAL)
    duration_min = serializers.IntegerField(min_value=1, **OPTIONAL)


class ReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CheckInInput(serializers.Serializer[Any]):
    fasting_solids_hours = _decimal(**OPTIONAL)
    fasting_clear_liquids_hours = _decimal(**OPTIONAL)
    escort_confirmed = serializers.BooleanField()
    escort_name = serializers.CharField(required=False, allow_blank=True, default="")


class VitalsInput(serializers.Serializer[Any]):
    phase = serializers.CharField(required=False, allow_blank=True)
    systolic = serializers.IntegerField()
    diastolic = serializers.IntegerField()
    heart_rate = serializers.IntegerField()
    spo2 = serializers.IntegerField()
    respiratory_rate = serializers.IntegerField(**OPTIONAL)
    recorded_at = serializers.DateTimeField(**OPTIONAL)


class StartInput(serializers.Serializer[Any]):
    mg_per_kg = _decimal(**OPTIONAL)
    dose_mg = _decimal(**OPTIONAL)
    duration_min = serializers.IntegerField(**OPTIONAL)
    bag_volume_ml = _decimal(**OPTIONAL)
    concentration_mg_per_ml = _decimal(**OPTIONAL)
    weight_kg = _decimal(**OPTIONAL)
    height_cm = _decimal(**OPTIONAL)
    lot_number = serializers.CharField(required=False, allow_blank=True, default="")
    review_reason = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    escort_confirmed = serializers.BooleanField(required=False, allow_null=True, default=None)


class EndDosingInput(serializers.Serializer[Any]):
    """Ending dosing before its planned duration (an early stop) needs `stop_reason`; `actual_dose_mg` is the dose
    given when it was not the infusion rate times the minutes it ran (never more than the planned dose)."""

    stop_reason = serializers.CharField(required=False, allow_blank=True, default="")
    actual_dose_mg = _decimal(**OPTIONAL)


class AdverseEventInput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    severity = serializers.CharField()
    action_taken = serializers.CharField(allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(**OPTIONAL)


class DischargeInput(serializers.Serializer[Any]):
    aldrete = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    escort_confirmed = serializers.BooleanField()
    escort_name = serializers.CharField(required=False, allow_blank=True, default="")
    instructions_given = serializers.BooleanField(required=False, default=False)
    no_driving_acknowledged = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DissociationInput(serializers.Serializer[Any]):
    items = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class RemsSubmissionInput(serializers.Serializer[Any]):
    reference = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CourseInput(serializers.Serializer[Any]):
    patient = serializers.IntegerField()
    template = serializers.CharField()
    start = serializers.DateField(input_formats=["%Y-%m-%d"])
    weekdays = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    time = serializers.TimeField(input_formats=["%H:%M", "%H:%M:%S"])
    chair = serializers.IntegerField()
    supervising_clinician = serializers.IntegerField(**OPTIONAL)
    duration_min = serializers.IntegerField(min_value=1, **OPTIONAL)


class AppointmentInput(serializers.Serializer[Any]):
    patient = serializers.IntegerField()
    therapist = serializers.IntegerField()
    start = serializers.DateTimeField()
    duration_min = serializers.IntegerField()
    dosing_session = serializers.IntegerField(**OPTIONAL)
    chair = serializers.IntegerField(**OPTIONAL)
    room = serializers.CharField(required=False, allow_blank=True, default="")


def _valid(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _chair_for(user: User, pk: int, field: str = "chair") -> Chair:
    chair = chairs_visible_to(user).filter(pk=pk).first()
    if chair is None:
        raise InvalidInput({field: "No such chair at your sites."})
    return chair


def _optional_chair(user: User, pk: int | None) -> Chair | None:
    return None if pk is None else _chair_for(user, pk)


def _optional_staff_member(pk: int | None, field: str) -> User | None:
    return None if pk is None else _staff_member(pk, field)


def _staff_member(pk: int, field: str) -> User:
    member = User.objects.filter(pk=pk).exclude(role="patient").first()
    if member is None:
        raise InvalidInput({field: "No such staff member."})
    return member


class _Filters:
    """Allow-listed query parameters of the list endpoints: date (YYYY-MM-DD at each site), chair, patient, ..."""

    def __init__(self, request: Request) -> None:
        self.params = request.query_params
        self.user = request.user

    def integer(self, name: str) -> int | None:
        raw = self.params.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise InvalidInput({name: "Give a number."}) from None

    def date_q(self, site_field: str) -> Q | None:
        raw = self.params.get("date")
        if not raw:
            return None
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput({"date": "Give the date as YYYY-MM-DD."}) from None
        q = Q(pk__in=[])
        for site in sites_of(self.user):
            start, end = queries.day_range(site, day)
            q |= Q(**{site_field: site}, start__gte=start, start__lt=end)
        return q

    def apply(self, qs: QuerySet[Any], site_field: str, **fields: str) -> QuerySet[Any]:
        date_q = self.date_q(site_field)
        if date_q is not None:
            qs = qs.filter(date_q)
        for param, lookup in fields.items():
            value = self.integer(param)
            if value is not None:
                qs = qs.filter(**{lookup: value})
        status_value = self.params.get("status")
        if status_value:
            qs = qs.filter(status=status_value)
        return qs.order_by("start", "id")


# --- Viewsets ---------------------------------------------------------------------------------------------------


class DoseCalculationViewSet(ScopedViewSet):
    """POST /dose-calculations/: the dose for given inputs under the requester's site's protocol; stores nothing."""

    serializer_class = DoseCalculationInput

    def scoped_queryset(self) -> QuerySet[Any]:
        return DosingSession.objects.none()

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def create(self, request: Request) -> Response:
        user = self.request.user
        if not can_view_clinical(user) or user.is_patient_user:
            raise PermissionDenied("Dose calculations are for clinical staff.")
        site = sites_of(user).order_by("id").first()
        if site is None:
            raise PermissionDenied("You work at no site.")
        data = _valid(DoseCalculationInput, request.data)
        protocol = current_protocol(site)
        result = services.calculate(DoseRequest(**data), protocol)
        return Response(dose_result_body(result))


class DosingSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Dosing sessions of the patients the requester may see; booking, cancelling and the session's life."""

    serializer_class = BookingInput

    def scoped_queryset(self) -> QuerySet[DosingSession]:
        return queries.sessions_visible_to(self.request.user)

    def _session(self, *, clinical: bool) -> DosingSession:
        return queries.get_session_for(self.request.user, self.kwargs["pk"], clinical=clinical)

    def _step(self, service: Any, input_class: Any = None, *, clinical: bool = True) -> tuple[DosingSession, Any]:
        """Run one service on the session with the parsed input as its arguments: (session, what it returned)."""
        session = self._session(clinical=clinical)
        data = _valid(input_class, self.request.data) if input_class else {}
        return session, service(by=self.request.user, session=session, **data)

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="dosing_sessions_list")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = _Filters(request).apply(self.get_queryset(), "chair__site", chair="chair_id", patient="patient_id")
        page = self.paginate_queryset(qs)
        rows = [schedule_body(s) for s in (page if page is not None else qs)]
        return self.get_paginated_response(rows) if page is not None else Response(rows)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self._session(clinical=False)
        clinical = shows_clinical(self.request.user, session.patient)
        audit.record(
            "sessions.dosingsession.view",
            patient=session.patient,
            obj=session,
            details={"via": "api", "clinical": clinical},
        )
        return Response(clinical_body(session) if clinical else schedule_body(session))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def create(self, request: Request) -> Response:
        data = _valid(BookingInput, request.data)
        user = self.request.user
        patient = get_patient_for(user, data["patient"])
        require(permissions.can_book(user), "Your role may not book dosing sessions.")  # before the chair lookup
        course = None
        if data.get("course") is not None:
            course = TreatmentCourse.objects.filter(pk=data["course"], patient=patient).first()
            if course is None:
                raise InvalidInput({"course": "No such course of this patient."})
        booking = services.book_dosing_session(
            by=user,
            patient=patient,
            chair=_chair_for(user, data["chair"]),
            start=data["start"],
            route=data.get("route") or None,
            supervising_clinician=_optional_staff_member(data.get("supervising_clinician"), "supervising_clinician"),
            course=course,
            duration_min=data.get("duration_min"),
        )
        body = {**schedule_body(booking.session), "warnings": list(booking.clearance_warnings)}
        return Response(body, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    @extend_schema(request=ReasonInput, responses=OpenApiTypes.OBJECT)
    def cancel(self, request: Request, pk: str) -> Response:
        _session, session = self._step(services.cancel_session, ReasonInput, clinical=False)
        return Response(schedule_body(session))

    @action(detail=True, methods=["post"], url_path="no-show")
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def no_show(self, request: Request, pk: str) -> Response:
        _session, session = self._step(services.mark_no_show, clinical=False)
        return Response(schedule_body(session))

    @action(detail=True, methods=["post"], url_path="check-in")
    @extend_schema(request=CheckInInput, responses=OpenApiTypes.OBJECT)
    def check_in(self, request: Request, pk: str) -> Response:
        session, record = self._step(services.check_in, CheckInInput)
        return Response({"id": session.pk, "status": SessionStatus.CHECKED_IN, **(_check_in_body(record) or {})})

    @action(detail=True, methods=["post"])
    @extend_schema(request=VitalsInput, responses=OpenApiTypes.OBJECT)
    def vitals(self, request: Request, pk: str) -> Response:
        _session, reading = self._step(services.record_vitals, VitalsInput)
        body = {"id": reading.pk, "gate": reading.gate or None, "alerts": reading.alerts}
        return Response({**body, "phase": reading.phase, "gate_reasons": reading.gate_reasons}, status=201)

    @action(detail=True, methods=["post"], url_path="acknowledge-review")
    @extend_schema(request=ReasonInput, responses=OpenApiTypes.OBJECT)
    def acknowledge_review(self, request: Request, pk: str) -> Response:
        _session, ack = self._step(services.acknowledge_review, ReasonInput)
        return Response({"id": ack.pk, "reviewed": ack.reviewed_reasons, "reason": ack.reason}, status=201)

    @action(detail=True, methods=["post"])
    @extend_schema(request=StartInput, responses=OpenApiTypes.OBJECT)
    def start(self, request: Request, pk: str) -> Response:
        session, dose = self._step(services.start_dosing, StartInput)
        return Response({"id": session.pk, "status": SessionStatus.DOSING, "dose": _dose_body(dose)})

    @action(detail=True, methods=["post"])
    @extend_schema(request=EndDosingInput, responses=OpenApiTypes.OBJECT)
    def end(self, request: Request, pk: str) -> Response:
        _session, dose = self._step(services.end_dosing, EndDosingInput)
        ended = {
            "actual_duration_min": dose.actual_duration_min,
            "actual_dose_mg": dose.actual_dose_mg,
            "stopped_early": dose.stopped_early,
            "stop_reason": dose.stop_reason,
        }
        return Response(
            {"id": dose.session_id, "status": SessionStatus.MONITORING, "dose": {**(_dose_body(dose) or {}), **ended}}
        )

    @action(detail=True, methods=["post"])
    @extend_schema(request=ReasonInput, responses=OpenApiTypes.OBJECT)
    def defer(self, request: Request, pk: str) -> Response:
        _session, session = self._step(services.defer_session, ReasonInput)
        return Response(schedule_body(session))

    @action(detail=True, methods=["post"], url_path="adverse-events")
    @extend_schema(request=AdverseEventInput, responses=OpenApiTypes.OBJECT)
    def adverse_events(self, request: Request, pk: str) -> Response:
        _session, event = self._step(services.record_adverse_event, AdverseEventInput)
        return Response({"id": event.pk, "kind": event.kind, "severity": event.severity}, status=201)

    @action(detail=True, methods=["post"])
    @extend_schema(request=DischargeInput, responses=OpenApiTypes.OBJECT)
    def discharge(self, request: Request, pk: str) -> Response:
        session, record = self._step(services.discharge_session, DischargeInput)
        return Response({"id": session.pk, "status": SessionStatus.DISCHARGED, "discharge": _discharge_body(record)})

    @action(detail=True, methods=["post"])
    @extend_schema(request=DissociationInput, responses=OpenApiTypes.OBJECT)
    def dissociation(self, request: Request, pk: str) -> Response:
        _session, record = self._step(services.record_dissociation, DissociationInput)
        return Response(_dissociation_body(record), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
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
        return Response(rems_body(session))

    @action(detail=True, methods=["post"], url_path="rems/submit")
    @extend_schema(request=RemsSubmissionInput, responses=OpenApiTypes.OBJECT)
    def rems_submit(self, request: Request, pk: str) -> Response:
        _session, submission = self._step(services.submit_rems_form, RemsSubmissionInput)
        return Response(_rems_submission_body(submission), status=status.HTTP_201_CREATED)


def course_body(course: TreatmentCourse, *, clinical: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": course.pk,
        "patient": course.patient_id,
        "template": course.template,
        "route": course.route,
        "status": course.status,
        "start": course.start_date,
        "end": course.end_date,
        "weekdays": course.weekdays,
        "time": course.local_time,
        "sessions": [schedule_body(s) for s in course.sessions.select_related("patient", "chair").order_by("start")],
    }
    if clinical:  # the baseline score is clinical data: not for front desk
        body["baseline"] = {
            "instrument": course.baseline_instrument or None,
            "total": course.baseline_total,
            "recorded_at": course.baseline_recorded_at,
        }
    return body


class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Treatment courses; POST books a whole course from a protocol template, all sessions or none."""

    serializer_class = CourseInput

    def scoped_queryset(self) -> QuerySet[TreatmentCourse]:
        visible = patients_visible_to(self.request.user).values("pk")
        return TreatmentCourse.objects.filter(patient__in=visible).select_related("patient").order_by("-start_date")

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="courses_list")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = self.get_queryset()
        patient = _Filters(request).integer("patient")
        if patient is not None:
            qs = qs.filter(patient_id=patient)
        page = self.paginate_queryset(qs)
        rows = [course_body(c) for c in (page if page is not None else qs)]
        return self.get_paginated_response(rows) if page is not None else Response(rows)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(
            course_body(course := self.get_object(), clinical=shows_clinical(self.request.user, course.patient))
        )

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def create(self, request: Request) -> Response:
        data = _valid(CourseInput, request.data)
        user = self.request.user
        patient = get_patient_for(user, data["patient"])
        require(permissions.can_book(user), "Your role may not book dosing sessions.")
        course = services.book_course(
            by=user,
            patient=patient,
            template=data["template"],
            start_date=data["start"],
            weekdays=data["weekdays"],
            local_time=data["time"],
            chair=_chair_for(user, data["chair"]),
            supervising_clinician=_optional_staff_member(data.get("supervising_clinician"), "supervising_clinician"),
            duration_min=data.get("duration_min"),
        )
        return Response(
            course_body(course, clinical=shows_clinical(self.request.user, course.patient)),
            status=status.HTTP_201_CREATED,
        )

    @action(detail=True, methods=["post"])
    @extend_schema(request=ReasonInput, responses=OpenApiTypes.OBJECT)
    def stop(self, request: Request, pk: str) -> Response:
        data = _valid(ReasonInput, request.data)
        course = services.stop_course(by=self.request.user, course=self.get_object(), reason=data["reason"])
        return Response(course_body(course, clinical=shows_clinical(self.request.user, course.patient)))


def appointment_body(appointment: IntegrationAppointment) -> dict[str, Any]:
    body = _pick(appointment, APPOINTMENT_FIELDS)
    return {key.removesuffix("_id"): value for key, value in body.items()}


class IntegrationAppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Integration-therapy appointments (60-90 min) on the same calendar; a therapist is never double-booked."""

    serializer_class = AppointmentInput

    def scoped_queryset(self) -> QuerySet[IntegrationAppointment]:
        return queries.appointments_visible_to(self.request.user)

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="integration_appointments_list")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = _Filters(request).apply(
            self.get_queryset(), "patient__site", therapist="therapist_id", patient="patient_id"
        )
        page = self.paginate_queryset(qs)
        rows = [appointment_body(a) for a in (page if page is not None else qs)]
        return self.get_paginated_response(rows) if page is not None else Response(rows)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(appointment_body(queries.get_appointment_for(self.request.user, kwargs["pk"])))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def create(self, request: Request) -> Response:
        data = _valid(AppointmentInput, request.data)
        user = self.request.user
        patient = get_patient_for(user, data["patient"])
        require(permissions.can_book_integration(user), "Your role may not book integration sessions.")
        dosing_session = None
        if data.get("dosing_session") is not None:
            dosing_session = (
                queries.sessions_visible_to(user).filter(pk=data["dosing_session"], patient=patient).first()
            )
            if dosing_session is None:
                raise InvalidInput({"dosing_session": "No such dosing session of this patient."})
        therapist = _staff_member(data["therapist"], "therapist")
        booking = services.book_integration_appointment(
            by=user,
            patient=patient,
            therapist=therapist,
            start=data["start"],
            duration_min=data["duration_min"],
            dosing_session=dosing_session,
            chair=_optional_chair(user, data.get("chair")),
            room=data["room"],
        )
        body = {**appointment_body(booking.appointment), "warnings": list(booking.warnings)}
        return Response(body, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    @extend_schema(request=ReasonInput, responses=OpenApiTypes.OBJECT)
    def cancel(self, request: Request, pk: str) -> Response:
        data = _valid(ReasonInput, request.data)
        appointment = services.cancel_integration_appointment(
            by=self.request.user,
            appointment=queries.get_appointment_for(self.request.user, pk),
            reason=data["reason"],
        )
        return Response(appointment_body(appointment))
