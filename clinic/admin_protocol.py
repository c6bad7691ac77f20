"""Protocol versions in the admin: a structured form, the differences to confirm, then a new version.

Versions are append-only: "Add" starts from the site's active version (or any earlier one, `?from=`), shows every
setting in words (clinic.protocol_forms), and on "Review the changes" lists what differs from the active version.
Only "Publish" saves, through services.publish_protocol_version, which numbers the version, swaps the active one
under a lock and audits it. A version already used by a decision never changes; one can start a new version from
it. If someone else published meanwhile, the differences are shown again against the new active version.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from pydantic import ValidationError as PydanticValidationError

from clinic import services
from clinic.admin_base import ClinicModelAdmin
from clinic.errors import DomainError, InvalidInput
from clinic.http import user_of
from clinic.models import ProtocolVersion, Site
from clinic.protocol import Protocol
from clinic.protocol_forms import ProtocolSettingsForm, default_settings, differences, read_only_layout
from clinic.scoping import sites_of

TEMPLATES = "admin/clinic/protocolversion"
CHOOSE_SITE = "Choose one of your sites."


def _settings_of(version: ProtocolVersion | None) -> dict[str, Any]:
    """A version's settings, completed with the defaults of settings added since it was saved."""
    if version is None:
        return default_settings()
    try:
        return Protocol.model_validate(version.settings).to_json()
    except PydanticValidationError:
        return default_settings()


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ClinicModelAdmin):
    list_display = ("__str__", "site", "number", "is_active", "is_locked_display", "change_summary", "created_at")
    list_filter = ("site", "is_active")
    search_fields = ("change_summary", "site__name")
    actions = ["activate_selected"]
    readonly_fields = ("site", "number", "is_active", "first_used_at", "created_by", "created_at", "change_summary",
                       "start_from_here", "changes_shown", "settings_shown")  # fmt: skip
    fields = readonly_fields

    class Media:
        css = {"all": ("css/admin-protocol.css",)}

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(site__in=sites_of(user).values("pk"))

    @admin.display(boolean=True, description="Used by a decision")
    def is_locked_display(self, obj: ProtocolVersion) -> bool:
        return obj.is_locked

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- Reading a version ----------------------------------------------------------------------------------------

    @admin.display(description="Start a new version")
    def start_from_here(self, obj: ProtocolVersion) -> str:
        url = reverse("admin:clinic_protocolversion_add")
        return format_html(
            '<a href="{}?site={}&amp;from={}">Start a new version from this one</a>', url, obj.site_id, obj.pk
        )

    @admin.display(description="Changes from the version before")
    def changes_shown(self, obj: ProtocolVersion) -> SafeString:
        before = ProtocolVersion.objects.filter(site_id=obj.site_id, number__lt=obj.number).order_by("-number").first()
        changes = differences(_settings_of(before) if before else default_settings(), _settings_of(obj))
        return render_to_string(f"{TEMPLATES}/differences.html", {"changes": changes, "before": before})

    @admin.display(description="Settings")
    def settings_shown(self, obj: ProtocolVersion) -> SafeString:
        layout = read_only_layout(_settings_of(obj))
        return render_to_string(f"{TEMPLATES}/settings_table.html", {"layout": layout})

    # --- Making a new version -------------------------------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        sites = sites_of(request.user)
        site = self._site(sites, source.get("site", ""))
        if site is None:
            return self._render(request, "choose_site.html", sites=sites, invalid=bool(source.get("site")))
        active = ProtocolVersion.objects.filter(site=site, is_active=True).first()
        start_version = self._start_version(site, source.get("from", ""), active)
        start = _settings_of(start_version)
        context = {"site": site, "active": active, "start_version": start_version}
        if request.method != "POST":
            return self._render(request, "protocol_form.html", form=ProtocolSettingsForm(start=start), **context)
        form = ProtocolSettingsForm(request.POST, start=start)
        if "_edit" in request.POST or not form.is_valid():
            return self._render(request, "protocol_form.html", form=form, **context)
        changes = differences(_settings_of(active), form.settings_json())
        if not changes:
            form.add_error(None, "Nothing differs from the active version: change a setting first.")
            return self._render(request, "protocol_form.html", form=form, **context)
        current = str(active.pk) if active else ""
        if "_publish" in request.POST and request.POST.get("base", "") == current:
            return self._publish(request, site, form, context)
        if "_publish" in request.POST:
            messages.warning(request, "Someone published a new version meanwhile: check the differences again.")
        return self._render(request, "confirm.html", form=form, changes=changes, base=current, **context)

    def _publish(self, request: HttpRequest, site: Site, form: ProtocolSettingsForm, context: dict[str, Any]) -> Any:
        try:
            version = services.publish_protocol_version(
                by=user_of(request),
                site=site,
                settings=form.settings_json(),
                change_summary=form.cleaned_data["change_summary"],
                activate=form.cleaned_data["activate"],
            )
        except InvalidInput as exc:
            for key, errors in exc.errors.items():
                name = key.removeprefix("settings.")
                form.add_error(name if name in form.fields else None, errors)
            return self._render(request, "protocol_form.html", form=form, **context)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self._render(request, "protocol_form.html", form=form, **context)
        state = "is now the active protocol" if version.is_active else "is saved; it is not active yet"
        messages.success(request, f"Version {version.number} of the protocol of {site.name} {state}.")
        return HttpResponseRedirect(reverse("admin:clinic_protocolversion_change", args=[version.pk]))

    def _site(self, sites: QuerySet[Site], raw: str) -> Site | None:
        if not raw and sites.count() == 1:
            return sites.first()
        return sites.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) <= 12 else None

    def _start_version(self, site: Site, raw: str, active: ProtocolVersion | None) -> ProtocolVersion | None:
        if raw.isdigit() and len(raw) <= 12:
            return ProtocolVersion.objects.filter(site=site, pk=int(raw)).first() or active
        return active

    def _render(self, request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
        opts = self.model._meta
        return TemplateResponse(
            request,
            f"{TEMPLATES}/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": opts,
                "title": "New protocol version",
                "choose_site": CHOOSE_SITE,
                "has_view_permission": self.has_view_permission(request),
                **context,
            },
        )

    @admin.action(description="Make the selected version the site's active protocol")
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[ProtocolVersion]) -> None:
        for version in queryset:
            try:
                services.activate_protocol_version(by=user_of(request), version=version)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{version} is now active.", messages.SUCCESS)
