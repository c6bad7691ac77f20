"""Intake API (issue 3): assessments, screenings and their override, consent, medical clearance, dosing clearance.

The staff API is for staff: a patient's own token gets 404 here as for anyone else's record (patients fill their
questionnaires and sign consent in the portal). Front desk gets 404 (no clinical data). What a clinician may see
but their role may not do answers 403. Serializers only parse; intake.services decides and audits.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clinic import audit
from clinic.api import PatientNestedViewSet, ScopedViewSet
from clinic.http import AuthedApiRequest
from clinic.models import Patient, User
from clinic.scoping import can_view_clinical, note_refused, patients_visible_to
from clinic.services import current_protocol
from clinic.validators import NOTE_MAX, no_control_characters
from intake import services
from intake.instruments import Instrument
from intake.models import Assessment, Consent, MedicalClearance, SafetyTask, Screening
from intake.rules import SUBSTANCE_USE_STATUSES

# --- Serializers ------------------------------------------------------------------------------------------------


def _username() -> serializers.SlugRelatedField[User]:
    return serializers.SlugRelatedField(slug_field="username", read_only=True)


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not know: a misspelt `histroy` must not pass as "no history"."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class AssessmentInputSerializer(StrictSerializer):
    instrument = serializers.ChoiceField(choices=[i.value for i in Instrument])
    answers = serializers.JSONField()
    administered_at = serializers.DateTimeField(required=False)


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    entered_by = _username()
    safety_task = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "instrument",
            "total",
            "severity",
            "flags",
            "administered_at",
            "answers",
            "source",
            "entered_by",
            "protocol_version",
            "safety_task",
        ]

    def get_safety_task(self, obj: Assessment) -> int | None:
        try:
            return obj.safety_task.pk  # joined by the list's query (AssessmentViewSet.scoped_queryset)
        except SafetyTask.DoesNotExist:
            return None


class MedicationSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120)
    category = serializers.CharField(max_length=40, help_text="One of intake.rules.MEDICATION_CATEGORIES.")
    diazepam_equivalent_mg_per_day = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )


class SubstanceUseSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=sorted(SUBSTANCE_USE_STATUSES))
    remission_since = serializers.DateField(required=False, allow_null=True, default=None)


class ScreeningInputSerializer(StrictSerializer):
    height_cm = serializers.DecimalField(max_digits=5, decimal_places=1, **services.plausible_bounds("height_cm"))
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, **services.plausible_bounds("weight_kg"))
    systolic = serializers.IntegerField(**services.plausible_bounds("systolic"))
    diastolic = serializers.IntegerField(**services.plausible_bounds("diastolic"))
    heart_rate = serializers.IntegerField(**services.plausible_bounds("heart_rate"))
    history = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list)
    medications = serializers.ListField(child=MedicationSerializer(), required=False, default=list)
    substance_use_disorder = SubstanceUseSerializer(required=False)
    myocardial_infarction_date = serializers.DateField(required=False, allow_null=True, default=None)
    stroke_date = serializers.DateField(required=False, allow_null=True, default=None)
    pregnant_or_breastfeeding = serializers.BooleanField(required=False, default=False)
    failed_antidepressant_trials = serializers.IntegerField(**services.plausible_bounds("failed_antidepressant_trials"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bp_error := services.blood_pressure_error(attrs["systolic"], attrs["diastolic"]):
            raise serializers.ValidationError({"diastolic": bp_error})
        attrs.setdefault("substance_use_disorder", {"status": "none", "remission_since": None})
        return attrs


class OverrideSerializer(serializers.Serializer[Any]):
    prescriber = serializers.CharField(source="prescriber.get_full_name")
    reason = serializers.CharField()
    addressed_findings = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class ScreeningSerializer(serializers.ModelSerializer[Screening]):
    protocol_version_number = serializers.IntegerField(source="protocol_version.number", read_only=True)
    screened_by = _username()
    substance_use_disorder = serializers.JSONField(source="substance_use", read_only=True)
    override = serializers.SerializerMethodField()
    cleared = serializers.SerializerMethodField()

    class Meta:
        model = Screening
        fields = [
            "id",
            "patient",
            "decision",
            "findings",
            "protocol_version",
            "protocol_version_number",
            "cleared",
            "status",
            "screened_at",
            "screened_by",
            "decided_at",
            "expires_at",
            "age_at_screening",
            *services.SCREENING_FACT_FIELDS,
            "cssrs_assessment",
            "cssrs_risk",
            "override",
        ]

    def get_override(self, obj: Screening) -> dict[str, Any] | None:
        override = getattr(obj, "override", None)
        return OverrideSerializer(override).data if override else None

    def get_cleared(self, obj: Screening) -> bool:
        context = cast("dict[str, Any]", self.context)  # the root serializer's dict, shared by a list's rows
        actives = context.setdefault("active_protocols", {})  # a list reads each site's protocol once
        site = obj.patient.site
        if site.pk not in actives:
            actives[site.pk] = current_protocol(site)
        return services.screening_cleared(obj, timezone.now(), active=actives[site.pk])


class OverrideInputSerializer(StrictSerializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")
    # The codes of the relative findings the reason addresses: every one of them (issue 8).
    addressed_findings = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list)


class ConsentInputSerializer(StrictSerializer):
    document_version = serializers.CharField(max_length=20)
    signed_name = serializers.CharField(max_length=200)


class ConsentSerializer(serializers.ModelSerializer[Consent]):
    witnessed_by = _username()

    class Meta:
        model = Consent
        fields = ["id", "document_version", "text_sha256", "signed_name", "signed_at", "method", "witnessed_by"]


class MedicalClearanceInputSerializer(StrictSerializer):
    note = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=NOTE_MAX, validators=[no_control_characters]
    )


class MedicalClearanceSerializer(serializers.ModelSerializer[MedicalClearance]):
    prescriber = _username()

    class Meta:
        model = MedicalClearance
        fields = ["id", "prescriber", "note", "cleared_at"]


class ClearanceQuerySerializer(StrictSerializer):
    at = serializers.DateTimeField(required=False)


class DosingClearanceSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    cleared = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    screening_id = serializers.IntegerField(allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField())
    safety_alerts = serializers.ListField(child=serializers.CharField())  # open safety tasks (issue 8)


# --- Viewsets ---------------------------------------------------------------------------------------------------


class IntakeNestedViewSet(PatientNestedViewSet):
    """`/patients/{id}/...` intake endpoints: clinical, staff only (a patient token gets 404), reads audited."""

    clinical = True
    audit_name = ""
    model: type[Any]
    output_serializer: type[serializers.BaseSerializer[Any]]

    def get_patient(self) -> Patient:
        if self.request.user.is_authenticated and self.request.user.is_patient_user:
            note_refused(Patient, self.kwargs.get("patient_pk"))
            raise Http404("No such patient.")
        return super().get_patient()

    def scoped_queryset(self) -> QuerySet[Any]:
        records: QuerySet[Any] = self.model.objects.filter(patient=self.get_patient())
        return records

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return self.output_serializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_patient()
        audit.record(f"intake.{self.audit_name}.view", patient=patient, details={"via": "api", "list": True})
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.output_serializer(page, many=True).data)

    input_serializer: type[serializers.Serializer[Any]]

    def record(self, patient: Patient, data: dict[str, Any]) -> Any:
        """Call the service that creates the record from the validated input."""
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_patient()
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = self.record(patient, dict(serializer.validated_data))
        return Response(self.output_serializer(created).data, status=status.HTTP_201_CREATED)


def _documented(input_serializer: type[serializers.Serializer[Any]], output: type[serializers.Serializer[Any]]) -> Any:
    return extend_schema_view(create=extend_schema(request=input_serializer, responses={201: output}))


@_documented(AssessmentInputSerializer, AssessmentSerializer)
class AssessmentViewSet(IntakeNestedViewSet):
    """GET/POST /patients/{id}/assessments/: the patient's questionnaires, newest first."""

    model = Assessment
    input_serializer = AssessmentInputSerializer
    output_serializer = AssessmentSerializer
    audit_name = "assessment"

    def scoped_queryset(self) -> QuerySet[Assessment]:
        return super().scoped_queryset().select_related("entered_by", "safety_task")

    def record(self, patient: Patient, data: dict[str, Any]) -> Assessment:
        return services.record_assessment(by=self.request.user, patient=patient, **data)


@_documented(ScreeningInputSerializer, ScreeningSerializer)
class PatientScreeningViewSet(IntakeNestedViewSet):
    """GET/POST /patients/{id}/screenings/: screen the patient with the facts; the decision comes back."""

    model = Screening
    input_serializer = ScreeningInputSerializer
    output_serializer = ScreeningSerializer
    audit_name = "screening"

    def scoped_queryset(self) -> QuerySet[Screening]:
        return (
            super()
            .scoped_queryset()
            .select_related("protocol_version", "screened_by", "patient__site", "override__prescriber")
        )

    def record(self, patient: Patient, data: dict[str, Any]) -> Screening:
        return services.screen_patient(by=self.request.user, patient=patient, facts=data)


@_documented(ConsentInputSerializer, ConsentSerializer)
class ConsentViewSet(IntakeNestedViewSet):
    """GET/POST /patients/{id}/consent/: consent witnessed in clinic (patients sign in the portal)."""

    model = Consent
    input_serializer = ConsentInputSerializer
    output_serializer = ConsentSerializer
    audit_name = "consent"

    def scoped_queryset(self) -> QuerySet[Consent]:
        return super().scoped_queryset().select_related("witnessed_by")

    def record(self, patient: Patient, data: dict[str, Any]) -> Consent:
        return services.record_consent(by=self.request.user, patient=patient, **data)


@_documented(MedicalClearanceInputSerializer, MedicalClearanceSerializer)
class MedicalClearanceViewSet(IntakeNestedViewSet):
    """GET/POST /patients/{id}/medical-clearance/: prescribers record that the patient is medically fit."""

    model = MedicalClearance
    input_serializer = MedicalClearanceInputSerializer
    output_serializer = MedicalClearanceSerializer
    audit_name = "medicalclearance"

    def record(self, patient: Patient, data: dict[str, Any]) -> MedicalClearance:
        return services.record_medical_clearance(by=self.request.user, patient=patient, **data)


class DosingClearanceViewSet(IntakeNestedViewSet):
    """GET /patients/{id}/dosing-clearance/?at=ISO: may the patient be dosed at that time, and if not, why."""

    model = Screening
    output_serializer = DosingClearanceSerializer
    audit_name = "clearance"

    @extend_schema(
        parameters=[OpenApiParameter("at", str, description="ISO time; default now")],
        responses=DosingClearanceSerializer,
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_patient()
        query = ClearanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        clearance = services.is_cleared_for_dosing(patient, at)
        audit.record("intake.clearance.view", patient=patient, details={"via": "api", "cleared": clearance.cleared})
        return Response(DosingClearanceSerializer({"at": at, **dataclasses.asdict(clearance)}).data)


class ScreeningViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """GET /screenings/{id}/ and POST /screenings/{id}/override/ {"reason", "addressed_findings"} (prescribers)."""

    serializer_class = ScreeningSerializer

    def scoped_queryset(self) -> QuerySet[Screening]:
        user = self.request.user
        if not can_view_clinical(user) or user.is_patient_user:
            return Screening.objects.none()
        return Screening.objects.filter(patient__in=patients_visible_to(user)).select_related(
            "protocol_version", "screened_by", "patient__site"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        screening = self.get_object()
        audit.record("intake.screening.view", patient=screening.patient, obj=screening, details={"via": "api"})
        return Response(ScreeningSerializer(screening).data)

    @extend_schema(request=OverrideInputSerializer, responses=ScreeningSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request: AuthedApiRequest, *args: Any, **kwargs: Any) -> Response:
        screening = self.get_object()
        data = OverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        screening = services.override_screening(
            screening,
            request.user,
            data.validated_data["reason"],
            addressed=data.validated_data["addressed_findings"],
        )
        screening.refresh_from_db()
        return Response(ScreeningSerializer(screening).data)
