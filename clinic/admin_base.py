"""The base classes of every admin page: role-based permissions, scoping to the administrator's sites, and audited
reads of patient data.

Reads are audited here once for every model that reaches a patient, so that a model registered tomorrow is
audited without anyone remembering to: a change view is one `<app>.<model>.view` entry, a list page one
`<app>.<model>.list` entry per patient shown. A record the administrator may not see answers like a missing one
(Django's "does not exist" notice), and the attempt is recorded as `clinic.access.denied`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from clinic import audit
from clinic.errors import DomainError, InvalidInput
from clinic.models import Chair, Patient, Site, User
from clinic.scoping import chairs_visible_to, patients_visible_to, sites_of

AUTO = "auto"


def is_admin(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and request.user.is_clinic_admin)


def patient_lookup_of(model: type[Model]) -> str | None:
    """How a record reaches its patient: itself (`pk`), `patient`, or one foreign key away (`session__patient`)."""
    if model is Patient:
        return "pk"
    names = {f.name for f in model._meta.get_fields()}
    if "patient" in names:
        return "patient"
    for field in model._meta.fields:
        related = field.related_model
        if related is User or not (field.is_relation and isinstance(related, type)):
            continue  # a user's own patient record is not what a record by that user is about
        if "patient" in {f.name for f in related._meta.fields}:
            return f"{field.name}__patient"
    return None


def staff_of(user: Any) -> QuerySet[User]:
    return User.objects.filter(sites__in=sites_of(user)).distinct()


def choices_for(model: Any, user: Any) -> QuerySet[Any] | None:
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
        return staff_of(user)
    return None


def refusal_text(exc: DomainError) -> str:
    """A service's refusal as sentences for a page: the messages without the field names of InvalidInput."""
    if isinstance(exc, InvalidInput):
        return " ".join(message for messages_ in exc.errors.values() for message in messages_)
    return exc.message


class ScopedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """The values of the records in scope only. Shown even with a single value: Django drops a filter without
    output together with its parameter, so that a link filtering on another value would silently show all."""

    def has_output(self) -> bool:
        return True


def scoped_filter(model: type[Model], entry: Any) -> Any:
    if not isinstance(entry, str):
        return entry
    try:
        field = get_fields_from_path(model, entry)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return entry
    return (entry, ScopedRelatedFilter) if field.is_relation else entry


def _action(model: type[Model] | Model, verb: str) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}.{verb}"


class ClinicModelAdmin(admin.ModelAdmin[Any]):
    """Role-based permissions (not per-model Django perms), an audit entry for every change and every read of
    patient data made here, and the same access scoping as everywhere else: a clinic administrator sees the
    records of their own sites only (clinic.scoping); superusers see everything. Models that do not reach a
    patient override `scope`."""

    editable = True
    patient_lookup: str | None = AUTO  # the ORM path from a record to its patient; found by itself when AUTO
    read_action: str = ""  # the audit action of a read (`app.object.view`); from the model's name when empty

    def __init__(self, model: type[Model], admin_site: Any) -> None:
        super().__init__(model, admin_site)
        if self.patient_lookup == AUTO:
            self.patient_lookup = patient_lookup_of(model)

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        if self.patient_lookup is None:
            raise ImproperlyConfigured(f"{type(self).__name__} must say how its records are scoped (override scope).")
        return qs.filter(**{f"{self.patient_lookup}__in": patients_visible_to(user).values("pk")})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return self.scope(qs, request.user)

    def get_list_filter(self, request: HttpRequest) -> Any:
        """Filters on a related record (site, chair, person) offer only the values of the records in scope, not
        every site's chairs and staff."""
        return [scoped_filter(self.model, entry) for entry in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = choices_for(db_field.related_model, request.user)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = choices_for(db_field.related_model, request.user)
        if choices is not None:
            kwargs.setdefault("queryset", choices)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.editable and is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.editable and is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            _action(obj, "update" if change else "create"),
            obj=obj,
            details={"via": "admin", "fields": list(form.changed_data)},
        )

    # --- Refusals from the services ----------------------------------------------------------------------------
    # Forms ask the services' rules before saving; a rule that still refuses at save time (someone else changed
    # the record meanwhile) rolls the whole change back and comes back as a message, never as a server error.

    def _refusal_as_message(self, request: HttpRequest, exc: DomainError) -> HttpResponse:
        self.message_user(request, refusal_text(exc), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            return self._refusal_as_message(request, exc)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            return self._refusal_as_message(request, exc)

    # --- Audited reads ------------------------------------------------------------------------------------------

    def _patients_of(self, pks: list[Any]) -> list[int]:
        """The patient of each record in `pks` (one query), for records that reach a patient."""
        if self.patient_lookup is None or not pks:
            return []
        path = self.patient_lookup
        values = self.model._default_manager.filter(pk__in=pks).values_list(path, flat=True)
        return [pk for pk in values if pk is not None]

    def _read(self, verb: str) -> str:
        return self.read_action.rpartition(".")[0] + f".{verb}" if self.read_action else _action(self.model, verb)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser:
            self._record_refusal(request, object_id)
        return obj

    def _record_refusal(self, request: HttpRequest, object_id: str) -> None:
        """Record an attempt to open an existing record outside the administrator's sites; a missing or malformed
        id is no attempt on anyone's data."""
        try:
            pk = self.model._meta.pk.to_python(object_id)
            existing = self.model._default_manager.filter(pk=pk).first()
        except (ValidationError, ValueError):
            return
        if existing is None:
            return
        patients = self._patients_of([existing.pk])
        audit.record(
            "clinic.access.denied",
            patient=patients[0] if patients else None,
            obj=existing,
            details={"via": "admin", "path": request.path},
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        # Reached only after the scoped lookup found the record: a refused id never gets here.
        patients = self._patients_of([obj.pk]) if obj is not None and request.method == "GET" else []
        if patients:
            audit.record(self._read("view"), patient=patients[0], obj=obj, details={"via": "admin"})
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            response = super().changelist_view(request, extra_context)
        except DomainError as exc:  # an action the services refused
            return self._refusal_as_message(request, exc)
        if request.method == "GET" and isinstance(response, TemplateResponse) and response.context_data:
            changelist = response.context_data.get("cl")
            if changelist is not None:
                self.record_list_read(request, changelist)
        return response

    def record_list_read(self, request: HttpRequest, changelist: Any) -> None:
        """One entry per patient whose records the page shows, with how many of them."""
        rows = Counter(self._patients_of([obj.pk for obj in changelist.result_list]))
        for patient_id, count in sorted(rows.items()):
            audit.record(self._read("list"), patient=patient_id, details={"via": "admin", "rows": count})


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    """Related clinical rows shown on a record's page, never edited there."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(name) for name in self.fields or [f.name for f in self.model._meta.fields]]


class ReadOnlyModelAdmin(ClinicModelAdmin):
    """For clinical records: look, filter and search; never edit here."""

    editable = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]


def adopt(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service saved, for the admin's messages and redirects."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False
    obj._state.db = saved._state.db
