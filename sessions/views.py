"""Staff screens of the sessions app: the day board, booking (sessions, courses, integration), and the session page
a nurse keeps open during an infusion.

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
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from clinic import audit
from clinic.domain import local_day, show_time, site_zone
from clinic.errors import DomainError, InvalidInput
from clinic.models import Role, Site, User
from clinic.protocol import Protocol, Route
from clinic.scoping import can_view_clinical, chairs_visible_to, get_patient_for, patients_visible_to, sites_of
from clinic.services import use_protocol
from clinic.views import PatientScopedView, StaffView
from intake.services import is_cleared_for_dosing
from sessions import calendar, permissions, queries, services
from sessions.forms import (
    AdverseEventForm,
    BookingForm,
    CheckInForm,
    CourseForm,
    DischargeForm,
    DissociationForm,
    DoseForm,
    IntegrationForm,
    ReasonForm,
    RemsSubmissionForm,
    RequiredReasonForm,
    VitalsForm,
    local_datetime,
)
from sessions.models import CheckIn, Discharge, DosingSession, SessionStatus

SESSION_TEMPLATE = "staff/sessions/session.html"


def _prescribers(site: Site) -> Any:
    return User.objects.filter(role=Role.PRESCRIBER, is_active=True, sites=site).order_by("last_name")


def _form_errors(form: Any, exc: InvalidInput) -> None:
    for field, errors in exc.errors.items():
        form.add_error(field if field in form.fields else None, errors)


def _submit(form: Any, call: Callable[[], Any]) -> Any:
    """Run a service call for a valid form; a refusal becomes the form's errors (and None is returned)."""
    try:
        return call()
    except InvalidInput as exc:
        _form_errors(form, exc)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


# --- The day board ----------------------------------------------------------------------------------------------


class BoardView(StaffView, TemplateView):
    """One lane per chair, sessions as blocks coloured by status; the board refreshes itself every 30 s (htmx)."""

    template_name = "staff/sessions/board.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sites = list(sites_of(self.request.user).order_by("name"))
        if not sites:
            raise Http404("You work at no site.")
        site = next((s for s in sites if str(s.pk) == self.request.GET.get("site")), sites[0])
        try:
            day = dt.date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            day = local_day(site, timezone.now())
        board = queries.day_board(self.request.user, site, day)
        context.update(
            board=board,
            board_svg=mark_safe(board.svg),  # noqa: S308 - built by sessions.charts, which escapes every text
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


# --- Booking ----------------------------------------------------------------------------------------------------


class PatientPickerMixin:
    """Booking pages start from a patient (?patient=); without one they offer a search of visible patients."""

    request: HttpRequest

    def picked_patient(self) -> Any:
        pk = self.request.GET.get("patient") or self.request.POST.get("patient")
        return get_patient_for(self.request.user, pk) if pk else None

    def patient_search(self) -> list[Any]:
        query = self.request.GET.get("q", "").strip()
        if not query:
            return []
        return list(
            patients_visible_to(self.request.user)
            .filter(is_active=True)
            .filter(Q(family_name__icontains=query) | Q(given_name__icontains=query) | Q(mrn__icontains=query))[:20]
        )


class BookSessionView(PatientPickerMixin, StaffView):
    """Book one dosing session, with free-slot suggestions for the chosen day and route."""

    template_name = "staff/sessions/book.html"

    def _context(self, patient: Any, form: BookingForm | None = None, **extra: Any) -> dict[str, Any]:
        context: dict[str, Any] = {"patient": patient, "results": self.patient_search(), **extra}
        if patient is None:
            return context
        site = patient.site
        chairs = chairs_visible_to(self.request.user).filter(site=site, is_active=True)
        source = self.request.GET
        day = _parse_date(source.get("date")) or local_day(site, timezone.now())
        route = source.get("route") or Route.IV.value
        if route not in Route._value2member_map_:
            route = Route.IV.value
        initial = {"date": day, "route": route, "chair": source.get("chair"), "time": source.get("time")}
        form = form or BookingForm(initial=initial, chairs=chairs, prescribers=_prescribers(site))
        _version, protocol = use_protocol(site)
        slots = queries.free_slots(self.request.user, patient, day, Route(route), protocol)
        clearance = is_cleared_for_dosing(patient, timezone.now()) if can_view_clinical(self.request.user) else None
        context.update(form=form, slots=slots, day=day, route=route, site_tz=site.time_zone, clearance=clearance)
        return context

    def get(self, request: HttpRequest) -> HttpResponse:
        if not permissions.can_book(request.user):
            raise Http404("Not available for your role.")
        patient = self.picked_patient()
        template = self.template_name
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "free-slots":
            template = f"{template}#free-slots"
        return render(request, template, self._context(patient))

    def post(self, request: HttpRequest) -> HttpResponse:
        patient = self.picked_patient()
        if patient is None:
            raise Http404("No patient.")
        site = patient.site
        chairs = chairs_visible_to(request.user).filter(site=site, is_active=True)
        form = BookingForm(request.POST, chairs=chairs, prescribers=_prescribers(site))
        data = form.cleaned_data if form.is_valid() else None
        booking = data and _submit(
            form,
            lambda: services.book_dosing_session(
                by=request.user,  # type: ignore[arg-type]
                patient=patient,
                chair=data["chair"],
                start=local_datetime(data["date"], data["time"], site_zone(site)),
                route=data["route"],
                supervising_clinician=data["supervising_clinician"],
            ),
        )
        if booking:
            messages.success(request, f"Booked for {show_time(booking.session.start, site)}.")
            return HttpResponseRedirect(reverse("staff:sessions:session", args=[booking.session.pk]))
        return render(request, self.template_name, self._context(patient, form), status=400)


def _parse_date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


class BookCourseView(PatientPickerMixin, StaffView):
    """Book a whole course from a protocol template: all its sessions, or none with every conflict listed."""

    template_name = "staff/sessions/book_course.html"

    def _form(self, patient: Any, data: Any = None) -> CourseForm:
        site = patient.site
        _version, protocol = use_protocol(site)
        templates = [(key, t.label) for key, t in protocol.scheduling.templates.items()]
        chairs = chairs_visible_to(self.request.user).filter(site=site, is_active=True)
        initial = {"start_date": local_day(site, timezone.now()) + dt.timedelta(days=1), "time": "09:00"}
        return CourseForm(data, initial=initial, templates=templates, chairs=chairs, prescribers=_prescribers(site))

    def get(self, request: HttpRequest) -> HttpResponse:
        if not permissions.can_book(request.user):
            raise Http404("Not available for your role.")
        patient = self.picked_patient()
        form = self._form(patient) if patient else None
        return render(request, self.template_name, {"patient": patient, "form": form, "results": self.patient_search()})

    def post(self, request: HttpRequest) -> HttpResponse:
        patient = self.picked_patient()
        if patient is None:
            raise Http404("No patient.")
        form = self._form(patient, request.POST)
        conflicts: list[dict[str, Any]] = []
        if form.is_valid():
            data = form.cleaned_data
            try:
                course = services.book_course(
                    by=request.user,  # type: ignore[arg-type]
                    patient=patient,
                    template=data["template"],
                    start_date=data["start_date"],
                    weekdays=[int(d) for d in data["weekdays"]],
                    local_time=data["time"],
                    chair=data["chair"],
                    supervising_clinician=data["supervising_clinician"],
                )
            except InvalidInput as exc:
                _form_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message if not exc.details.get("conflicts") else "Nothing was booked.")
                conflicts = list(exc.details.get("conflicts", []))  # type: ignore[call-overload]
            else:
                messages.success(request, f"Booked {course.sessions.count()} sessions: {course.template_label}.")
                return HttpResponseRedirect(reverse("staff:patient_detail", args=[patient.pk]))
        context = {"patient": patient, "form": form, "conflicts": conflicts, "site_tz": patient.site.time_zone}
        return render(request, self.template_name, context, status=409 if conflicts else 400)


class BookIntegrationView(PatientScopedView):
    """Book an integration session (the protocol's length) for a patient, optionally after one of their dosing
    sessions."""

    template_name = "staff/sessions/book_integration.html"

    def _form(self, data: Any = None) -> IntegrationForm:
        patient = self.get_patient()
        chairs = chairs_visible_to(self.request.user).filter(site=patient.site, is_active=True)
        _version, protocol = use_protocol(patient.site)
        initial = {
            "date": local_day(patient.site, timezone.now()) + dt.timedelta(days=1),
            "time": "10:00",
            "duration_min": protocol.scheduling.integration_min_duration_min,
        }
        return IntegrationForm(data, initial=initial, site=patient.site, chairs=chairs)

    def _after(self) -> DosingSession | None:
        pk = self.request.GET.get("session") or self.request.POST.get("session")
        if not pk:
            return None
        session = queries.get_session_for(self.request.user, pk)
        if session.patient_id != self.get_patient().pk:
            raise Http404("No such session.")
        return session

    def get(self, request: HttpRequest, patient_pk: int) -> HttpResponse:
        if not permissions.can_book_integration(request.user):
            raise Http404("Not available for your role.")
        context = {"patient": self.get_patient(), "form": self._form(), "after": self._after()}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, patient_pk: int) -> HttpResponse:
        patient = self.get_patient()
        form = self._form(request.POST)
        after = self._after()
        data = form.cleaned_data if form.is_valid() else None
        booking = data and _submit(
            form,
            lambda: services.book_integration_appointment(
                by=request.user,  # type: ignore[arg-type]
                patient=patient,
                therapist=data["therapist"],
                start=local_datetime(data["date"], data["time"], site_zone(patient.site)),
                duration_min=data["duration_min"],
                dosing_session=after,
                chair=data["chair"],
                room=data["room"],
            ),
        )
        if booking:
            for warning in booking.warnings:
                messages.warning(request, warning)
            messages.success(
                request, f"Integration session booked for {show_time(booking.appointment.start, patient.site)}."
            )
            return HttpResponseRedirect(reverse("staff:patient_detail", args=[patient.pk]))
        return render(request, self.template_name, {"patient": patient, "form": form, "after": after}, status=400)


# --- The session page -------------------------------------------------------------------------------------------


class SessionMixin:
    request: HttpRequest
    kwargs: dict[str, Any]
    clinical = False

    def get_session(self) -> DosingSession:
        if not hasattr(self, "_session"):
            self._session = queries.get_session_for(self.request.user, self.kwargs["pk"], clinical=self.clinical)
        return self._session

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
        _version, protocol = use_protocol(site)
        monitor = queries.session_monitor(session, protocol)
        context.update(
            monitor=monitor,
            chart=mark_safe(monitor.chart),  # noqa: S308 - built by sessions.charts, which escapes every text
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


class SessionView(SessionMixin, StaffView):
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


class MonitorView(SessionMixin, StaffView):
    """The live part of the session page (timer, alerts, chart, readings), polled by htmx every 30 s."""

    clinical = True

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, f"{SESSION_TEMPLATE}#monitor", self.session_context(self.get_session()))


class VitalsView(SessionMixin, StaffView):
    """Fast vitals entry: with htmx the answer is the refreshed monitor and an empty form (or the form's errors)."""

    clinical = True

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_session()
        form = VitalsForm(request.POST)
        saved = form.is_valid() and bool(
            _submit(form, lambda: services.record_vitals(by=request.user, session=session, **form.cleaned_data))  # type: ignore[arg-type]
        )
        if not request.headers.get("HX-Request"):
            if not saved:
                messages.error(request, "Vital signs not saved: " + "; ".join(_flat_errors(form)))
            return _back(session)
        session.refresh_from_db()
        context = self.session_context(session, vitals_form=VitalsForm() if saved else form)
        # 200 either way: htmx swaps only successful answers, and the errors must reach the form.
        return render(request, "staff/sessions/vitals_response.html", context)


def _flat_errors(form: Any) -> list[str]:
    return [
        f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
        for field, errors in form.errors.items()
    ]


def _back(session: DosingSession, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("staff:sessions:session", args=[session.pk]) + anchor)


class SessionActionView(SessionMixin, StaffView):
    """A POST that runs one service on the session with the form's fields as its arguments, and comes back to the
    session page with the outcome as a message."""

    service: Callable[..., Any]
    form_class: Any = None
    success_message = ""
    anchor = ""

    def make_form(self, session: DosingSession) -> Any:
        return self.form_class(self.request.POST) if self.form_class else None

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self.get_session()
        form = self.make_form(session)
        if form is not None and not form.is_valid():
            messages.error(request, "; ".join(_flat_errors(form)))
            return _back(session, self.anchor)
        try:
            type(self).service(by=request.user, session=session, **(form.cleaned_data if form is not None else {}))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if self.success_message:
                messages.success(request, self.success_message)
        return _back(session, self.anchor)


def _action(
    service: Callable[..., Any], *, form_class: Any = None, clinical: bool = True, success: str = "", anchor: str = ""
) -> type[SessionActionView]:
    """The view that runs `service(by=..., session=..., **form fields)`; the form's fields are the service's."""
    name = "".join(part.title() for part in service.__name__.split("_")) + "View"
    attributes = {"service": staticmethod(service), "form_class": form_class, "clinical": clinical,
                  "success_message": success, "anchor": anchor, "__module__": __name__}  # fmt: skip
    return type(name, (SessionActionView,), attributes)


CheckInView = _action(services.check_in, form_class=CheckInForm, success="Checked in.", anchor="#vitals")
AcknowledgeView = _action(
    services.acknowledge_review, form_class=RequiredReasonForm, success="Review acknowledged.", anchor="#dose"
)
EndView = _action(services.end_dosing, success="Dosing ended: observation started.", anchor="#discharge")
DeferView = _action(services.defer_session, form_class=RequiredReasonForm, success="Session deferred.")
AdverseEventView = _action(
    services.record_adverse_event, form_class=AdverseEventForm, success="Adverse event recorded.", anchor="#adverse"
)
CancelView = _action(services.cancel_session, form_class=ReasonForm, clinical=False, success="Session cancelled.")
NoShowView = _action(services.mark_no_show, clinical=False, success="Recorded as a no-show.")
DissociationView = _action(
    services.record_dissociation, form_class=DissociationForm, success="CADSS-6 recorded.", anchor="#dissociation"
)
RemsSubmitView = _action(
    services.submit_rems_form, form_class=RemsSubmissionForm, success="REMS form marked submitted.", anchor="#rems"
)
DischargeView = _action(
    services.discharge_session,
    form_class=DischargeForm,
    success="Discharged. No driving until tomorrow.",
    anchor="#discharge",
)


class StartView(SessionActionView):
    """Start dosing with the dose panel's inputs; prescribers add a review or override reason when needed."""

    service = staticmethod(services.start_dosing)
    clinical = True
    success_message = "Dosing started."
    anchor = "#dose"

    def make_form(self, session: DosingSession) -> Any:
        return DoseForm(self.request.POST, route=session.route)


class DosePreviewView(SessionMixin, StaffView):
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
            error = "; ".join(_flat_errors(form))
        return render(request, "staff/sessions/dose_preview.html", {"result": result, "error": error})


# --- REMS forms -------------------------------------------------------------------------------------------------


class RemsDueView(StaffView, TemplateView):
    """Esketamine sessions whose REMS Patient Monitoring Form is due or overdue (clinical staff only)."""

    template_name = "staff/sessions/rems.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if not can_view_clinical(self.request.user):
            raise Http404("Not available for your role.")
        protocols: dict[int, Protocol] = {}

        def protocol_for(site: Site) -> Protocol:
            if site.pk not in protocols:
                protocols[site.pk] = use_protocol(site)[1]
            return protocols[site.pk]

        context = super().get_context_data(**kwargs)
        context["rows"] = queries.rems_due(self.request.user, protocol_for)
        return context


# --- Calendar files ---------------------------------------------------------------------------------------------


class SessionCalendarView(SessionMixin, StaffView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(self.get_session(), "staff")


class AppointmentCalendarView(StaffView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(queries.get_appointment_for(request.user, pk), "staff")


class AppointmentCancelView(StaffView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        appointment = queries.get_appointment_for(request.user, pk)
        form = ReasonForm(request.POST)
        form.is_valid()
        try:
            services.cancel_integration_appointment(
                by=request.user,  # type: ignore[arg-type]
                appointment=appointment,
                reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Integration session cancelled.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("staff:patient_detail", args=[appointment.patient_id])
        return HttpResponseRedirect(target)
