"""The one sign-in: password, then (when the account has or needs it) the second step, for staff, patients and
the admin alike (the admin's /admin/login/ is this view)."""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp import login as otp_login
from django_otp.models import Device

from clinic.errors import InvalidInput
from clinic.models import User
from clinic.security import mfa
from clinic.security.forms import CodeForm, EnrolForm
from clinic.security.lockout import lockout_response

PENDING = "security_pending_sign_in"
PENDING_SECONDS = 10 * 60
SIGNED_OUT_REASONS = {
    "idle": "You were signed out after a time without activity. Sign in again to continue.",
    "absolute": "You were signed out because you had been signed in for a long time. Sign in again to continue.",
    "two-step": "Please sign in again and confirm it is you with your second step.",
}


class SignInView(LoginView):
    """Password first. With a second step to take (or to set up), the person is not signed in yet: the session
    remembers who passed the password for a few minutes, and the next page asks for the code."""

    template_name = "registration/login.html"
    portal = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["signed_out_reason"] = SIGNED_OUT_REASONS.get(self.request.GET.get("signed_out", ""))
        context["portal"] = self.portal
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.get_user()
        if mfa.is_enrolled(user) or mfa.required_for(user):
            self.request.session.cycle_key()
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("security:sign_in_code" if mfa.is_enrolled(user) else "security:sign_in_enrol")
        return super().form_valid(form)


class PortalSignInView(SignInView):
    template_name = "registration/portal_login.html"
    portal = True


def pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user: User | None = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user


def _finish(request: HttpRequest, user: User, device: Device | None) -> str:
    pending = request.session.pop(PENDING, {})
    auth_login(request, user, backend=pending.get("backend"))
    if device is not None:
        otp_login(request, device)
    target = str(pending.get("next") or "")
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = resolve_url(settings.LOGIN_REDIRECT_URL)
    return target


class SignInCodeView(View):
    """The second step: a code from the authenticator app, or a recovery code. Wrong codes count towards the same
    lockout as wrong passwords."""

    template_name = "registration/login_code.html"
    user: User

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = pending_user(request)
        if user is None:
            return redirect("login")
        self.user = user
        self.credentials = {"username": self.user.get_username()}
        if not AxesProxyHandler.is_allowed(request, self.credentials):
            return lockout_response(request, None, self.credentials)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": CodeForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CodeForm(request.POST)
        if form.is_valid():
            device = mfa.verify(self.user, form.cleaned_data["code"])
            if device is not None:
                return HttpResponseRedirect(_finish(request, self.user, device))
            user_login_failed.send(
                sender=__name__, credentials={**self.credentials, "step": "two-step code"}, request=request
            )
            form.add_error(
                "code",
                "That code did not work. App codes change every 30 seconds: type the one showing now, "
                "or one of your recovery codes.",
            )
        return render(request, self.template_name, {"form": form}, status=400)


class SignInEnrolView(View):
    """First sign-in of a staff member who must set up two-step sign-in: scan, type a code, keep the recovery
    codes (shown once), and only then are they signed in."""

    template_name = "registration/mfa_enrol.html"
    DEVICE = "security_enrol_device"
    user: User

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user if isinstance(request.user, User) else pending_user(request)
        if user is None:
            return redirect("login")
        self.user = user
        return super().dispatch(request, *args, **kwargs)

    def _enrolment(self) -> mfa.Enrolment:
        device_id = self.request.session.get(self.DEVICE)
        enrolment = mfa.pending_enrolment(self.user, device_id) if device_id else None
        if enrolment is None:
            enrolment = mfa.start_enrolment(self.user)
            self.request.session[self.DEVICE] = enrolment.device.pk
        return enrolment

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, self._context(EnrolForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EnrolForm(request.POST)
        enrolment = self._enrolment()
        if form.is_valid():
            try:
                codes = mfa.confirm_enrolment(self.user, enrolment.device.pk, form.cleaned_data["code"])
            except InvalidInput as exc:
                for field, messages in exc.errors.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                request.session.pop(self.DEVICE, None)
                device = enrolment.device
                if request.user.is_authenticated:
                    otp_login(request, device)
                    next_url = reverse("security:account")
                else:
                    next_url = _finish(request, self.user, device)
                return render(
                    request, "registration/recovery_codes.html", {"codes": codes, "next_url": next_url, "new": True}
                )
        return render(request, self.template_name, self._context(form), status=400)

    def _context(self, form: EnrolForm) -> dict[str, Any]:
        return {"form": form, "enrolment": self._enrolment(), "required": mfa.required_for(self.user)}
