"""REST API of reminders: a patient's reminders, and sending a failed one again.

- `GET /api/v1/patients/{id}/reminders/`: staff who may see the patient (front desk included: reminders are
  schedule data, not clinical); patients get 404. Audited as clinic.reminder.list.
- `POST /api/v1/reminders/{id}/retry/`: clinic administrators, only a `failed` reminder (else 409 `not_failed`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import PatientNestedViewSet, ScopedViewSet
from clinic.http import user_of
from clinic.models import Patient
from clinic.reminders import services
from clinic.reminders.models import Reminder
from clinic.scoping import note_refused


class ReminderSubjectSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(source="subject_type")
    id = serializers.IntegerField(source="subject_id")


class ReminderSerializer(serializers.ModelSerializer[Reminder]):
    subject = ReminderSubjectSerializer(source="*", read_only=True)

    class Meta:
        model = Reminder
        fields = ["id", "kind", "channel", "due_at", "status", "attempts", "sent_at", "subject"]
        read_only_fields = fields


ERROR = inline_serializer("ReminderError", fields={"code": serializers.CharField(), "detail": serializers.CharField()})


def _not_for_patients(request: Request) -> None:
    if request.user.is_authenticated and request.user.is_patient_user:
        note_refused(Patient, request.parser_context["kwargs"].get("patient_pk") if request.parser_context else None)
        raise Http404("No such patient.")


class PatientReminderViewSet(mixins.ListModelMixin, PatientNestedViewSet):
    """The reminders that go to one patient, latest due first."""

    serializer_class = ReminderSerializer
    clinical = False

    def get_patient(self) -> Patient:
        _not_for_patients(self.request)
        return super().get_patient()

    def scoped_queryset(self) -> QuerySet[Reminder]:
        return services.reminders_for_patient(self.get_patient())

    @extend_schema(responses={200: ReminderSerializer(many=True)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_patient()
        response = super().list(request, *args, **kwargs)
        audit.record("clinic.reminder.list", patient=patient, details={"via": "api"})
        return response


class ReminderViewSet(ScopedViewSet):
    """Reminders by id, for the actions on one (the list is per patient)."""

    serializer_class = ReminderSerializer

    def scoped_queryset(self) -> QuerySet[Reminder]:
        _not_for_patients(self.request)
        return services.visible_reminders(self.request.user)

    @extend_schema(request=None, responses={200: ReminderSerializer, 403: ERROR, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        reminder = self.get_object()
        reminder = services.retry_reminder(by=user_of(request), reminder=reminder)
        return Response(self.get_serializer(reminder).data)
