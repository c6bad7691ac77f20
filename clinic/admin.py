"""The Django admin for clinic administrators.

Only clinic_admin users and superusers get in. Reference data (sites, chairs, users, protocol versions) is edited
here; clinical records are read-only and change only through the services, so rules and audit always apply.
Every change made here is audited like any other.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from pydantic import ValidationError as PydanticValidationError

from clinic import audit, services
from clinic.errors import DomainError, InvalidInput
from clinic.models import (
    AuditEvent,
    CareTeamMember,
    Chair,
    Notification,
    Patient,
    ProtocolVersion,
    Site,
    User,
    default_protocol_settings,
)
from clinic.protocol import Protocol, validation_messages
from clinic.scoping import chairs_visible_to, patients_visible_to, sites_of


def _is_admin(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and request.user.is_clinic_admin)


def _patient_path(model: type[Model]) -> str | None:
    """How a record reaches its patient: `patient`, or one foreign key away (`session__patient`)."""
    names = {f.name for f in model._meta.get_fields()}
    if "patient" in names:
        return "patient"
    for field in model._meta.fields:
        related = field.related_model
        if field.is_relation and isinstance(related, type) and "patient" in {f.name for f in related._meta.fields}:
            return f"{field.name}__patient"
    return None


def _staff_of(user: Any) -> QuerySet[User]:
    return User.objects.filter(sites__in=sites_of(user)).distinct()


class ClinicModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Role-based permissions (not per-model Django perms), an audit entry for every change made here, and the
    same access scoping as everywhere else: a clinic administrator sees the records of their own sites only
    (clinic.scoping); superusers see everything. Models without a patient override `scope`."""

    editable = True

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        path = _patient_path(self.model)
        if path is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must say how its records are scoped (override scope).")
        return qs.filter(**{f"{path}__in": patients_visible_to(user).values("pk")})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return self.scope(qs, request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", _choices_for(db_field.related_model, request.user))
        if kwargs["queryset"] is None:
            del kwargs["queryset"]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", _choices_for(db_field.related_model, request.user))
        if kwargs["queryset"] is None:
            del kwargs["queryset"]
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.editable and _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.editable and _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _action(self, obj: Model, verb: str) -> str:
        return f"{obj._meta.app_label}.{obj._meta.model_name}.{verb}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            self._action(obj, "update" if change else "create"),
            obj=obj,
            details={"via": "admin", "fields": list(form.changed_data)},
        )


def _choices_for(model: Any, user: Any) -> QuerySet[Any] | None:
    """What a clinic administrator may pick in a form: their sites, their chairs, their patients, their staff."""
    if user.is_superuser:
        return None
    if model is Site:
        return sites_of(user)
    if model is Chair:
        return chairs_visible_to(user)
    if model is Patient:
        return patients_visible_to(user)
    if model is User:
        return _staff_of(user)
    return None


def _adopt(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service saved, for the admin's messages and redirects."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False
    obj._state.db = saved._state.db


class ReadOnlyModelAdmin(ClinicModelAdmin):
    """For clinical records: look, filter and search; never edit here."""

    editable = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


class ScopedChoicesInline:
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = _choices_for(db_field.related_model, request.user)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ChairInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Chair
    extra = 0
    fields = ("name", "is_active", "notes")


@admin.register(Site)
class SiteAdmin(ClinicModelAdmin):
    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(pk__in=sites_of(user).values("pk"))

    list_display = ("name", "code", "time_zone", "phone", "chair_count")
    search_fields = ("name", "code")
    list_filter = ("time_zone",)
    inlines = [ChairInline]

    @admin.display(description="Chairs")
    def chair_count(self, obj: Site) -> int:
        return obj.chairs.filter(is_active=True).count()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save()
        for chair in instances:
            audit.record("clinic.chair.update", obj=chair, details={"via": "admin", "name": chair.name})


@admin.register(Chair)
class ChairAdmin(ClinicModelAdmin):
    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(site__in=sites_of(user).values("pk"))

    list_display = ("name", "site", "is_active", "notes")
    list_filter = ("site", "is_active")
    search_fields = ("name", "site__name")
    list_editable = ("is_active",)


class CareTeamInline(ScopedChoicesInline, admin.TabularInline):  # type: ignore[type-arg]
    model = CareTeamMember
    extra = 0
    fields = ("user", "role", "is_primary", "added_at")
    readonly_fields = ("added_at",)
    autocomplete_fields = ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)


@admin.register(Patient)
class PatientAdmin(ClinicModelAdmin):
    """Demographics and care team; saved through the patient services (validation, MRN, audit)."""

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(pk__in=patients_visible_to(user).values("pk"))

    list_display = ("mrn", "family_name", "given_name", "date_of_birth", "site", "is_active", "created_at")
    list_filter = ("site", "is_active", "sex_at_birth", "preferred_reminder_channel")
    search_fields = ("mrn", "family_name", "given_name", "email", "phone")
    readonly_fields = ("mrn", "measured_at", "created_at", "updated_at")
    date_hierarchy = "created_at"
    list_select_related = ("site",)
    inlines = [CareTeamInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "site",
                    "mrn",
                    "given_name",
                    "family_name",
                    "date_of_birth",
                    "sex_at_birth",
                    "is_active",
                )
            },
        ),
        ("Contact", {"fields": ("email", "phone", "preferred_reminder_channel")}),
        (
            "Emergency contact",
            {
                "fields": (
                    "emergency_contact_name",
                    "emergency_contact_relationship",
                    "emergency_contact_phone",
                )
            },
        ),
        ("Measurements", {"fields": ("height_cm", "weight_kg", "measured_at")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "site") if obj else self.readonly_fields

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            patient = Patient.objects.filter(pk=object_id).first()
            if patient is not None:
                audit.record("clinic.patient.view", patient=patient, obj=patient, details={"via": "admin"})
        return super().change_view(request, object_id, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: Patient, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.PATIENT_FIELDS}
        try:
            if change:
                saved = services.update_patient(by=request.user, patient=obj, data=data)  # type: ignore[arg-type]
            else:
                data = {n: form.cleaned_data[n] for n in services.PATIENT_FIELDS if n in form.cleaned_data}
                saved = services.register_patient(by=None, site=form.cleaned_data["site"], data=data)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        _adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        patient = form.instance
        formset.save(commit=False)
        for deleted in formset.deleted_objects:
            services.remove_care_team_member(by=request.user, patient=patient, member=deleted.user)  # type: ignore[arg-type]
        for entry in formset.new_objects:
            services.add_care_team_member(
                by=request.user,  # type: ignore[arg-type]
                patient=patient,
                member=entry.user,
                is_primary=entry.is_primary,
            )
        for entry, changed in formset.changed_objects:
            entry.save()
            audit.record(
                "clinic.careteam.update",
                patient=patient,
                obj=entry,
                details={"via": "admin", "fields": changed},
            )


@admin.register(CareTeamMember)
class CareTeamMemberAdmin(ReadOnlyModelAdmin):
    """Care teams at a glance; they are changed on the patient's page (inline), which audits each change."""

    list_display = ("patient", "user", "role", "is_primary", "added_at")
    list_filter = ("role", "is_primary", "patient__site")
    search_fields = ("patient__mrn", "patient__family_name", "user__username", "user__last_name")
    list_select_related = ("patient", "user")


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ClinicModelAdmin):  # type: ignore[type-arg]
    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        """Staff of the administrator's sites, and the portal accounts of their patients."""
        staff = _staff_of(user).values("pk")
        return qs.filter(Q(pk__in=staff) | Q(patient__in=patients_visible_to(user).values("pk")))

    list_display = ("username", "first_name", "last_name", "role", "credentials", "is_active", "last_login")
    list_filter = ("role", "sites", "is_active", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "patient__mrn")
    filter_horizontal = ("sites",)
    autocomplete_fields = ("patient",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email", "credentials")}),
        ("Role", {"fields": ("role", "sites", "patient")}),
        ("Status", {"fields": ("is_active", "is_superuser", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "password1", "password2", "role", "sites", "patient"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if request.user.is_superuser:
            return self.readonly_fields
        return (*self.readonly_fields, "is_superuser")

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # the form was valid and the password set
            user = User.objects.get(pk=id)
            audit.record("clinic.user.password_change", obj=user, patient=user.patient, details={"via": "admin"})
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "clinic.user.update" if change else "clinic.user.create",
            obj=obj,
            details={"via": "admin", "fields": [f for f in form.changed_data if "password" not in f]},
        )


class ProtocolVersionForm(forms.ModelForm):  # type: ignore[type-arg]
    settings = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "style": "font-family: monospace"}),
        help_text="The whole protocol as JSON. Every number of CLINICAL_RULES.md is here; change what the clinic "
        "decided and say why in the summary. Saving creates a new version; versions already used never change.",
    )

    class Meta:
        model = ProtocolVersion
        fields = ("site", "settings", "change_summary", "is_active")

    def clean_settings(self) -> Any:
        value = self.cleaned_data["settings"]
        try:
            Protocol.model_validate(value)
        except PydanticValidationError as exc:
            raise forms.ValidationError(
                [f"{path}: {message}" for path, message in validation_messages(exc).items()]
            ) from None
        return value

    def _post_clean(self) -> None:
        # The new version is written by services.publish_protocol_version, which numbers it and swaps the active
        # flag under a lock; the model's one-active-version constraint would wrongly refuse it here.
        pass


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ClinicModelAdmin):
    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(site__in=sites_of(user).values("pk"))

    """Protocol versions are append-only: "Add" starts from the site's active settings and saves a new version."""

    form = ProtocolVersionForm
    list_display = (
        "__str__",
        "site",
        "number",
        "is_active",
        "is_locked_display",
        "change_summary",
        "created_at",
    )
    list_filter = ("site", "is_active")
    search_fields = ("change_summary", "site__name")
    actions = ["activate_selected"]

    @admin.display(boolean=True, description="Used by a decision")
    def is_locked_display(self, obj: ProtocolVersion) -> bool:
        return obj.is_locked

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [
            "site",
            "number",
            "pretty_settings",
            "change_summary",
            "is_active",
            "first_used_at",
            "created_by",
        ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["site", "settings", "change_summary", "is_active"]
        return self.get_readonly_fields(request, obj)

    @admin.display(description="Settings")
    def pretty_settings(self, obj: ProtocolVersion) -> str:
        from django.utils.html import format_html

        return format_html("<pre>{}</pre>", json.dumps(obj.settings, indent=2))

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        site_id = request.GET.get("site")
        base = ProtocolVersion.objects.filter(is_active=True)
        base = base.filter(site_id=site_id) if site_id else base
        current = base.order_by("-created_at").first()
        initial["settings"] = current.settings if current else default_protocol_settings()
        initial["is_active"] = True
        return initial

    def save_model(self, request: HttpRequest, obj: ProtocolVersion, form: Any, change: bool) -> None:
        try:
            saved = services.publish_protocol_version(
                by=request.user,  # type: ignore[arg-type]
                site=form.cleaned_data["site"],
                settings=form.cleaned_data["settings"],
                change_summary=form.cleaned_data.get("change_summary", ""),
                activate=form.cleaned_data.get("is_active", True),
            )
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        _adopt(obj, saved)

    @admin.action(description="Make the selected version the site's active protocol")
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[ProtocolVersion]) -> None:
        for version in queryset:
            try:
                services.activate_protocol_version(by=request.user, version=version)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{version} is now active.", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = (
        "occurred_at",
        "actor_username",
        "actor_role",
        "action",
        "patient_id",
        "object_type",
        "object_id",
    )
    list_filter = ("action", "actor_role", ("actor", admin.RelatedOnlyFieldListFilter), "occurred_at")
    search_fields = ("action", "actor_username", "object_id", "request_id", "=patient__id", "patient__mrn")
    date_hierarchy = "occurred_at"
    list_per_page = 100
    show_full_result_count = False

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        """Events about the administrator's patients, and events without a patient by their sites' staff."""
        return qs.filter(
            Q(patient__in=patients_visible_to(user).values("pk"))
            | Q(patient__isnull=True, actor__in=_staff_of(user).values("pk"))
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        qs = super().get_queryset(request)
        patient = request.GET.get("patient")
        return qs.filter(patient_id=patient) if patient and patient.isdigit() else qs

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        return lookup in {"patient", "patient__id__exact"} or super().lookup_allowed(lookup, value, request)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyModelAdmin):
    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(
            Q(patient__in=patients_visible_to(user).values("pk"))
            | Q(patient__isnull=True, recipient__in=_staff_of(user).values("pk"))
        )

    list_display = ("created_at", "recipient", "kind", "title", "patient", "read_at", "delivered_at")
    list_filter = ("kind", "created_at")
    search_fields = ("title", "recipient__username", "patient__mrn")
    date_hierarchy = "created_at"
