"""The patient's secure messages through the API (issue 11, item 9): `GET`/`POST /api/v1/me/messages/`, for a future
mobile app. They answer only the token's own patient: the patient comes from the account, never from the request;
a staff token gets 403 (the role may not use these routes, as a patient token on a staff-only route), a thread of
another patient 404. Every message written and read is audited by messaging.services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from clinic.api import ScopedViewSet
from clinic.api_schema import NOT_FOUND_IN_BODY, Refusal
from clinic.errors import InvalidInput
from clinic.models import Patient, Role, User
from clinic.scoping import patients_visible_to
from messaging import services
from messaging.forms import BODY_LIMIT
from messaging.models import Message, MessageRead, Thread

PATIENTS_ONLY = "These routes answer a patient about their own record; staff use /api/v1/patients/."


def own_patient(user: User) -> Patient:
    """The token's own patient (403 for staff)."""
    if user.role != Role.PATIENT or user.patient_id is None:
        raise PermissionDenied(PATIENTS_ONLY)
    patient = patients_visible_to(user).filter(pk=user.patient_id).first()
    if patient is None:
        raise PermissionDenied(PATIENTS_ONLY)
    return patient


class MessageSerializer(serializers.ModelSerializer[Message]):
    subject = serializers.CharField(source="thread.subject", read_only=True)
    author = serializers.SerializerMethodField(help_text="Who wrote it: you, a care-team member's name, or the clinic.")
    unread = serializers.SerializerMethodField(help_text="Not opened before this answer (it is now).")

    class Meta:
        model = Message
        fields = ["id", "thread", "subject", "from_patient", "automatic", "author", "body", "sent_at", "unread"]

    def get_author(self, message: Message) -> str:
        if message.automatic or message.author is None:
            return "Automatic reply"
        if message.from_patient:
            return "You"
        return message.author.get_full_name() or "Your care team"

    def get_unread(self, message: Message) -> bool:
        return message.pk in self.context.get("unread", set())


class MessageInput(serializers.Serializer[Any]):
    """A reply in one of your threads (`thread`), or a new thread (`subject`, no `thread`)."""

    thread = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    subject = serializers.CharField(required=False, max_length=services.SUBJECT_MAX_CHARS, allow_blank=True)
    body = serializers.CharField(max_length=BODY_LIMIT, trim_whitespace=False)


class MessageSent(serializers.Serializer[Any]):
    message = MessageSerializer()
    automatic_reply = MessageSerializer(allow_null=True, help_text="The clinic's answer to a new thread.")
    flagged = serializers.BooleanField(
        help_text="The message used words of crisis: the care team was alerted. Show the crisis resources now."
    )
    crisis_resources = serializers.CharField(allow_null=True)


CRISIS_RESOURCES = (
    "You don't have to go through this alone. Call or text 988 (Suicide & Crisis Lifeline) any time. If you are in "
    "danger, call 911 or go to the nearest emergency department."
)
STAFF_REFUSED = OpenApiResponse(Refusal, description="A staff token: these routes answer patients only.")


class MyMessagesViewSet(ScopedViewSet):
    """Your messages with your care team, newest first; listing them marks them read."""

    def scoped_queryset(self) -> QuerySet[Any]:
        patient = own_patient(self.request.user)
        return (
            Message.objects.filter(thread__patient=patient)
            .select_related("thread", "author")
            .order_by("-sent_at", "-id")
        )

    @extend_schema(responses={200: MessageSerializer(many=True), 403: STAFF_REFUSED})
    def list(self, request: Request) -> Response:
        user = self.request.user
        page = self.paginate_queryset(self.get_queryset())
        rows = list(page or [])
        read = set(MessageRead.objects.filter(reader=user, message__in=rows).values_list("message", flat=True))
        unread = {m.pk for m in rows if m.pk not in read and not m.from_patient}
        shown = {m.pk for m in rows}
        for thread in {m.thread for m in rows}:  # receipts for the messages of this page only, and audit entries
            services.open_thread(by=user, thread=thread, shown=shown)
        data = MessageSerializer(rows, many=True, context={"unread": unread}).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=MessageInput,
        responses={201: MessageSent, 403: STAFF_REFUSED, 404: NOT_FOUND_IN_BODY},
    )
    def create(self, request: Request) -> Response:
        user = self.request.user
        patient = own_patient(user)
        body = MessageInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("thread") is not None:
            thread = Thread.objects.filter(pk=data["thread"], patient=patient).select_related("patient__site").first()
            if thread is None:
                raise Http404("No such thread.")
            sent = services.send_message(by=user, thread=thread, body=data["body"])
        else:
            if not data.get("subject", "").strip():
                raise InvalidInput({"subject": "Give a new thread a subject, or name the thread you answer."})
            sent = services.start_thread(by=user, patient=patient, subject=data["subject"], body=data["body"])
        answer = {
            "message": sent.message,
            "automatic_reply": sent.automatic_reply,
            "flagged": bool(sent.flagged),
            "crisis_resources": CRISIS_RESOURCES if sent.flagged else None,
        }
        return Response(MessageSent(answer).data, status=status.HTTP_201_CREATED)
