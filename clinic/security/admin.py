"""The admin's views of sign-in security: lockouts (and lifting them), staff two-step sign-in (and resetting it
after a lost phone), signed-in sessions, and break-glass grants. Built on clinic.admin's ClinicModelAdmin, so only
clinic administrators get in, scoped to their sites."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from clinic import audit
from clinic.admin_base import ClinicModelAdmin
from clinic.http import user_of
from clinic.models import STAFF_ROLES, User
from clinic.scoping import sites_of
from clinic.security import breakglass, mfa
from clinic.security.models import BreakGlassGrant, SignedInSession, StaffSignInSecurity


def _accounts_of(user: Any) -> QuerySet[User]:
    """The accounts a clinic administrator looks after: staff of their sites and their sites' patients."""
    sites = sites_of(user)
    return User.objects.filter(sites__in=sites) | User.objects.filter(patient__site__in=sites)


@admin.register(AccessAttempt)
class LockoutAdmin(ClinicModelAdmin):
    """Failed sign-ins by username and address; deleting a row lifts that pause at once."""

    editable = False
    list_display = ("attempt_time", "username", "ip_address", "failures_since_start", "is_paused", "path_info")
    list_filter = ("attempt_time",)
    search_fields = ("username", "ip_address")
    fields = ("username", "ip_address", "user_agent", "path_info", "attempt_time", "failures_since_start")
    readonly_fields = fields
    actions = ["lift"]

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        # Attempts at usernames that match no account are shown too: they are how an attack looks.
        known = User.objects.values("username")
        return qs.exclude(username__in=known) | qs.filter(username__in=_accounts_of(user).values("username"))

    @admin.display(boolean=True, description="Paused now")
    def is_paused(self, obj: AccessAttempt) -> bool:
        from clinic.security.lockout import locked_until

        return locked_until(obj.username or "", obj.ip_address) is not None

    @admin.action(description="Lift the pause (let them try again now)")
    def lift(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        lifted = [{"username": a.username, "ip_address": a.ip_address} for a in queryset]
        queryset.delete()
        audit.record("clinic.user.unlock", details={"attempts": lifted})
        messages.success(request, f"Lifted {len(lifted)} pause(s).")


@admin.register(StaffSignInSecurity)
class StaffSignInSecurityAdmin(ClinicModelAdmin):
    editable = False
    list_display = ("username", "first_name", "last_name", "role", "two_step_set_up", "last_login")
    search_fields = ("username", "first_name", "last_name")
    list_filter = ("role",)
    fields = ("username", "first_name", "last_name", "role", "last_login")
    readonly_fields = fields
    actions = ["reset_two_step"]

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(role__in=STAFF_ROLES, sites__in=sites_of(user)).distinct()

    @admin.display(boolean=True, description="Two-step sign-in set up")
    def two_step_set_up(self, obj: User) -> bool:
        return mfa.is_enrolled(obj)

    @admin.action(description="Reset two-step sign-in (they set it up again at their next sign-in)")
    def reset_two_step(self, request: HttpRequest, queryset: QuerySet[StaffSignInSecurity]) -> None:
        count = 0
        for account in queryset:
            mfa.reset(account, by=user_of(request))
            count += 1
        messages.success(request, f"Two-step sign-in reset for {count} account(s); they are signed out everywhere.")


@admin.register(SignedInSession)
class SignedInSessionAdmin(ClinicModelAdmin):
    editable = False
    list_display = ("user", "signed_in_at", "last_seen_at", "ip_address")
    search_fields = ("user__username", "ip_address")
    list_filter = ("signed_in_at",)
    readonly_fields = ("user", "signed_in_at", "last_seen_at", "ip_address", "user_agent")
    exclude = ("session_key",)

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(user__in=_accounts_of(user))


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(ClinicModelAdmin):
    editable = False
    list_display = ("opened_at", "user", "patient", "expires_at", "ended_at", "is_active")
    list_filter = ("opened_at",)
    search_fields = ("user__username", "user__last_name", "patient__mrn", "patient__family_name")
    readonly_fields = ("user", "patient", "reason", "opened_at", "expires_at", "ended_at", "ended_by")
    actions = ["end_now"]

    def scope(self, qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
        return qs.filter(patient__site__in=sites_of(user))

    @admin.display(boolean=True, description="Active")
    def is_active(self, obj: BreakGlassGrant) -> bool:
        return obj.is_active

    @admin.action(description="End the selected access now")
    def end_now(self, request: HttpRequest, queryset: QuerySet[BreakGlassGrant]) -> None:
        for grant in queryset:
            breakglass.end_grant(grant, by=user_of(request))
        messages.success(request, "The selected access has ended.")
