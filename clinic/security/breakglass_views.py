"""The staff page where a prescriber opens a patient outside their sites (linked from the "not found" page)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from clinic.errors import DomainError, InvalidInput
from clinic.http import user_of
from clinic.models import Role
from clinic.security import breakglass
from clinic.security.forms import BreakGlassForm
from clinic.security.models import BreakGlassGrant
from clinic.views import StaffView


class BreakGlassView(StaffView):
    template_name = "staff/break_glass.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and request.user.role != Role.PRESCRIBER:
            raise Http404("Not available for your role.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, self.template_name, self._context(BreakGlassForm(initial={"mrn": request.GET.get("mrn", "")}))
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BreakGlassForm(request.POST)
        if form.is_valid():
            try:
                patient = breakglass.find_patient(form.cleaned_data["mrn"])
                grant = breakglass.open_grant(by=user_of(request), patient=patient, reason=form.cleaned_data["reason"])
            except InvalidInput as exc:
                for field, messages in exc.errors.items():
                    form.add_error(field if field in form.fields else None, messages)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return HttpResponseRedirect(reverse("staff:patient_detail", args=[grant.patient_id]))
        return render(request, self.template_name, self._context(form), status=400)

    def _context(self, form: BreakGlassForm) -> dict[str, Any]:
        grants = BreakGlassGrant.objects.active().filter(user_id=int(self.request.user.pk or 0))
        return {"form": form, "grants": grants.select_related("patient")}
