"""REST API base classes and the core endpoints (patients, chairs, care teams).

Every viewset that serves patient data derives from `ScopedViewSet`, which funnels its queryset through
clinic.scoping; tests/clinic/test_url_scoping.py fails if a URL reaches patient data any other way. Its schema class
(clinic.api_schema) documents the error answers of every operation beside the operation's own answer.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clinic import audit, invitations, patient_search, services
from clinic.api_schema import ClinicAutoSchema
from clinic.audit import audit_context
from clinic.domain import require
from clinic.errors import DomainError, InvalidInput
from clinic.http import AuthedApiRequest
from clinic.models import CareTeamMember, Chair, Patient, Role, Site, User
from clinic.scoping import (
    can_add_chairs,
    can_manage_care_team,
    can_register_patients,
    can_view_clinical,
    chairs_visible_to,
    get_patient_for,
    note_refused,
    patients_visible_to,
    sites_of,
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler plus domain errors: 400 with field errors, 403, or 409 `{"code", "detail"}`."""
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "detail": exc.message}
        if exc.details:
            body.update(exc.details)
        return Response(body, status=exc.status)
    return drf_exception_handler(exc, context)


@csrf_exempt  # it changes nothing; a POST to a mistyped URL gets the same JSON 404 as a GET
def unknown_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other URL under /api/v1/ (an id that is not a number, a path that does not exist): the API's 404 in
    JSON, as every other API answer, rather than the site's page."""
    return JsonResponse({"code": "not_found", "detail": "No such endpoint."}, status=404)


class Metadata(SimpleMetadata):
    """The answer to OPTIONS: the endpoint's name, description and media types. The forms of its actions are left
    out (the schema documents them): they would be built from `serializer_class`, which a viewset whose actions each
    name their own serializers does not set."""

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        return {}


class ScopedViewSet(viewsets.GenericViewSet[Any]):
    """Base of every viewset: the queryset comes from `scoped_queryset(user)`, which must use clinic.scoping.

    It also re-binds the audit context once DRF has authenticated the request (token users are only known here).
    The API requires a signed-in user (IsAuthenticated), so `self.request.user` is a User.
    """

    request: AuthedApiRequest
    schema = ClinicAutoSchema()
    metadata_class = Metadata

    def scoped_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.scoped_queryset()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self._audit_ctx = audit_context(
            user=request.user if request.user.is_authenticated else None,
            request_id=getattr(request._request, "request_id", None),
            ip_address=request.META.get("REMOTE_ADDR"),
        )
        self._audit_ctx.__enter__()

    def get_object(self) -> Any:
        """The record of the URL among those in scope; a refused one is noted for the audit trail's refusal."""
        try:
            return super().get_object()
        except Http404:
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            note_refused(self.get_queryset().model, lookup)
            raise

    def answer_page(
        self,
        queryset: QuerySet[Any],
        serializer_class: type[serializers.BaseSerializer[Any]],
        *,
        audit_action: str = "",
    ) -> Response:
        """A list's answer: one page of `queryset` (clinic.pagination), each row through `serializer_class`; with
        `audit_action`, the read is audited once per patient on the page (`audit.record_reads`)."""
        page = self.paginate_queryset(queryset)
        rows = list(page) if page is not None else list(queryset)
        if audit_action:
            audit.record_reads(audit_action, (patient_id_of(row) for row in rows), details={"via": "api"})
        return self.get_paginated_response(serializer_class(rows, many=True).data)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        ctx = getattr(self, "_audit_ctx", None)
        if ctx is not None:
            ctx.__exit__(None, None, None)
            del self._audit_ctx
        return super().finalize_response(request, response, *args, **kwargs)


def patient_id_of(row: Any) -> int | None:
    """The patient a listed record is about: itself, or its `patient_id`."""
    return row.pk if isinstance(row, Patient) else getattr(row, "patient_id", None)


class PatientNestedViewSet(ScopedViewSet):
    """Base of `/patients/{patient_pk}/...` endpoints: the patient is looked up through the scoping helper."""

    clinical = True

    def get_patient(self) -> Patient:
        if not hasattr(self, "_patient"):
            self._patient = get_patient_for(self.request.user, self.kwargs["patient_pk"], clinical=self.clinical)
        return self._patient


class PatientSerializer(serializers.ModelSerializer[Patient]):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False)
    date_of_birth = serializers.DateField(format="%Y-%m-%d", input_formats=["%Y-%m-%d"])
    height_cm = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=50, max_value=260, required=False, allow_null=True
    )
    weight_kg = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=2, max_value=400, required=False, allow_null=True
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex_at_birth",
            "email",
            "phone",
            "site",
            "preferred_reminder_channel",
            "quiet_hours_start",
            "quiet_hours_end",
            "non_clinical_opt_out",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relationship",
            "height_cm",
            "weight_kg",
        ]
        read_only_fields = ["id", "mrn"]

    def validate_date_of_birth(self, value: Any) -> Any:
        from django.utils import timezone

        if value > timezone.localdate():
            raise serializers.ValidationError("Date of birth cannot be in the future.")
        if value.year < 1900:
            raise serializers.ValidationError("Date of birth is before 1900.")
        return value

    def validate_site(self, value: Site) -> Site:
        user = self.context["request"].user
        if not sites_of(user).filter(pk=value.pk).exists():
            raise serializers.ValidationError("You do not work at this site.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "site" not in attrs:
            sites = list(sites_of(self.context["request"].user)[:2])
            if len(sites) != 1:
                raise serializers.ValidationError({"site": "Say which site: you work at more than one."})
            attrs["site"] = sites[0]
        if self.instance is not None and "site" in attrs and attrs["site"] != self.instance.site:
            raise serializers.ValidationError({"site": "A patient cannot be moved to another site here."})
        return attrs


class PatientDemographicsSerializer(PatientSerializer):
    """What front desk sees and edits: no clinical measurements."""

    class Meta(PatientSerializer.Meta):
        fields = [f for f in PatientSerializer.Meta.fields if f not in services.CLINICAL_PATIENT_FIELDS]


class InvitationSerializer(serializers.Serializer[Any]):
    """A portal invitation as sent: never its link."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("q", str, description="Part of the family name, given name or MRN.")],
        responses=PatientSerializer(many=True),
        description="Each patient on the page is an audited read (`clinic.patient.list`).",
    ),
    retrieve=extend_schema(responses=PatientSerializer),
    create=extend_schema(request=PatientSerializer, responses={201: PatientSerializer}),
    partial_update=extend_schema(request=PatientSerializer, responses=PatientSerializer),
)
class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Patients the requester may see. Reads of one record are audited."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    search_fields = ("family_name", "given_name", "mrn")

    def scoped_queryset(self) -> QuerySet[Patient]:
        # The same match as the staff home's search and the patient pickers (one place decides what "matches").
        return patient_search.matching(patients_visible_to(self.request.user), self.request.query_params.get("q", ""))

    def get_serializer_class(self) -> type[PatientSerializer]:
        if can_view_clinical(self.request.user):
            return PatientSerializer
        return PatientDemographicsSerializer

    def _require_staff_writer(self) -> None:
        if not can_register_patients(self.request.user):
            raise PermissionDenied("Your role may not register or edit patients.")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer_page(
            self.filter_queryset(self.get_queryset()), self.get_serializer_class(), audit_action="clinic.patient.list"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        audit.record("clinic.patient.view", patient=patient, obj=patient, details={"via": "api"})
        return Response(self.get_serializer(patient).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_staff_writer()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        site = data.pop("site")
        patient = services.register_patient(by=self.request.user, site=site, data=data)
        return Response(self.get_serializer(patient).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        self._require_staff_writer()
        serializer = self.get_serializer(patient, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("site", None)
        patient = services.update_patient(by=self.request.user, patient=patient, data=data)
        return Response(self.get_serializer(patient).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses={201: InvitationSerializer},
        description="Email the patient a one-time link to set up their portal account (clinic/invitations.py). "
        "400 when the patient has no email address; 409 `already_has_account` or `inactive_patient`; a newer "
        "invitation replaces the open ones.",
    )
    @action(detail=True, methods=["post"])
    def invite(self, request: Request, pk: str) -> Response:
        patient = self.get_object()
        invitation = invitations.invite_patient(by=self.request.user, patient=patient)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class ChairSerializer(serializers.ModelSerializer[Chair]):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())

    class Meta:
        model = Chair
        fields = ["id", "site", "name", "is_active", "notes"]
        read_only_fields = ["id", "is_active"]

    def validate_site(self, value: Site) -> Site:
        if not sites_of(self.context["request"].user).filter(pk=value.pk).exists():
            raise serializers.ValidationError("You do not work at this site.")
        return value


class ChairViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Chairs (treatment rooms) of the requester's sites; clinic administrators add them."""

    serializer_class = ChairSerializer

    def scoped_queryset(self) -> QuerySet[Chair]:
        if self.request.user.is_authenticated and self.request.user.is_patient_user:
            raise PermissionDenied("Patients cannot list chairs.")
        return chairs_visible_to(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_add_chairs(self.request.user):
            raise PermissionDenied("Only a clinic administrator may add chairs.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chair = services.create_chair(
            by=self.request.user,
            site=serializer.validated_data["site"],
            name=serializer.validated_data["name"],
            notes=serializer.validated_data.get("notes", ""),
        )
        return Response(self.get_serializer(chair).data, status=status.HTTP_201_CREATED)


class CareTeamMemberSerializer(serializers.ModelSerializer[CareTeamMember]):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = CareTeamMember
        fields = ["user", "username", "role"]


class CareTeamAddition(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)


class CareTeamViewSet(PatientNestedViewSet):
    """`/patients/{id}/care-team/`: staff who may see the patient read the team; clinic administrators, prescribers
    and nurses of the patient's site change it (clinic.scoping.can_manage_care_team, as the service). A patient's own
    token gets 404: the team's accounts are staff business."""

    clinical = False
    serializer_class = CareTeamMemberSerializer

    def get_patient(self) -> Patient:
        if self.request.user.is_patient_user:
            note_refused(Patient, self.kwargs.get("patient_pk"))
            raise Http404("No such patient.")
        return super().get_patient()

    def scoped_queryset(self) -> QuerySet[CareTeamMember]:
        return CareTeamMember.objects.filter(patient=self.get_patient()).select_related("user").order_by("id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer_page(
            self.get_queryset(), CareTeamMemberSerializer, audit_action="clinic.careteammember.list"
        )

    @extend_schema(
        request=CareTeamAddition,
        responses={201: CareTeamMemberSerializer, 200: CareTeamMemberSerializer},
        description="Add a staff member of the patient's site: 201, or 200 when they are on the team already.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self._managed_patient()
        data = CareTeamAddition(data=request.data)
        data.is_valid(raise_exception=True)
        member = (
            User.objects.filter(username=data.validated_data["username"], is_active=True, sites=patient.site_id)
            .exclude(role=Role.PATIENT)
            .first()
        )
        if member is None:
            raise InvalidInput({"username": "No active staff member of the patient's site has this username."})
        entry = patient.care_team.filter(user=member).select_related("user").first()
        if entry is not None:
            return Response(CareTeamMemberSerializer(entry).data, status=status.HTTP_200_OK)
        entry = services.add_care_team_member(by=self.request.user, patient=patient, member=member)
        return Response(CareTeamMemberSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self._managed_patient()
        entry = patient.care_team.filter(user_id=kwargs["user_id"]).select_related("user").first()
        if entry is None:
            raise Http404("No such member of the care team.")
        services.remove_care_team_member(by=self.request.user, patient=patient, member=entry.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _managed_patient(self) -> Patient:
        """The patient (404 if unseen), once the requester may change their care team (403 otherwise)."""
        patient = self.get_patient()
        require(
            can_manage_care_team(self.request.user, patient),
            "Only a prescriber, nurse or clinic administrator of the patient's site may change the care team.",
        )
        return patient
