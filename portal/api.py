"""`GET /api/v1/me/` (issue 11, item 9): the patient's own profile, their next session and the questionnaires due,
for a future mobile app. It answers only the token's own patient (the patient comes from the account, never from
the request); a staff token gets 403, as a patient token does on a staff-only route. Audited `portal.me.view`.

The same facts as the portal home: the questionnaires still to fill before treatment (intake.panels.portal_todo) and
the one due by the cadence of clinical protocol §5 (integration.services.questionnaire_due); the next dosing session
or integration appointment (sessions.queries.upcoming_for_patient); unread messages (messaging.services)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import ScopedViewSet
from clinic.models import Patient, User
from clinic.scoping import patients_visible_to
from intake import services as intake_services
from intake.instruments import Instrument
from intake.panels import portal_todo
from intake.questionnaires import QUESTIONNAIRES
from integration import services as integration_services
from messaging import services as messaging_services
from messaging.api import STAFF_REFUSED, own_patient
from sessions import queries
from sessions.models import DosingSession


class SiteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)
    time_zone = serializers.CharField()


class ProfileSerializer(serializers.ModelSerializer[Patient]):
    site = SiteSerializer(read_only=True)

    class Meta:
        model = Patient
        fields = ["id", "mrn", "given_name", "family_name", "date_of_birth", "email", "phone", "site"]


class NextSessionSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["dosing", "integration"])
    id = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.CharField()


class MyCareTeamMemberSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    role = serializers.CharField()


class DueQuestionnaireSerializer(serializers.Serializer[Any]):
    instrument = serializers.CharField()
    title = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=["intake", "session", "post_course_weekly", "post_course_interval"],
        help_text="intake: asked before treatment; the others: the cadence of clinical protocol §5.",
    )
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    started = serializers.BooleanField(help_text="Answers were saved and it can be continued.")
    portal_url = serializers.CharField()


class MeSerializer(serializers.Serializer[Any]):
    profile = ProfileSerializer()
    care_team = MyCareTeamMemberSerializer(many=True)
    next_session = NextSessionSerializer(allow_null=True)
    due_questionnaires = DueQuestionnaireSerializer(many=True)
    unread_messages = serializers.IntegerField()


def _next_session(patient: Patient) -> dict[str, Any] | None:
    upcoming = queries.upcoming_for_patient(patient, limit=1)
    if not upcoming:
        return None
    item = upcoming[0]
    if isinstance(item, DosingSession):
        return {"kind": "dosing", "id": item.pk, "start": item.start, "end": item.block_end, "status": item.status}
    return {"kind": "integration", "id": item.pk, "start": item.start, "end": item.end, "status": item.status}


def _due(user: User, patient: Patient) -> list[dict[str, Any]]:
    now = timezone.now()
    started = intake_services.drafts_in_progress(patient)
    rows = [
        {
            "instrument": item["questionnaire"].instrument.value,
            "title": item["questionnaire"].title,
            "reason": "intake",
            "due_at": None,
            "overdue": False,
            "started": item["questionnaire"].instrument.value in started,
            "portal_url": item["url"],
        }
        for item in portal_todo(patient, now)["to_fill"]
    ]
    due = integration_services.questionnaire_due(user, patient, now)
    if due is not None and due.shown and due.instrument not in {row["instrument"] for row in rows}:
        questionnaire = QUESTIONNAIRES.get(Instrument(due.instrument))
        if questionnaire is not None:
            rows.append(
                {
                    "instrument": due.instrument,
                    "title": questionnaire.title,
                    "reason": due.reason,
                    "due_at": due.due.at,
                    "overdue": due.overdue,
                    "started": due.instrument in started,
                    "portal_url": reverse("portal:questionnaire", args=[due.instrument]),
                }
            )
    return rows


class MeViewSet(ScopedViewSet):
    """Your own record: profile, care team, next session, questionnaires due, unread messages."""

    def scoped_queryset(self) -> QuerySet[Any]:
        return patients_visible_to(self.request.user).filter(pk=own_patient(self.request.user).pk)

    @extend_schema(responses={200: MeSerializer, 403: STAFF_REFUSED})
    def retrieve(self, request: Request) -> Response:
        patient = self.get_queryset().get()
        audit.record("portal.me.view", patient=patient, obj=patient, details={"via": "api"})
        team = patient.care_team.select_related("user").order_by("-is_primary")
        data = {
            "profile": patient,
            "care_team": [
                {"name": m.user.get_full_name() or m.user.username, "role": m.get_role_display()} for m in team
            ],
            "next_session": _next_session(patient),
            "due_questionnaires": _due(self.request.user, patient),
            "unread_messages": messaging_services.unread_for_patient(self.request.user, patient),
        }
        return Response(MeSerializer(data).data)
