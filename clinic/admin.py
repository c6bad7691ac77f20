"""The Django admin for clinic administrators.

Only clinic_admin users and superusers get in. Reference data (sites, chairs, users, protocol versions) is edited
here; clinical records are read-only and change only through the services, so rules and audit always apply.
Every change made here is audited like any other.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from clinic import admin_audit, admin_protocol, audit, services  # noqa: F401 (the other modules register admins)
from clinic.admin_base import ClinicModelAdmin, ReadOnlyModelAdmin, adopt, staff_of
from clinic.admin_care_team import CareTeamInline, save_care_team
from clinic.errors import InvalidInput
from clinic.http import user_of
from clinic.models import Chair, Notification, Patient, PortalInvitation, Role, Site, User
from clinic.scoping import patients_visible_to, sites_of


class ChairInline(admin.TabularInline[Chair, Site]):
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

    def save_model(self, request: HttpRequest, obj: Patient, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.PATIENT_FIELDS}
        try:
            if change:
                saved = services.update_patient(by=user_of(request), patient=obj, data=data)
            else:
                data = {n: form.cleaned_data[n] for n in services.PATIENT_FIELDS if n in form.cleaned_data}
                saved = services.register_patient(by=None, site=form.cleaned_data["site"], data=data)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        adopt(obj, saved)

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [CareTeamInline] if obj is not None else []  # the team is built once the patient exists

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        save_care_team(request, form.instance, formset)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User], ClinicModelAdmin):
    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        """Staff of the administrator's sites, and the portal accounts of their patients."""
        staff = staff_of(user).values("pk")
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
                "fields": ("username", "password1", "password2", "role", "sites"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        """A new account here is a staff account: patients set up theirs from an invitation (clinic/invitations.py),
        sent from the staff patient page."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "role" in form.base_fields:
            role: Any = form.base_fields["role"]
            role.choices = [(value, label) for value, label in role.choices if value != Role.PATIENT]
            role.help_text = "Patients are not added here: invite them from their page (Portal account)."
        if obj is not None:
            return _account_stays_what_it_is(form, is_patient=obj.role == Role.PATIENT)
        return form

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
        if not change and obj.role == Role.PATIENT:  # the add form offers no such role; a forged post gets here
            raise InvalidInput({"role": "Patients set up their account from an invitation."})
        super().save_model(request, obj, form, change)
        audit.record(
            "clinic.user.update" if change else "clinic.user.create",
            obj=obj,
            details={"via": "admin", "fields": [f for f in form.changed_data if "password" not in f]},
        )


def _account_stays_what_it_is(form: Any, *, is_patient: bool) -> Any:
    """The change form of an account, refusing (beside the field, with what was typed kept) to turn a staff account
    into a patient's portal account or the reverse: a patient's account comes from an invitation, and a staff
    member linked to a patient's record would see it as that patient."""

    def clean(self: Any) -> dict[str, Any]:
        cleaned: dict[str, Any] = form.clean(self)
        role = cleaned.get("role")
        if role is not None and (role == Role.PATIENT) != is_patient:
            self.add_error(
                "role",
                "A staff account cannot become a patient's portal account: invite the patient from their page "
                "(Portal account)."
                if not is_patient
                else "A patient's portal account cannot become a staff account: add the staff member as a new account.",
            )
        if not is_patient and cleaned.get("patient") is not None:
            self.add_error("patient", "Only a patient's portal account is linked to a patient's record.")
        return cleaned

    return type("AccountForm", (form,), {"clean": clean})


@admin.register(Notification)
class NotificationAdmin(ReadOnlyModelAdmin):
    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(
            Q(patient__in=patients_visible_to(user).values("pk"))
            | Q(patient__isnull=True, recipient__in=staff_of(user).values("pk"))
        )

    list_display = (
        "created_at", "recipient", "kind", "severity", "title", "patient", "read_at", "acknowledged_at",
        "acknowledged_by", "delivered_at",
    )  # fmt: skip
    list_filter = ("kind", "severity", "created_at", "acknowledged_at")
    search_fields = ("title", "recipient__username", "patient__mrn")
    date_hierarchy = "created_at"


@admin.register(PortalInvitation)
class PortalInvitationAdmin(ReadOnlyModelAdmin):
    """Who was invited to the portal, when, and whether the link was used (clinic/invitations.py). Never the link."""

    list_display = ("created_at", "patient", "email", "created_by", "sent_at", "expires_at", "used_at", "replaced_at")
    list_filter = ("created_at", "used_at", "replaced_at")
    search_fields = ("patient__mrn", "patient__family_name", "email")
    list_select_related = ("patient", "created_by")
    exclude = ("token_hash",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "token_hash"]
