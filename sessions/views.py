"""Staff screens of the sessions app: the day board, the session page a nurse keeps open during an infusion (with
the forms it posts), REMS forms due, and calendar files. Booking is sessions/booking_views.py.

Views derive from clinic.views.StaffView / PatientScopedView and read only through sessions.queries and
clinic.scoping. Every change is one service call; a refusal is shown as a message (or inline, for the htmx
fragments) with the service's words. Front desk sees the board and the schedule part of a session, never its
clinical part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import BaseForm, Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from clinic import audit
from clinic.domain import local_day
from clinic.errors import DomainError
from clinic.form_posts import FormPostMixin, PostedFromPageMixin, error_sentences
from clinic.http import AuthedRequest
from clinic.models import Site, User
from clinic.params import day_from_query
from clinic.protocol import Protocol, Route
from clinic.scoping import can_view_clinical, sites_of
from clinic.services import current_protocol
from clinic.views import StaffView
from intake.services import is_cleared_for_dosing
from sessions import calendar, permissions, queries, services
from sessions.forms import (
    AdverseEventForm,
    CheckInForm,
    DischargeForm,
    DissociationForm,
    DoseForm,
    ReasonForm,
    RemsSubmissionForm,
    RequiredReasonForm,
    VitalsForm,
)
from sessions.models import CheckIn, Discharge, DosingSession, SessionStatus, VitalSign

SESSION_TEMPLATE = "staff/sessions/session.html"


# --- The day board ----------------------------------------------------------------------------------------------


class BoardView(StaffView, TemplateView):
    """One lane per chair, sessions as blocks coloured by status; the board refreshes itself every 30 s (htmx)."""

    request: AuthedRequest

    template_name = "staff/sessions/board.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sites = list(sites_of(self.request.user).order_by("name"))
        if not sites:
            raise Http404("You work at no site.")
        site = next((s for s in sites if str(s.pk) == self.request.GET.get("site")), sites[0])
        day = day_from_query(self.request, local_day(site, timezone.now()))
        board = queries.day_board(self.request.user, site, day)
        context.update(
            board=board,
            board_svg=mark_safe(board.svg),  # noqa: S308 - built by clinic.charts, which escapes every text
            sites=sites,
            site=site,
            day=day,
            previous_day=day - dt.timedelta(days=1),
            next_day=day + dt.timedelta(days=1),
            site_tz=site.time_zone,
            can_book=permissions.can_book(self.request.user),
            show_rems=can_view_clinical(self.request.user),
            statuses=SessionStatus,
        )
        return context

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return [f"{self.template_name}#board"]
        return [self.template_name]


# --- The session page -------------------------------------------------------------------------------------------


class SessionPage(StaffView):
    """A view of one dosing session, looked up through sessions.queries (404 if its patient is not visible, or with
    `clinical` if the user may not see clinical data)."""

    clinical = False

    def get_session(self) -> DosingSession:
        if not hasattr(self, "_session"):
            self._session = queries.get_session_for(self.request.user, self.kwargs["pk"], clinical=self.clinical)
        return self._session

    def check_access(self, user: User) -> None:
        self.get_session()
        super().check_access(user)

    def session_context(self, session: DosingSession, **forms: Any) -> dict[str, Any]:
        user = self.request.user
        site = session.chair.site
        clinical = can_view_clinical(user, session.patient)
        can_book, can_run = permissions.can_book(user), permissions.can_run_sessions(user)
        context: dict[str, Any] = {
            "session": session,
            "patient": session.patient,
            "site_tz": site.time_zone,
            "clinical": clinical,
            "can_book": can_book,
            "can_run": can_run,
            "can_prescribe": permissions.can_prescribe(user),
            "can_cancel": can_book and session.may_become(SessionStatus.CANCELLED),
            "can_mark_no_show": can_book and session.may_become(SessionStatus.NO_SHOW),
            "can_record_vitals": can_run and session.status in services.PHASE_BY_STATUS,
            "can_record_dissociation": can_run and session.status in services.DISSOCIATION_STATUSES,
            "can_record_adverse": can_run and session.status in services.ADVERSE_EVENT_STATUSES,
            "cancel_form": ReasonForm(),
            "statuses": SessionStatus,
            "integration": session.integration_appointments.select_related("therapist").order_by("start"),
        }
        if not clinical:
            return context
        protocol = current_protocol(site)
        monitor = queries.session_monitor(session, protocol)
        context.update(
            monitor=monitor,
            chart=mark_safe(monitor.chart),  # noqa: S308 - built by clinic.charts, which escapes every text
            check_in=CheckIn.objects.filter(session=session).first(),
            discharge=Discharge.objects.filter(session=session).first(),
            adverse_events=session.adverse_events.select_related("recorded_by"),
            status_changes=session.status_changes.select_related("changed_by"),
            acknowledgements=session.review_acknowledgements.select_related("acknowledged_by"),
            clearance=is_cleared_for_dosing(session.patient, timezone.now()),
            check_in_form=forms.get("check_in_form") or CheckInForm(),
            vitals_form=forms.get("vitals_form") or VitalsForm(),
            dose_form=forms.get("dose_form") or DoseForm(route=session.route),
            review_form=RequiredReasonForm(),
            defer_form=RequiredReasonForm(),
            adverse_form=forms.get("adverse_form") or AdverseEventForm(),
            discharge_form=forms.get("discharge_form") or DischargeForm(),
            dissociation_form=DissociationForm(),
        )
        if session.route == Route.ESKETAMINE:
            form = services.rems_form_of(session, protocol)
            context.update(
                rems=form,
                rems_status=services.rems_status_of(session, form),
                rems_submission=services.rems_submission_of(session),
                rems_form=RemsSubmissionForm(),
                rems_due_days=protocol.monitoring.rems_form_due_days,
                can_submit_rems=permissions.can_submit_rems(user),
            )
        return context


class SessionView(SessionPage):
    """The session page; each full load is audited as a read of the patient's record."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_session()
        context = self.session_context(session)
        audit.record(
            "sessions.dosingsession.view",
            patient=session.patient,
            obj=session,
            details={"via": "staff", "clinical": context["clinical"]},
        )
        return render(request, SESSION_TEMPLATE, context)


class MonitorView(SessionPage):
    """The live part of the session page (timer, alerts, chart, readings), polled by htmx every 30 s."""

    clinical = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, f"{SESSION_TEMPLATE}#monitor", self.session_context(self.get_session()))


def _back(session: DosingSession, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("staff:sessions:session", args=[session.pk]) + anchor)


class VitalsView(FormPostMixin[VitalsForm], SessionPage):
    """Fast vitals entry: with htmx the answer is the refreshed monitor and an empty form (or the form's errors)."""

    http_method_names = ["post"]
    clinical = True
    form_class = VitalsForm

    def act(self, form: VitalsForm) -> VitalSign:
        return services.record_vitals(by=self.request.user, session=self.get_session(), **form.cleaned_data)

    def form_invalid(self, form: VitalsForm) -> HttpResponseBase:
        return self._answer(form, saved=False)

    def succeeded(self, result: VitalSign) -> HttpResponseBase:
        return self._answer(VitalsForm(), saved=True)

    def _answer(self, form: VitalsForm, *, saved: bool) -> HttpResponseBase:
        session = self.get_session()
        if not self.request.headers.get("HX-Request"):
            if not saved:
                messages.error(self.request, "Vital signs not saved: " + "; ".join(error_sentences(form)))
            return _back(session)
        session.refresh_from_db()
        # 200 either way: htmx swaps only successful answers, and the errors must reach the form.
        return render(
            self.request, "staff/sessions/vitals_response.html", self.session_context(session, vitals_form=form)
        )


class SessionActionView[F: BaseForm](PostedFromPageMixin[F], SessionPage):
    """A button or small form on the session page that runs one service on the session, with the form's fields as
    the service's arguments, and comes back to the page with the outcome as a message."""

    clinical = True
    service: Callable[..., Any]
    anchor = ""

    def act(self, form: F) -> Any:
        return self.service(by=self.request.user, session=self.get_session(), **form.cleaned_data)

    def success_url(self, result: Any) -> str:
        return reverse("staff:sessions:session", args=[self.get_session().pk]) + self.anchor


class CheckInView(SessionActionView[CheckInForm]):
    service = staticmethod(services.check_in)
    form_class = CheckInForm
    success_message = "Checked in."
    anchor = "#vitals"


class AcknowledgeView(SessionActionView[RequiredReasonForm]):
    service = staticmethod(services.acknowledge_review)
    form_class = RequiredReasonForm
    success_message = "Review acknowledged."
    anchor = "#dose"


class StartView(SessionActionView[DoseForm]):
    """Start dosing with the dose panel's inputs; prescribers add a review or override reason when needed."""

    service = staticmethod(services.start_dosing)
    success_message = "Dosing started."
    anchor = "#dose"

    def get_form(self, data: Any = None) -> DoseForm:
        return DoseForm(data, route=self.get_session().route)


class EndView(SessionActionView[Form]):
    service = staticmethod(services.end_dosing)
    form_class = Form
    success_message = "Dosing ended: observation started."
    anchor = "#discharge"


class DeferView(SessionActionView[RequiredReasonForm]):
    service = staticmethod(services.defer_session)
    form_class = RequiredReasonForm
    success_message = "Session deferred."


class AdverseEventView(SessionActionView[AdverseEventForm]):
    service = staticmethod(services.record_adverse_event)
    form_class = AdverseEventForm
    success_message = "Adverse event recorded."
    anchor = "#adverse"


class DissociationView(SessionActionView[DissociationForm]):
    service = staticmethod(services.record_dissociation)
    form_class = DissociationForm
    success_message = "CADSS-6 recorded."
    anchor = "#dissociation"


class DischargeView(SessionActionView[DischargeForm]):
    service = staticmethod(services.discharge_session)
    form_class = DischargeForm
    success_message = "Discharged. No driving until tomorrow."
    anchor = "#discharge"


class RemsSubmitView(SessionActionView[RemsSubmissionForm]):
    service = staticmethod(services.submit_rems_form)
    form_class = RemsSubmissionForm
    success_message = "REMS form marked submitted."
    anchor = "#rems"


class CancelView(SessionActionView[ReasonForm]):
    """Front desk cancels too: the schedule part of the session is enough."""

    clinical = False
    service = staticmethod(services.cancel_session)
    form_class = ReasonForm
    success_message = "Session cancelled."


class NoShowView(SessionActionView[Form]):
    clinical = False
    service = staticmethod(services.mark_no_show)
    form_class = Form
    success_message = "Recorded as a no-show."


class DosePreviewView(SessionPage):
    """The calculation step by step for the dose panel's current inputs (htmx); nothing is recorded."""

    clinical = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_session()
        form = DoseForm(request.POST, route=session.route)
        result, error = None, ""
        if form.is_valid():
            try:
                result = services.preview_dose(session, **form.service_inputs())
            except DomainError as exc:
                error = exc.message
        else:
            error = "; ".join(error_sentences(form))
        return render(request, "staff/sessions/dose_preview.html", {"result": result, "error": error})


# --- REMS forms -------------------------------------------------------------------------------------------------


class RemsDueView(StaffView, TemplateView):
    """Esketamine sessions whose REMS Patient Monitoring Form is due or overdue (clinical staff only)."""

    request: AuthedRequest
    template_name = "staff/sessions/rems.html"

    def check_access(self, user: User) -> None:
        if not can_view_clinical(user):
            raise Http404("Not available for your role.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        protocols: dict[int, Protocol] = {}

        def protocol_for(site: Site) -> Protocol:
            if site.pk not in protocols:
                protocols[site.pk] = current_protocol(site)
            return protocols[site.pk]

        context = super().get_context_data(**kwargs)
        context["rows"] = queries.rems_due(self.request.user, protocol_for)
        return context


# --- Calendar files ---------------------------------------------------------------------------------------------


class SessionCalendarView(SessionPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(self.get_session(), "staff")
