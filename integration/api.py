"""REST API of integration therapy (issue 9, item 7): notes with their signature and addenda, outcomes, maintenance
evaluations, and the relapse-prevention plan with its revisions. Routes: integration/api_urls.py, under /api/v1/.

Scoping: every endpoint derives from clinic.api.PatientNestedViewSet or ScopedViewSet, and every read and write goes
through integration.services, which look the patient up with clinic.scoping, apply the role rules of
integration/permissions.py (what a requester may not read answers 404: front desk, patients and therapists off the
care team never see a note) and write the audit entries. Serializers here only describe the bodies: the note's
fields are validated by integration.modalities through the services, so a bad field answers 400 naming it, with a
modality's errors nested under its name (`{"emdr": {"voc": [...]}}`); a signed note answers 409 `note_signed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from clinic.api import PatientNestedViewSet, ScopedViewSet
from clinic.errors import InvalidInput
from clinic.models import Patient
from clinic.scoping import patients_visible_to
from integration import services
from integration.modalities import EMDR_PHASES, PART_TYPES, SELF_ENERGY, UNBURDENING_STEPS, Modality
from integration.models import (
    PLAN_SECTIONS,
    EvaluationOutcome,
    IntegrationNote,
    MaintenanceEvaluation,
    NoteAddendum,
    RelapsePlanRevision,
)
from integration.outcomes import RelapseReason, Score

# --- Errors ---------------------------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer[Any]):
    """A refusal: `code` is stable (e.g. `note_signed`, `permission_denied`); `detail` is a sentence for a person."""

    code = serializers.CharField(required=False)
    detail = serializers.CharField()


FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='Invalid input: each bad field with its messages, e.g. {"duration_min": ["..."]}; the fields of a '
    'modality nested under its name, e.g. {"emdr": {"voc": ["VOC is rated from 1 to 7."]}}, list items by index '
    '({"ifs": {"parts[1].type": ["..."]}}).',
)
ERRORS: dict[int, Any] = {
    403: OpenApiResponse(ErrorSerializer, description="The role may not do this (e.g. sign another's note)."),
    404: OpenApiResponse(ErrorSerializer, description="No such record, or not one the requester may see."),
}
CONFLICT = OpenApiResponse(ErrorSerializer, description="The record's state refuses it, e.g. `note_signed`.")


def _username() -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(slug_field="username", read_only=True)


def _object(data: Any, what: str) -> dict[str, Any]:
    """The request body as a dict of fields (JSON object or form fields); 400 for anything else."""
    if hasattr(data, "dict") and callable(data.dict):
        data = data.dict()
    if not isinstance(data, Mapping):
        raise InvalidInput({"non_field_errors": [f"Send the {what} as a JSON object of named fields."]})
    return dict(data)


# --- Notes ----------------------------------------------------------------------------------------------------------


class EmdrSerializer(serializers.Serializer[Any]):
    phase = serializers.ChoiceField(choices=EMDR_PHASES)
    target = serializers.CharField(required=False, allow_blank=True)
    worst_image = serializers.CharField(required=False, allow_blank=True)
    negative_cognition = serializers.CharField(required=False, allow_blank=True)
    positive_cognition = serializers.CharField(required=False, allow_blank=True)
    voc = serializers.IntegerField(min_value=1, max_value=7, required=False, allow_null=True)
    emotions = serializers.ListField(child=serializers.CharField(), required=False)
    sud_before = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    sud_after = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    body_location = serializers.CharField(required=False, allow_blank=True)
    bilateral_sets = serializers.IntegerField(min_value=0, required=False)
    body_scan_clear = serializers.BooleanField(required=False)
    sud_change = serializers.IntegerField(read_only=True, allow_null=True, help_text="SUD after minus before.")
    target_complete = serializers.BooleanField(read_only=True, help_text="SUD after <= 1, VOC 7 and a clear body scan.")


class ArtSerializer(serializers.Serializer[Any]):
    scene = serializers.CharField(required=False, allow_blank=True, help_text="May be blank when scene_private.")
    scene_private = serializers.BooleanField(required=False)
    sud_before = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    sud_after = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    sensations = serializers.ListField(child=serializers.CharField(), required=False)
    image_replacement_completed = serializers.BooleanField(required=False)
    eye_movement_sets = serializers.IntegerField(min_value=0, required=False)
    sud_change = serializers.IntegerField(read_only=True, allow_null=True, help_text="SUD after minus before.")


class PartSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=PART_TYPES)
    body_location = serializers.CharField(required=False, allow_blank=True)
    fears = serializers.CharField(required=False, allow_blank=True)


class IfsSerializer(serializers.Serializer[Any]):
    parts = PartSerializer(many=True, required=False)
    feel_toward = serializers.CharField(required=False, allow_blank=True)
    self_energy = serializers.ListField(child=serializers.ChoiceField(choices=SELF_ENERGY), required=False)
    permission_granted = serializers.BooleanField(required=False)
    unburdening_steps = serializers.ListField(child=serializers.ChoiceField(choices=UNBURDENING_STEPS), required=False)
    updated_roles = serializers.CharField(required=False, allow_blank=True)


class NoteInputSerializer(serializers.Serializer[Any]):
    """A note as written: on POST `modality`, `dosing_session` (or an `appointment` that has one) and
    `duration_min` are needed; on PATCH only the fields that change (a modality's fields are replaced as a whole)."""

    modality = serializers.ChoiceField(choices=[m.value for m in Modality], required=False)
    dosing_session = serializers.IntegerField(required=False)
    appointment = serializers.IntegerField(required=False, allow_null=True)
    started_at = serializers.DateTimeField(required=False, help_text="Defaults to the appointment's start.")
    duration_min = serializers.IntegerField(required=False)
    narrative = serializers.CharField(required=False, allow_blank=True)
    plan = serializers.CharField(required=False, allow_blank=True)
    emdr = EmdrSerializer(required=False)
    art = ArtSerializer(required=False)
    ifs = IfsSerializer(required=False)


class Phq9NearestSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    administered_at = serializers.DateTimeField()
    assessment = serializers.IntegerField()


class AddendumSerializer(serializers.ModelSerializer[NoteAddendum]):
    author = _username()

    class Meta:
        model = NoteAddendum
        fields = ["id", "note", "text", "author", "created_at"]


class AddendumInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField()


class NoteSerializer(serializers.Serializer[Any]):
    """A note with its modality's fields (and their derived values) under the modality's name: `emdr`, `art` or
    `ifs`, none for a general note. The declared fields describe the body; `to_representation` writes it."""

    id = serializers.IntegerField()
    modality = serializers.ChoiceField(choices=[m.value for m in Modality])
    # Not an enum in the schema: its component would collide with the evaluations' "status" (ENUM_NAME_OVERRIDES).
    status = serializers.CharField(help_text="`draft`, or `signed` once signed (then it never changes).")
    dosing_session = serializers.IntegerField()
    appointment = serializers.IntegerField(allow_null=True)
    author = serializers.CharField(help_text="Username.")
    started_at = serializers.DateTimeField()
    duration_min = serializers.IntegerField()
    narrative = serializers.CharField()
    plan = serializers.CharField()
    phq9_nearest = Phq9NearestSerializer(allow_null=True, help_text="The PHQ-9 closest in time, within 7 days.")
    emdr = EmdrSerializer(required=False, help_text="Only on an EMDR note.")
    art = ArtSerializer(required=False, help_text="Only on an ART note.")
    ifs = IfsSerializer(required=False, help_text="Only on an IFS note.")
    signed_at = serializers.DateTimeField(allow_null=True)
    signed_by = serializers.CharField(allow_null=True, help_text="Username.")
    addenda = AddendumSerializer(many=True)

    def to_representation(self, note: IntegrationNote) -> dict[str, Any]:
        time = serializers.DateTimeField()
        data: dict[str, Any] = {
            "id": note.pk,
            "modality": note.modality,
            "status": note.status,
            "dosing_session": note.dosing_session_id,
            "appointment": note.appointment_id,
            "author": note.author.username,
            "started_at": time.to_representation(note.started_at),
            "duration_min": note.duration_min,
            "narrative": note.narrative,
            "plan": note.plan,
            "phq9_nearest": None,
        }
        if note.phq9_total is not None and note.phq9_administered_at is not None:
            data["phq9_nearest"] = {
                "total": note.phq9_total,
                "administered_at": time.to_representation(note.phq9_administered_at),
                "assessment": note.phq9_assessment_id,
            }
        if note.modality != Modality.GENERAL:
            data[note.modality] = dict(note.structured or {})
        data.update(
            signed_at=time.to_representation(note.signed_at) if note.signed_at else None,
            signed_by=note.signed_by.username if note.signed_by else None,
            addenda=AddendumSerializer(note.addenda.all(), many=True).data,
        )
        return data


class NoteWrittenSerializer(NoteSerializer):
    """The note as saved, with what the author should know (a duration outside the usual 60-90 minutes)."""

    warnings = serializers.ListField(child=serializers.CharField())

    def to_representation(self, result: services.NoteResult) -> dict[str, Any]:  # type: ignore[override]
        return {**super().to_representation(result.note), "warnings": list(result.warnings)}


class PatientNotesViewSet(PatientNestedViewSet):
    """GET/POST /patients/{id}/integration-notes/: the patient's notes, newest first; a therapist or prescriber
    writes a draft."""

    def scoped_queryset(self) -> QuerySet[IntegrationNote]:
        return services.readable_notes(self.request.user).filter(patient__in=patients_visible_to(self.request.user))

    @extend_schema(responses={200: NoteSerializer(many=True), **ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        notes = services.notes_for(self.request.user, self.get_patient())
        page = self.paginate_queryset(notes)
        return self.get_paginated_response(NoteSerializer(page, many=True).data)

    @extend_schema(request=NoteInputSerializer, responses={201: NoteWrittenSerializer, 400: FIELD_ERRORS, **ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _object(request.data, "note")
        result = services.create_note(by=self.request.user, patient=self.get_patient(), data=data)
        return Response(NoteWrittenSerializer(result).data, status=status.HTTP_201_CREATED)


class NoteViewSet(ScopedViewSet):
    """/integration-notes/{id}/: read (audited), change a draft (its author), sign (its author), add an addendum
    to a signed note."""

    http_method_names = ["get", "patch", "post", "head", "options"]

    def scoped_queryset(self) -> QuerySet[IntegrationNote]:
        return services.readable_notes(self.request.user)

    @extend_schema(responses={200: NoteSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(NoteSerializer(services.get_note_for(self.request.user, self.kwargs["pk"])).data)

    @extend_schema(
        request=NoteInputSerializer,
        responses={200: NoteWrittenSerializer, 400: FIELD_ERRORS, 409: CONFLICT, **ERRORS},
        description='Only the author changes a draft; a signed note answers 409 {"code": "note_signed"}.',
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _object(request.data, "note")
        result = services.update_note(by=self.request.user, note=self.kwargs["pk"], data=data)
        return Response(NoteWrittenSerializer(result).data)

    @extend_schema(request=None, responses={200: NoteSerializer, 400: FIELD_ERRORS, 409: CONFLICT, **ERRORS})
    def sign(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = services.sign_note(by=self.request.user, note=self.kwargs["pk"])
        return Response(NoteSerializer(note).data)

    @extend_schema(
        request=AddendumInputSerializer,
        responses={201: AddendumSerializer, 400: FIELD_ERRORS, 409: CONFLICT, **ERRORS},
    )
    def addenda(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        text = _object(request.data, "addendum").get("text", "")
        addendum = services.add_addendum(by=self.request.user, note=self.kwargs["pk"], text=text)
        return Response(AddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)


# --- Outcomes -------------------------------------------------------------------------------------------------------


class ScoreSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    administered_at = serializers.DateTimeField(source="at")
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)


class RelapseWatchSerializer(serializers.Serializer[Any]):
    triggered = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=[r.value for r in RelapseReason], allow_null=True)
    evaluation = serializers.IntegerField(allow_null=True, help_text="The open maintenance evaluation (care team).")


class OutcomesSerializer(serializers.Serializer[Any]):
    """The latest course's outcome on the protocol's baseline questionnaire; null where unknown."""

    instrument = serializers.CharField()
    course = serializers.IntegerField(allow_null=True)
    baseline = serializers.IntegerField(allow_null=True)
    latest = ScoreSerializer(allow_null=True)
    nadir = ScoreSerializer(allow_null=True, help_text="The lowest score since the course ended.")
    response = serializers.BooleanField(allow_null=True)
    remission = serializers.BooleanField(allow_null=True)
    relapse_watch = RelapseWatchSerializer()

    def to_representation(self, view: services.OutcomeView) -> dict[str, Any]:
        summary, watch = view.summary, view.summary.relapse_watch

        def score(value: Score | None) -> dict[str, Any] | None:
            return dict(ScoreSerializer(value).data) if value is not None else None

        return {
            "instrument": summary.instrument,
            "course": summary.course_id,
            "baseline": summary.baseline,
            "latest": score(summary.latest),
            "nadir": score(summary.nadir),
            "response": summary.response,
            "remission": summary.remission,
            "relapse_watch": {
                "triggered": watch.triggered,
                "reason": watch.reason.value if watch.reason else None,
                "evaluation": view.open_evaluation.pk if view.open_evaluation else None,
            },
        }


class OutcomesViewSet(PatientNestedViewSet):
    """GET /patients/{id}/outcomes/: for the care team, and for the patient their own (without the evaluation)."""

    def scoped_queryset(self) -> QuerySet[Patient]:
        return patients_visible_to(self.request.user)

    @extend_schema(responses={200: OutcomesSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(OutcomesSerializer(services.outcome_summary(self.request.user, self.get_patient())).data)


# --- Maintenance evaluations ----------------------------------------------------------------------------------------


class EvaluationSerializer(serializers.ModelSerializer[MaintenanceEvaluation]):
    opened_by = _username()
    resolved_by = _username()

    class Meta:
        model = MaintenanceEvaluation
        fields = [
            "id",
            "patient",
            "course",
            "trigger",
            "trigger_assessment",
            "trigger_details",
            "opened_at",
            "opened_by",
            "status",
            "outcome",
            "reason",
            "resolved_at",
            "resolved_by",
            "protocol_version",
        ]


class OpenEvaluationInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Why the patient needs a maintenance evaluation.")


class ResolveInputSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=EvaluationOutcome.values)
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Required with no_action.")


class PatientEvaluationsViewSet(PatientNestedViewSet):
    """GET/POST /patients/{id}/maintenance-evaluations/: the care team's; POST opens one by hand (201), or answers
    the open one (200): a patient has at most one open."""

    def scoped_queryset(self) -> QuerySet[MaintenanceEvaluation]:
        return MaintenanceEvaluation.objects.filter(patient__in=patients_visible_to(self.request.user))

    @extend_schema(responses={200: EvaluationSerializer(many=True), **ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evaluations = services.maintenance_evaluations_for(self.request.user, self.get_patient())
        page = self.paginate_queryset(evaluations)
        return self.get_paginated_response(EvaluationSerializer(page, many=True).data)

    @extend_schema(
        request=OpenEvaluationInputSerializer,
        responses={201: EvaluationSerializer, 200: EvaluationSerializer, 400: FIELD_ERRORS, **ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reason = _object(request.data, "evaluation").get("reason", "")
        result = services.open_maintenance_evaluation(by=self.request.user, patient=self.get_patient(), reason=reason)
        answer = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(EvaluationSerializer(result.evaluation).data, status=answer)


class EvaluationViewSet(ScopedViewSet):
    """POST /maintenance-evaluations/{id}/resolve/ {"outcome", "reason"}: a prescriber closes it."""

    def scoped_queryset(self) -> QuerySet[MaintenanceEvaluation]:
        return MaintenanceEvaluation.objects.filter(patient__in=patients_visible_to(self.request.user))

    @extend_schema(
        request=ResolveInputSerializer,
        responses={200: EvaluationSerializer, 400: FIELD_ERRORS, 409: CONFLICT, **ERRORS},
    )
    def resolve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _object(request.data, "outcome")
        evaluation = services.resolve_maintenance_evaluation(
            by=self.request.user,
            evaluation=self.kwargs["pk"],
            outcome=data.get("outcome", ""),
            reason=data.get("reason", ""),
        )
        return Response(EvaluationSerializer(evaluation).data)


# --- Relapse-prevention plan ----------------------------------------------------------------------------------------


def _entries() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False)


class PlanSectionsSerializer(serializers.Serializer[Any]):
    """The Stanley-Brown sections of a plan (clinical protocol §7), each a list of short entries."""

    warning_signs = _entries()
    coping_strategies = _entries()
    distractions = _entries()
    people_to_ask = _entries()
    professionals = _entries()
    safe_environment = _entries()


class PlanInputSerializer(PlanSectionsSerializer):
    """The whole plan as it should now read; sections left out are empty. `revision`, `author` and `created_at` of a
    plan read before are ignored, so a client may send back what it read with its changes."""

    maintenance_criteria = serializers.CharField(required=False, allow_blank=True)
    review_date = serializers.DateField(required=False, allow_null=True, help_text="Default: 90 days from today.")


class RevisionSerializer(PlanSectionsSerializer, serializers.ModelSerializer[RelapsePlanRevision]):
    revision = serializers.IntegerField(source="number")
    author = _username()

    class Meta:
        model = RelapsePlanRevision
        fields = ["revision", *PLAN_SECTIONS, "maintenance_criteria", "review_date", "author", "created_at"]


READ_BACK = frozenset({"revision", "author", "created_at"})


class RelapsePlanViewSet(PatientNestedViewSet):
    """/patients/{id}/relapse-plan/: GET the current revision (404 when there is none; the patient may read their
    own), PUT a new revision (therapist or prescriber), GET revisions/ every revision, newest first."""

    def scoped_queryset(self) -> QuerySet[RelapsePlanRevision]:
        return RelapsePlanRevision.objects.filter(plan__patient__in=patients_visible_to(self.request.user))

    @extend_schema(responses={200: RevisionSerializer, **ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        revision = services.current_relapse_plan(self.request.user, self.get_patient())
        if revision is None:
            raise Http404("This patient has no relapse-prevention plan yet.")
        return Response(RevisionSerializer(revision).data)

    @extend_schema(request=PlanInputSerializer, responses={200: RevisionSerializer, 400: FIELD_ERRORS, **ERRORS})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = {k: v for k, v in _object(request.data, "plan").items() if k not in READ_BACK}
        revision = services.revise_relapse_plan(by=self.request.user, patient=self.get_patient(), data=data)
        return Response(RevisionSerializer(revision).data)

    @extend_schema(responses={200: RevisionSerializer(many=True), **ERRORS})
    def revisions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(services.relapse_plan_revisions(self.request.user, self.get_patient()))
        return self.get_paginated_response(RevisionSerializer(page, many=True).data)
