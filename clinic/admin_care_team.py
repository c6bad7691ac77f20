"""Care teams in the admin: a row on the patient's page, and a page of their own. Every change goes through the
care-team services, which ask clinic.care_team who may make it and audit it; the forms ask the same questions
first, so that a refusal comes back beside the field with what was chosen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from clinic import services
from clinic.admin_base import ClinicModelAdmin, adopt, is_admin, staff_of
from clinic.care_team import can_manage_care_team, member_refusal, staff_or_members
from clinic.http import user_of
from clinic.models import STAFF_ROLES, CareTeamMember, Patient, User

NOT_YOURS = "You may not change the care team of this patient."


class CareTeamMemberForm(forms.ModelForm[CareTeamMember]):
    """A member to add; who is choosing (`by`) is set by the admin that builds the form."""

    by: Any = None

    class Meta:
        model = CareTeamMember
        fields = ("patient", "user", "is_primary")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "user" in self.fields:
            self.fields["user"].disabled = True  # an existing member is removed, not swapped for someone else

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        patient: Patient | None = data.get("patient") or getattr(self.instance, "patient", None)
        member: User | None = data.get("user")
        if self.instance.pk or patient is None:
            return data
        if not can_manage_care_team(self.by, patient):
            self.add_error("patient" if "patient" in self.fields else None, NOT_YOURS)
        elif member is not None:
            refusal = member_refusal(patient, member)
            if refusal:
                self.add_error("user", refusal)
        return data


class CareTeamInline(admin.TabularInline[CareTeamMember, Patient]):
    model = CareTeamMember
    form = CareTeamMemberForm
    extra = 1
    fields = ("user", "role", "is_primary", "added_at")
    readonly_fields = ("role", "added_at")
    verbose_name = "care team member"
    verbose_name_plural = "Care team (a therapist sees only the patients whose team they are on)"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        form: Any = formset.form  # a class made for this request by the formset factory
        form.by = request.user
        if obj is not None:
            form.base_fields["user"].queryset = staff_or_members(obj)
        wrapper = form.base_fields["user"].widget  # pick a colleague here; accounts are made on the Users page
        wrapper.can_add_related = wrapper.can_change_related = wrapper.can_view_related = False
        form.base_fields["user"].label = "Staff member"
        form.base_fields["is_primary"].label = "Primary contact"
        return formset

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and can_manage_care_team(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and can_manage_care_team(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and can_manage_care_team(request.user, obj)


def save_care_team(request: HttpRequest, patient: Patient, formset: Any) -> None:
    """Apply the inline's rows through the services: removals, additions, and the primary flag."""
    by: User = user_of(request)
    formset.save(commit=False)
    for deleted in formset.deleted_objects:
        services.remove_care_team_member(by=by, patient=patient, member=deleted.user)
    for entry in formset.new_objects:
        services.add_care_team_member(by=by, patient=patient, member=entry.user, is_primary=entry.is_primary)
    for entry, changed in formset.changed_objects:
        if "is_primary" in changed:
            services.set_primary_care_team_member(
                by=by, patient=patient, member=entry.user, is_primary=entry.is_primary
            )


@admin.register(CareTeamMember)
class CareTeamMemberAdmin(ClinicModelAdmin):
    """Care teams at a glance, with adding and removing; also on each patient's page."""

    form = CareTeamMemberForm
    list_display = ("patient", "user", "role", "is_primary", "added_at")
    list_filter = ("role", "is_primary", "patient__site")
    search_fields = ("patient__mrn", "patient__family_name", "user__username", "user__last_name")
    list_select_related = ("patient", "user")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)  # a class made for this request
        form.by = request.user
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            people = User.objects.all() if request.user.is_superuser else staff_of(request.user)
            kwargs["queryset"] = people.filter(is_active=True, role__in=STAFF_ROLES).order_by("last_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (
            ("patient", "user", "is_primary") if obj is None else ("patient", "user", "role", "is_primary", "added_at")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return is_admin(request)
        return can_manage_care_team(request.user, obj.patient)

    def save_model(self, request: HttpRequest, obj: CareTeamMember, form: Any, change: bool) -> None:
        saved = services.add_care_team_member(
            by=user_of(request),
            patient=form.cleaned_data["patient"],
            member=form.cleaned_data["user"],
            is_primary=form.cleaned_data.get("is_primary", False),
        )
        adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: CareTeamMember) -> None:
        services.remove_care_team_member(by=user_of(request), patient=obj.patient, member=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CareTeamMember]) -> None:
        for entry in queryset.select_related("patient", "user"):
            self.delete_model(request, entry)
