"""Treatment courses: booked whole from a protocol template (all sessions or none), stopped, or completed early by
a prescriber; the baseline score only for staff who may see clinical data."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import ScopedViewSet
from clinic.api_schema import NOT_FOUND_IN_BODY
from clinic.scoping import patients_visible_to
from sessions import permissions, services
from sessions.api import inputs
from sessions.api.inputs import CourseInput, ReasonInput
from sessions.api.lists import ListFilters, list_schema, shows_clinical
from sessions.api.serializers import CourseSerializer
from sessions.models import DosingSession, TreatmentCourse


class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Treatment courses; POST books a whole course from a protocol template, all sessions or none."""

    serializer_class = CourseSerializer

    def scoped_queryset(self) -> QuerySet[TreatmentCourse]:
        visible = patients_visible_to(self.request.user).values("pk")
        sessions = DosingSession.objects.select_related("patient", "chair").order_by("start")
        return (
            TreatmentCourse.objects.filter(patient__in=visible)
            .select_related("patient")
            .prefetch_related(Prefetch("sessions", queryset=sessions, to_attr="ordered_sessions"))
            .order_by("-start_date")
        )

    def _answer(self, course: TreatmentCourse, code: int = status.HTTP_200_OK) -> Response:
        clinical = shows_clinical(self.request.user, course.patient)
        return Response(CourseSerializer(course, context={"clinical": clinical}).data, status=code)

    @list_schema("courses_list", CourseSerializer, "patient")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = self.get_queryset()
        patient = ListFilters(request).integer("patient")
        if patient is not None:
            qs = qs.filter(patient_id=patient)
        return self.answer_page(qs, CourseSerializer, audit_action="sessions.treatmentcourse.list")

    @extend_schema(responses=CourseSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self.get_object()
        audit.record("sessions.treatmentcourse.view", patient=course.patient_id, obj=course, details={"via": "api"})
        return self._answer(course)

    @extend_schema(request=CourseInput, responses={201: CourseSerializer, 404: NOT_FOUND_IN_BODY})
    def create(self, request: Request) -> Response:
        data = inputs.valid(CourseInput, request.data)
        user = self.request.user
        patient = inputs.patient_to_book(
            user, data["patient"], allowed=permissions.can_book(user), refusal="Your role may not book dosing sessions."
        )
        course = services.book_course(
            by=user,
            patient=patient,
            template=data["template"],
            start_date=data["start"],
            weekdays=data["weekdays"],
            local_time=data["time"],
            chair=inputs.chair_for(user, data["chair"]),
            supervising_clinician=inputs.optional_staff_member(
                data.get("supervising_clinician"), "supervising_clinician"
            ),
            duration_min=data.get("duration_min"),
        )
        return self._answer(course, status.HTTP_201_CREATED)

    @extend_schema(request=ReasonInput, responses=CourseSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str) -> Response:
        course = self.get_object()
        data = inputs.valid(ReasonInput, request.data)
        return self._answer(services.stop_course(by=self.request.user, course=course, reason=data["reason"]))

    @extend_schema(
        request=ReasonInput,
        responses=CourseSerializer,
        description="A prescriber ends the course now: its sessions not yet started are cancelled, with the "
        "integration appointments that follow them. 409 `invalid_transition` for a course already completed or "
        "stopped, `session_in_progress` while one of its sessions is under way.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        course = self.get_object()
        data = inputs.valid(ReasonInput, request.data)
        return self._answer(services.complete_course(by=self.request.user, course=course, reason=data["reason"]))
