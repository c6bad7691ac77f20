"""A person's own security page: signed-in devices, API tokens, two-step sign-in; and the keep-alive ping."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import View

from clinic import audit
from clinic.errors import InvalidInput
from clinic.http import user_of
from clinic.models import User
from clinic.security import mfa, sessions, tokens
from clinic.security.middleware import idle_seconds_for


class AccountSecurityView(LoginRequiredMixin, View):
    """GET: the page. POST `action`: end_session (with `session`), end_others, revoke_token (with `token`),
    new_recovery_codes, mfa_off."""

    template_name = "registration/account_security.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self._context())

    def _context(self) -> dict[str, Any]:
        user: User = user_of(self.request)
        return {
            "sessions": sessions.list_for(user, self.request.session.session_key),
            "api_tokens": tokens.list_for(user),
            "mfa_enrolled": mfa.is_enrolled(user),
            "mfa_required": mfa.required_for(user),
            "recovery_codes_left": mfa.recovery_codes_left(user),
            "base_template": "portal/base.html" if user.is_patient_user else "staff/base.html",
        }

    def post(self, request: HttpRequest) -> HttpResponse:
        user: User = user_of(request)
        action = request.POST.get("action", "")
        if action == "end_session":
            if sessions.end(user, request.POST.get("session", "")):
                messages.success(request, "That device is signed out.")
        elif action == "end_others":
            count = sessions.end_all(user, reason="signed out of other devices", keep=request.session.session_key)
            messages.success(request, f"Signed out of {count} other device{'s' if count != 1 else ''}.")
        elif action == "revoke_token":
            if tokens.revoke(user, request.POST.get("token", "")):
                messages.success(request, "The API token is revoked; programs using it can no longer connect.")
        elif action == "new_recovery_codes" and mfa.is_enrolled(user):
            codes = mfa.new_recovery_codes(user)
            return render(
                request, "registration/recovery_codes.html", {"codes": codes, "next_url": request.path, "new": False}
            )
        elif action == "mfa_off":
            try:
                mfa.turn_off(user)
            except InvalidInput as exc:
                messages.error(request, " ".join(exc.errors.get("__all__", [exc.message])))
            else:
                messages.success(request, "Two-step sign-in is off for your account.")
        return redirect("security:account")


def keep_alive(request: HttpRequest) -> JsonResponse:
    """POST from the "Stay signed in" button: the request itself counts as activity (SessionPolicyMiddleware)."""
    if request.method != "POST":
        return JsonResponse({"detail": "Use POST."}, status=405)
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse(
        {
            "signed_in": True,
            "idle_seconds": idle_seconds_for(request.user),
            "warn_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
        }
    )


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, the person's own: the change is audited (`clinic.user.password_change`); the
    signal in clinic.security.signals then revokes the person's tokens and other sessions."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user: User = form.user
        audit.record(
            "clinic.user.password_change",
            obj=user,
            patient=user.patient_id,
            actor=user,
            details={"via": "self-service"},
        )
        return response


class AuditedPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password from a reset link: audited as the person's own change (nobody is signed in)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user: User = form.user
        audit.record(
            "clinic.user.password_change", obj=user, patient=user.patient_id, actor=user, details={"via": "reset link"}
        )
        return response
