"""Protocol versions in the admin: append-only; a new version starts from the site's active settings."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from pydantic import ValidationError as PydanticValidationError

from clinic import services
from clinic.admin_base import ClinicModelAdmin, adopt
from clinic.errors import DomainError, InvalidInput
from clinic.models import ProtocolVersion, default_protocol_settings
from clinic.protocol import Protocol, validation_messages
from clinic.scoping import sites_of


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
        adopt(obj, saved)

    @admin.action(description="Make the selected version the site's active protocol")
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[ProtocolVersion]) -> None:
        for version in queryset:
            try:
                services.activate_protocol_version(by=request.user, version=version)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"{version} is now active.", messages.SUCCESS)
