"""The patient's own appointments for a future mobile app: `GET /api/v1/me/appointments/` (upcoming and past
sessions, dosing and integration) and `POST /api/v1/me/appointment-requests/` (ask to move or cancel one).

Only a patient's token answers here, always about the token's own patient (never an id from the request for the
patient); staff get 403. A session the body names that is not the patient's own answers 404, as anywhere else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import ScopedViewSet
from clinic.api_schema import NOT_FOUND_IN_BODY
from clinic.models import Patient
from clinic.scoping import get_patient_for, patients_visible_to
from clinic.validators import REASON_MAX
from sessions import queries
from sessions.api import inputs
from sessions.api.serializers import instant
from sessions.models import AppointmentRequest, DosingSession, IntegrationAppointment, RequestKind, RequestStatus
from sessions.services import requests as request_services

APPOINTMENT_KINDS = ("dosing_session", "integration_appointment")


class MyAppointmentSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=APPOINTMENT_KINDS)
    id = serializers.IntegerField()
    start = instant()
    end = instant()
    status = serializers.CharField()
    place = serializers.CharField()
    upcoming = serializers.BooleanField()
    may_request_change = serializers.BooleanField()
    open_request = serializers.IntegerField(allow_null=True)
    calendar_url = serializers.CharField()


class MyAppointmentsSerializer(serializers.Serializer[Any]):
    upcoming = MyAppointmentSerializer(many=True)
    past = MyAppointmentSerializer(many=True)


class AppointmentRequestInput(serializers.Serializer[Any]):
    dosing_session = serializers.IntegerField(required=False, allow_null=True, default=None)
    integration_appointment = serializers.IntegerField(required=False, allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    reason = serializers.CharField(max_length=REASON_MAX, allow_blank=True)
    preferred_times = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["dosing_session"] is None) == (attrs["integration_appointment"] is None):
            raise serializers.ValidationError(
                {"dosing_session": ["Name one session: a dosing_session or an integration_appointment."]}
            )
        return attrs


class AppointmentRequestSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    dosing_session = serializers.IntegerField(source="dosing_session_id", allow_null=True)
    integration_appointment = serializers.IntegerField(source="integration_appointment_id", allow_null=True)
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    reason = serializers.CharField()
    preferred_times = serializers.CharField()
    inside_notice = serializers.BooleanField()
    created_at = instant()


def _row(item: DosingSession | IntegrationAppointment, *, upcoming: bool) -> dict[str, Any]:
    is_dosing = isinstance(item, DosingSession)
    end, place = (item.block_end, item.chair.name) if isinstance(item, DosingSession) else (item.end, item.place)
    pending = request_services.open_request_for(item) if upcoming else None
    return {
        "kind": "dosing_session" if is_dosing else "integration_appointment",
        "id": item.pk,
        "start": item.start,
        "end": end,
        "status": item.status,
        "place": place,
        "upcoming": upcoming,
        "may_request_change": upcoming and pending is None and request_services.may_request(item),
        "open_request": pending.pk if pending else None,
        "calendar_url": f"/portal/{'sessions' if is_dosing else 'integration'}/{item.pk}/calendar.ics",
    }


class MyViewSet(ScopedViewSet):
    """Base of the `me/` routes of the sessions app: the token's own patient, patients only."""

    def scoped_queryset(self) -> QuerySet[Patient]:
        return patients_visible_to(self.request.user)

    def my_patient(self) -> Patient:
        user = self.request.user
        if not (user.is_patient_user and user.patient_id):
            raise PermissionDenied("These routes answer a patient's own token.")
        return get_patient_for(user, user.patient_id)


class MyAppointmentsViewSet(MyViewSet):
    @extend_schema(responses=MyAppointmentsSerializer, description="My upcoming and past sessions, soonest first.")
    def list(self, request: Request) -> Response:
        patient = self.my_patient()
        audit.record("sessions.dosingsession.list", patient=patient, details={"via": "api", "page": "me"})
        upcoming = [_row(item, upcoming=True) for item in queries.upcoming_for_patient(patient, limit=50)]
        past = [_row(item, upcoming=False) for item in queries.past_for_patient(patient, limit=50)]
        return Response(MyAppointmentsSerializer({"upcoming": upcoming, "past": past}).data)


class MyAppointmentRequestsViewSet(MyViewSet):
    @extend_schema(
        request=AppointmentRequestInput,
        responses={201: AppointmentRequestSerializer, 404: NOT_FOUND_IN_BODY},
        description="Ask the clinic to move or cancel one of my sessions. 409 `request_open` while an earlier "
        "request about it waits, `not_changeable` once it has begun or was cancelled; `inside_notice` says the "
        "request was made inside the clinic's notice period (portal.appointment_notice_hours).",
    )
    def create(self, request: Request) -> Response:
        self.my_patient()
        data = inputs.valid(AppointmentRequestInput, request.data)
        user = self.request.user
        if data["dosing_session"] is not None:
            subject: DosingSession | IntegrationAppointment = queries.get_session_for(user, data["dosing_session"])
        else:
            subject = queries.get_appointment_for(user, data["integration_appointment"])
        made: AppointmentRequest = request_services.request_change(
            by=user,
            subject=subject,
            kind=data["kind"],
            reason=data["reason"],
            preferred_times=data["preferred_times"],
        )
        return Response(AppointmentRequestSerializer(made).data, status=status.HTTP_201_CREATED)
