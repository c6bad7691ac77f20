"""The audit log in the admin: who, what in words, which patient, when in the site's time, from where.

Read-only and append-only like the log itself. A clinic administrator sees the entries about the patients of
their sites and those without a patient written by their sites' staff; superusers see everything. The patient's
name and MRN come from clinic.scoping (patients the viewer may see), so an entry about anyone else shows only the
record number. Looking through the log is recorded once per page (not once per patient listed), and the CSV
export, which streams exactly what the filters and the search select, is recorded with the filters used.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from clinic import audit, times
from clinic.admin_base import ReadOnlyModelAdmin, staff_of
from clinic.admin_filters import DateRangeFilter, PatientSearchFilter, without_nul
from clinic.audit_words import describe
from clinic.models import STAFF_ROLES, AuditEvent, Role, User
from clinic.scoping import patients_visible_to

NOT_FILTERS = {"p", "o", "e", "_changelist_filters"}  # paging and ordering: not what was looked for
ROLE_LABELS = {**dict(Role.choices), "superuser": "Superuser", "system": "System"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ActorFilter(admin.SimpleListFilter):
    title = "who"
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        people = User.objects.all() if request.user.is_superuser else staff_of(request.user)
        people = people.filter(Q(role__in=STAFF_ROLES) | Q(is_superuser=True)).order_by("last_name", "first_name")
        return [(str(user.pk), _person(user, user.role or "superuser")) for user in people]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value() or ""
        if not value:
            return queryset
        return queryset.filter(actor_id=int(value)) if value.isdigit() and len(value) <= 12 else queryset.none()


class ActionFilter(admin.SimpleListFilter):
    title = "what"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).order_by("action").values_list("action", flat=True).distinct()
        return sorted(((code, describe(code)) for code in codes), key=lambda choice: choice[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = without_nul(self.value() or "")
        return queryset.filter(action=value) if value else queryset


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        roles = model_admin.get_queryset(request).order_by("actor_role").values_list("actor_role", flat=True)
        return [(role, ROLE_LABELS.get(role, role)) for role in roles.distinct() if role]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = without_nul(self.value() or "")
        return queryset.filter(actor_role=value) if value else queryset


def _person(user: User | None, role: str, username: str = "") -> str:
    name = (user.get_full_name() if user else "") or (user.get_username() if user else username) or "System"
    label = ROLE_LABELS.get(role, role)
    return f"{name} ({label})" if label and label != name else name


def _zone(name: str | None, default: dt.tzinfo) -> dt.tzinfo:
    try:
        return ZoneInfo(name) if name else default
    except (ZoneInfoNotFoundError, ValueError):
        return default


def local_time(event: AuditEvent, default: dt.tzinfo | None = None) -> str:
    """When it happened, in the time zone of the patient's site (or the viewer's), with the zone's name."""
    zone = _zone(getattr(event, "patient_zone", None), default or timezone.get_current_timezone())
    return times.site_datetime(event.occurred_at, zone)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


CSV_COLUMNS = (
    "occurred_at_utc", "local_time", "who", "username", "role", "action", "what", "patient_id", "patient_mrn",
    "patient_name", "object_type", "object_id", "ip_address", "request_id", "details",
)  # fmt: skip


def csv_lines(events: Iterable[AuditEvent], zone: dt.tzinfo) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events:
        actor = event.actor
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    event.occurred_at.astimezone(dt.UTC).isoformat(),
                    local_time(event, zone),
                    (actor.get_full_name() if actor else "") or event.actor_username or "System",
                    event.actor_username,
                    ROLE_LABELS.get(event.actor_role, event.actor_role),
                    event.action,
                    describe(event.action, event.details),
                    event.patient_id,
                    getattr(event, "patient_mrn", None),
                    getattr(event, "patient_name", None),
                    event.object_type,
                    event.object_id,
                    event.ip_address,
                    event.request_id,
                    json.dumps(event.details, sort_keys=True),
                )
            ]
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    change_list_template = "admin/clinic/auditevent/change_list.html"
    list_display = ("when", "who", "what", "patient_shown", "from_where")
    list_filter = (DateRangeFilter, PatientSearchFilter, ActorFilter, ActionFilter, RoleFilter)
    show_facets = admin.ShowFacets.NEVER  # counting every choice over the whole log is too slow to offer
    search_fields = ("action", "actor_username", "object_id", "request_id", "patient__mrn")
    list_select_related = ("actor",)
    list_per_page = 100
    show_full_result_count = False
    fields = ("when", "who", "what", "patient_shown", "object_shown", "from_where", "action", "details_shown")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields)

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        """Events about the administrator's patients, and events without a patient by their sites' staff."""
        return qs.filter(
            Q(patient__in=patients_visible_to(user).values("pk"))
            | Q(patient__isnull=True, actor__in=staff_of(user).values("pk"))
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        visible = patients_visible_to(request.user).filter(pk=OuterRef("patient_id"))
        name = Concat("family_name", Value(", "), "given_name", output_field=CharField())
        events: QuerySet[Any] = super().get_queryset(request)
        annotated: QuerySet[Any] = events.annotate(
            patient_mrn=Subquery(visible.values("mrn")[:1]),
            patient_name=Subquery(visible.annotate(name=name).values("name")[:1]),
            patient_zone=Subquery(visible.values("site__time_zone")[:1]),
        )
        return annotated

    @admin.display(description="When", ordering="occurred_at")
    def when(self, obj: AuditEvent) -> str:
        return local_time(obj)

    @admin.display(description="Who")
    def who(self, obj: AuditEvent) -> str:
        return _person(obj.actor, obj.actor_role, obj.actor_username)

    @admin.display(description="What")
    def what(self, obj: AuditEvent) -> str:
        return describe(obj.action, obj.details)

    @admin.display(description="Patient")
    def patient_shown(self, obj: AuditEvent) -> str:
        if obj.patient_id is None:
            return "—"
        mrn = getattr(obj, "patient_mrn", None)
        if not mrn:
            return f"Patient #{obj.patient_id}"
        return format_html('<a href="?patient={}">{} ({})</a>', obj.patient_id, obj.patient_name, mrn)  # type: ignore[attr-defined]

    @admin.display(description="From where")
    def from_where(self, obj: AuditEvent) -> str:
        if not obj.request_id:
            return obj.ip_address or "—"
        return format_html(
            '{}<br><a href="?q={}" title="All entries of request {}">request {}</a>',
            obj.ip_address or "no address",
            obj.request_id,
            obj.request_id,
            obj.request_id[:8],
        )

    @admin.display(description="Record")
    def object_shown(self, obj: AuditEvent) -> str:
        return f"{obj.object_type} #{obj.object_id}" if obj.object_type else "—"

    @admin.display(description="Details")
    def details_shown(self, obj: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.details, indent=2, sort_keys=True))

    # --- Looking through the log, and exporting it -----------------------------------------------------------------

    @staticmethod
    def _filters(request: HttpRequest) -> dict[str, str]:
        return {k: without_nul(str(v)) for k, v in request.GET.items() if k not in NOT_FILTERS}

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return super().changelist_view(request, {"title": "Audit log", **(extra_context or {})})

    def record_list_read(self, request: HttpRequest, changelist: Any) -> None:
        audit.record("clinic.auditevent.list", details={"via": "admin", "filters": self._filters(request)})

    def get_urls(self) -> list[Any]:
        export = path("export/", self.admin_site.admin_view(self.export_view), name="clinic_auditevent_export")
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, "These filters cannot be exported; clear them and try again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:clinic_auditevent_changelist"))
        audit.record("clinic.auditevent.export", details={"via": "admin", "filters": self._filters(request)})
        events = changelist.queryset.iterator(chunk_size=500)
        response = StreamingHttpResponse(csv_lines(events, timezone.get_current_timezone()), content_type="text/csv")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        return response
