"""Integration-therapy appointments (60-90 min) on the dosing calendar; a therapist is never double-booked."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import ScopedViewSet
from clinic.api_schema import NOT_FOUND_IN_BODY
from clinic.errors import InvalidInput
from sessions import permissions, queries, services
from sessions.api import inputs
from sessions.api.inputs import AppointmentInput, ReasonInput
from sessions.api.lists import ListFilters, list_schema
from sessions.api.serializers import AppointmentBookedSerializer, AppointmentSerializer
from sessions.models import AppointmentStatus, IntegrationAppointment


class IntegrationAppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Integration-therapy appointments of the patients the requester may see; booking adds the therapist to the
    patient's care team."""

    serializer_class = AppointmentSerializer

    def scoped_queryset(self) -> QuerySet[IntegrationAppointment]:
        return queries.appointments_visible_to(self.request.user)

    @list_schema(
        "integration_appointments_list",
        AppointmentSerializer,
        "therapist",
        "patient",
        statuses=AppointmentStatus.choices,
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = ListFilters(request).apply(
            self.get_queryset(),
            "patient__site",
            AppointmentStatus.choices,
            therapist="therapist_id",
            patient="patient_id",
        )
        return self.answer_page(qs, AppointmentSerializer, audit_action="sessions.integrationappointment.list")

    @extend_schema(responses=AppointmentSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        appointment = queries.get_appointment_for(self.request.user, kwargs["pk"])
        audit.record(
            "sessions.integrationappointment.view",
            patient=appointment.patient_id,
            obj=appointment,
            details={"via": "api"},
        )
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(request=AppointmentInput, responses={201: AppointmentBookedSerializer, 404: NOT_FOUND_IN_BODY})
    def create(self, request: Request) -> Response:
        data = inputs.valid(AppointmentInput, request.data)
        user = self.request.user
        patient = inputs.patient_to_book(
            user,
            data["patient"],
            allowed=permissions.can_book_integration(user),
            refusal="Your role may not book integration sessions.",
        )
        dosing_session = None
        if data.get("dosing_session") is not None:
            dosing_session = (
                queries.sessions_visible_to(user).filter(pk=data["dosing_session"], patient=patient).first()
            )
            if dosing_session is None:
                raise InvalidInput({"dosing_session": "No such dosing session of this patient."})
        booking = services.book_integration_appointment(
            by=user,
            patient=patient,
            therapist=inputs.staff_member(data["therapist"], "therapist"),
            start=data["start"],
            duration_min=data["duration_min"],
            dosing_session=dosing_session,
            chair=inputs.optional_chair(user, data.get("chair")),
            room=data["room"],
        )
        answer = AppointmentBookedSerializer(booking.appointment, context={"warnings": booking.warnings})
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonInput, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        appointment = queries.get_appointment_for(self.request.user, pk)
        data = inputs.valid(ReasonInput, request.data)
        appointment = services.cancel_integration_appointment(
            by=self.request.user, appointment=appointment, reason=data["reason"]
        )
        return Response(AppointmentSerializer(appointment).data)
