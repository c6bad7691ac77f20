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

from django.forms import BaseForm, Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from clinic import audit
from clinic.domain import local_day
from clinic.errors import DomainError
from clinic.form_posts import PostedFromPageMixin, add_domain_error, error_sentences
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
    CancelForm,
    CheckInCorrectionForm,
    CheckInForm,
    DeferForm,
    DischargeForm,
    DissociationForm,
    DoseForm,
    EndDosingForm,
    RemsSubmissionForm,
    ReviewForm,
    VitalsForm,
)
from sessions.models import CheckIn, Discharge, DoseRecord, DosingSession, SessionStatus, VitalSign
from sessions.services import checkins

SESSION_TEMPLATE = "staff/sessions/session.html"
NOT_DOSE_INPUTS = ("lot_number", "override_reason")


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
        audit.record_reads(
            "sessions.dosingsession.list",
            [s.patient_id for s in board.sessions] + [a.patient_id for a in board.appointments],
            details={"via": "board", "site": site.pk, "day": day},
        )
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
            updated_at=timezone.now(),
        )
        return context

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return [f"{self.template_name}#board"]
        return [self.template_name]


# --- The session page -------------------------------------------------------------------------------------------


class SessionPage(StaffView):
    """A view of one dosing session, looked up through sessions.queries (404 if its patient is not visible, or with
    `clinical` if the user may not see clinical data). `page(status, **forms)` draws the whole session page, with
    bound forms (after a refused post) in place of the empty ones."""

    clinical = False

    def get_session(self) -> DosingSession:
        if not hasattr(self, "_session"):
            self._session = queries.get_session_for(self.request.user, self.kwargs["pk"], clinical=self.clinical)
        return self._session

    def check_access(self, user: User) -> None:
        self.get_session()
        super().check_access(user)

    def page(self, *, status: int = 200, **forms: BaseForm) -> HttpResponse:
        return render(self.request, SESSION_TEMPLATE, self.session_context(self.get_session(), **forms), status=status)

    def dose_form(self, data: Any = None) -> DoseForm:
        session = self.get_session()
        return DoseForm(data, route=session.route, can_override=permissions.can_prescribe(self.request.user))

    def start_checklist(self, form: DoseForm | None = None) -> queries.ChecklistView:
        """What starting dosing still needs, with the dose the panel's inputs give (its defaults when empty)."""
        inputs: dict[str, Any] = {}
        override = problem = ""
        if form is not None and form.is_bound:
            form.is_valid()  # the lot number may still be empty: the dose is judged from what was typed
            problem = " ".join(error_sentences(form, skip=NOT_DOSE_INPUTS))
            inputs, override = form.service_inputs(), form.cleaned_data.get("override_reason", "")
        checklist = services.start_checklist_for(
            self.get_session(), dose_inputs=inputs, override_reason=override, dose_problem=problem
        )
        return queries.checklist_view(checklist)

    def discharge_checklist(self, protocol: Protocol, form: DischargeForm | None = None) -> queries.ChecklistView:
        total = escort = None
        if form is not None and form.is_bound:
            form.is_valid()
            total, escort = form.aldrete_total(), bool(form.cleaned_data.get("escort_confirmed"))
        checklist = services.discharge_checklist_for(
            self.get_session(), protocol, aldrete_total=total, escort_present=escort
        )
        return queries.checklist_view(checklist)

    def session_context(self, session: DosingSession, **forms: Any) -> dict[str, Any]:
        user = self.request.user
        site = session.chair.site
        clinical = can_view_clinical(user, session.patient)
        rems_submission = services.rems_submission_of(session) if session.route == Route.ESKETAMINE else None
        actions = queries.session_actions(session, user, rems_submitted=rems_submission is not None)
        context: dict[str, Any] = {
            "session": session,
            "patient": session.patient,
            "site_tz": site.time_zone,
            "clinical": clinical,
            "actions": actions,
            "can_book": permissions.can_book(user),
            "cancel_form": forms.get("cancel_form") or CancelForm(),
            "integration": session.integration_appointments.select_related("therapist").order_by("start"),
        }
        if not clinical:
            return context
        protocol = current_protocol(site)
        monitor = queries.session_monitor(session, protocol)
        check_in = CheckIn.objects.filter(session=session).first()
        dose_form = forms.get("dose_form") or self.dose_form()
        discharge_form = forms.get("discharge_form") or DischargeForm()
        context.update(
            monitor=monitor,
            chart=mark_safe(monitor.chart),  # noqa: S308 - built by clinic.charts, which escapes every text
            check_in=check_in,
            discharge=Discharge.objects.filter(session=session).first(),
            adverse_events=session.adverse_events.select_related("recorded_by"),
            status_changes=session.status_changes.select_related("changed_by"),
            acknowledgements=session.review_acknowledgements.select_related("acknowledged_by"),
            clearance=is_cleared_for_dosing(session.patient, timezone.now()),
            intake_url=reverse("staff:intake", args=[session.patient_id]),
            check_in_form=forms.get("check_in_form") or CheckInForm(initial=checkins.nurse_check_in_initial(session)),
            pre_visit=checkins.pre_visit_of(session),
            correct_form=forms.get("correct_form") or CheckInCorrectionForm(check_in=check_in),
            vitals_form=forms.get("vitals_form") or VitalsForm(),
            dose_form=dose_form,
            review_form=forms.get("review_form") or ReviewForm(),
            defer_form=forms.get("defer_form") or DeferForm(),
            end_form=forms.get("end_form") or EndDosingForm(),
            adverse_form=forms.get("adverse_form") or AdverseEventForm(),
            discharge_form=discharge_form,
            dissociation_form=forms.get("dissociation_form") or DissociationForm(),
        )
        if actions.start_dosing:
            context["start_checklist"] = self.start_checklist(dose_form)
        if actions.discharge:
            context["discharge_checklist"] = self.discharge_checklist(protocol, discharge_form)
        if session.route == Route.ESKETAMINE:
            form = services.rems_form_of(session, protocol)
            rems_status = services.rems_status_of(session, form)
            context.update(
                rems=form,
                rems_status=rems_status,
                rems_not_required=rems_status == "not_required",
                rems_submission=rems_submission,
                rems_form=forms.get("rems_form") or RemsSubmissionForm(),
                rems_due_days=protocol.monitoring.rems_form_due_days,
            )
        return context


class SessionView(SessionPage):
    """The session page; each full load is audited as a read of the patient's record."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_session()
        response = self.page()
        audit.record(
            "sessions.dosingsession.view",
            patient=session.patient,
            obj=session,
            details={"via": "staff", "clinical": can_view_clinical(self.request.user, session.patient)},
        )
        return response


class MonitorView(SessionPage):
    """The live part of the session page (timer, alerts, chart, readings), polled by htmx every 30 s."""

    clinical = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_session()
        response = render(request, f"{SESSION_TEMPLATE}#monitor", self.session_context(session))
        audit.record(
            "sessions.dosingsession.monitor",
            patient=session.patient,
            obj=session,
            details={"via": "staff", "background": bool(request.headers.get("X-Background-Refresh"))},
        )
        return response


class StartCheckView(SessionPage):
    """The "Before dosing starts" checklist for the dose panel's current inputs (htmx, as the nurse types and as
    vitals are recorded); nothing is recorded."""

    clinical = True
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        context = {"checklist": self.start_checklist(self.dose_form(request.POST)), **START_BUTTON}
        return render(request, CHECKLIST_TEMPLATE, {**context, "session": self.get_session()})


class DischargeCheckView(SessionPage):
    """The "Before discharge" checklist for the discharge form's current scores and ticks (htmx)."""

    clinical = True
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_session()
        checklist = self.discharge_checklist(current_protocol(session.chair.site), DischargeForm(request.POST))
        return render(request, CHECKLIST_TEMPLATE, {"checklist": checklist, "session": session, **DISCHARGE_BUTTON})


CHECKLIST_TEMPLATE = "staff/sessions/_checklist.html#body"
START_BUTTON = {"checklist_id": "start-checklist", "title": "Before dosing starts", "button": "Start dosing",
                "check_url_name": "staff:sessions:start_check"}  # fmt: skip
DISCHARGE_BUTTON = {"checklist_id": "discharge-checklist", "title": "Before discharge", "button": "Discharge",
                    "check_url_name": "staff:sessions:discharge_check"}  # fmt: skip


class SessionActionView[F: BaseForm](PostedFromPageMixin[F], SessionPage):
    """A form on the session page that runs one service on the session, with the form's fields as the service's
    arguments. Success comes back to the page (at `anchor`) with a message; a refusal redraws the page (400) with
    this form (`form_key`) as it was posted and the reason beside the field."""

    clinical = True
    service: Callable[..., Any]
    anchor = ""

    def act(self, form: F) -> Any:
        return self.service(by=self.request.user, session=self.get_session(), **form.cleaned_data)

    def success_url(self, result: Any) -> str:
        return reverse("staff:sessions:session", args=[self.get_session().pk]) + self.anchor


class VitalsView(SessionActionView[VitalsForm]):
    """Fast vitals entry: with htmx the answer is the refreshed monitor and an empty form (or the form's errors),
    and the page's checklists are told to look again."""

    service = staticmethod(services.record_vitals)
    form_class = VitalsForm
    form_key = "vitals_form"
    success_message = "Vital signs recorded."

    def form_invalid(self, form: VitalsForm) -> HttpResponseBase:
        return self._fragment(form) if self._htmx() else super().form_invalid(form)

    def refused(self, form: VitalsForm, exc: DomainError) -> HttpResponseBase:
        if not self._htmx():
            return super().refused(form, exc)
        add_domain_error(form, exc)
        return self._fragment(form)

    def succeeded(self, result: VitalSign) -> HttpResponseBase:
        if not self._htmx():
            return super().succeeded(result)
        response = self._fragment(VitalsForm())
        response["HX-Trigger"] = "vitals-recorded"
        return response

    def _htmx(self) -> bool:
        return bool(self.request.headers.get("HX-Request"))

    def _fragment(self, form: VitalsForm) -> HttpResponse:
        session = self.get_session()
        session.refresh_from_db()
        # 200 either way: htmx swaps only successful answers, and the errors must reach the form.
        return render(
            self.request, "staff/sessions/vitals_response.html", self.session_context(session, vitals_form=form)
        )


class CheckInView(SessionActionView[CheckInForm]):
    service = staticmethod(services.check_in)
    form_class = CheckInForm
    form_key = "check_in_form"
    success_message = "Checked in."
    anchor = "#vitals"


class CorrectCheckInView(SessionActionView[CheckInCorrectionForm]):
    """Complete or correct the check-in until dosing starts (the escort who arrived later, a fasting time)."""

    service = staticmethod(services.correct_check_in)
    form_class = CheckInCorrectionForm
    form_key = "correct_form"
    anchor = "#check-in"

    def success_text(self, result: services.CheckInCorrection) -> str:
        if not result.changes:
            return "Nothing changed in the check-in."
        labels = CheckInCorrectionForm.base_fields
        changed = [str(labels[name].label).lower() for name in result.changes if name in labels]
        fasting = ["the fasting result"] if "fasting" in result.changes else []
        return "Check-in updated: " + ", ".join(changed + fasting) + "."


class AcknowledgeView(SessionActionView[ReviewForm]):
    service = staticmethod(services.acknowledge_review)
    form_class = ReviewForm
    form_key = "review_form"
    success_message = "Review acknowledged."
    anchor = "#dose"


class StartView(SessionActionView[DoseForm]):
    """Start dosing with the dose panel's inputs; prescribers add an override reason when the dose needs one."""

    service = staticmethod(services.start_dosing)
    form_key = "dose_form"
    success_message = "Dosing started."
    anchor = "#dose"

    def get_form(self, data: Any = None) -> DoseForm:
        return self.dose_form(data)


class EndView(SessionActionView[EndDosingForm]):
    service = staticmethod(services.end_dosing)
    form_class = EndDosingForm
    form_key = "end_form"
    anchor = "#discharge"

    def success_text(self, result: DoseRecord) -> str:
        if result.stopped_early:
            return f"Dosing stopped early: {result.actual_dose_mg} mg given. Observation started."
        return "Dosing ended: observation started."


class DeferView(SessionActionView[DeferForm]):
    service = staticmethod(services.defer_session)
    form_class = DeferForm
    form_key = "defer_form"
    success_message = "Session deferred."


class AdverseEventView(SessionActionView[AdverseEventForm]):
    service = staticmethod(services.record_adverse_event)
    form_class = AdverseEventForm
    form_key = "adverse_form"
    success_message = "Adverse event recorded."
    anchor = "#adverse"


class DissociationView(SessionActionView[DissociationForm]):
    service = staticmethod(services.record_dissociation)
    form_class = DissociationForm
    form_key = "dissociation_form"
    success_message = "CADSS-6 recorded."
    anchor = "#dissociation"


class DischargeView(SessionActionView[DischargeForm]):
    service = staticmethod(services.discharge_session)
    form_class = DischargeForm
    form_key = "discharge_form"
    success_message = "Discharged. No driving until tomorrow."
    anchor = "#discharge"


class RemsSubmitView(SessionActionView[RemsSubmissionForm]):
    service = staticmethod(services.submit_rems_form)
    form_class = RemsSubmissionForm
    form_key = "rems_form"
    success_message = "REMS form marked submitted."
    anchor = "#rems"


class CancelView(SessionActionView[CancelForm]):
    """Front desk cancels too: the schedule part of the session is enough."""

    clinical = False
    service = staticmethod(services.cancel_session)
    form_class = CancelForm
    form_key = "cancel_form"
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
        form = self.dose_form(request.POST)
        form.is_valid()  # the lot number may still be empty: the calculation needs only the dose inputs
        result = None
        if not form.errors.keys() - set(NOT_DOSE_INPUTS):
            try:
                result = services.preview_dose(session, **form.service_inputs())
            except DomainError as exc:
                add_domain_error(form, exc)
        error = " ".join(error_sentences(form, skip=NOT_DOSE_INPUTS))
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
        audit.record_reads("sessions.remssubmission.due_list", [row.session.patient_id for row in context["rows"]])
        return context


# --- Calendar files ---------------------------------------------------------------------------------------------


class SessionCalendarView(SessionPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(self.get_session(), "staff")
