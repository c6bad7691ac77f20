"""Staff screens for booking: one dosing session (with free-slot suggestions), a whole course, an integration
appointment, and cancelling an integration appointment (or downloading its calendar file).

Each form post is a clinic.form_posts view with one service call; the booking pages hide themselves (404) from
roles that may not book (sessions/permissions.py), and the services refuse the same roles.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from clinic import audit, times
from clinic.domain import local_day, site_zone
from clinic.errors import DomainError
from clinic.form_posts import FormPostMixin, PostedFromPageMixin
from clinic.models import Chair, Patient, Role, Site, User
from clinic.params import day_from_query
from clinic.patient_search import PatientMatches, pick_patients
from clinic.protocol import Route
from clinic.scoping import chairs_visible_to, get_patient_for, note_refused
from clinic.services import current_protocol
from clinic.views import PatientScopedView, StaffView
from sessions import calendar, permissions, queries, services
from sessions.forms import BookingForm, CourseForm, IntegrationForm, ReasonForm, local_datetime
from sessions.models import AppointmentStatus, DosingSession, IntegrationAppointment, TreatmentCourse


def _prescribers(site: Site) -> QuerySet[User]:
    return User.objects.filter(role=Role.PRESCRIBER, is_active=True, sites=site).order_by("last_name")


class PatientPickerView(StaffView):
    """Booking pages start from a patient (?patient=); without one they offer a search of visible patients."""

    def picked_patient(self) -> Patient | None:
        pk = self.request.GET.get("patient") or self.request.POST.get("patient")
        return get_patient_for(self.request.user, pk) if pk else None

    def posted_patient(self) -> Patient:
        """The patient a booking is posted for (404 without one)."""
        patient = self.picked_patient()
        if patient is None:
            raise Http404("No patient.")
        return patient

    def patient_search(self) -> PatientMatches:
        """The patients matching the page's search; each one shown is an audited read."""
        query = self.request.GET.get("q", "")
        found = pick_patients(self.request.user, query)
        audit.record_reads("clinic.patient.list", found.patients, details={"via": "staff", "page": "booking"})
        return found

    def record_booking_read(self, patient: Patient | None, page: str) -> None:
        """Opening a booking page for a patient reads their schedule (and, for clinical staff, their clearance)."""
        if patient is not None:
            audit.record("sessions.booking.view", patient=patient, obj=patient, details={"via": "staff", "page": page})

    def chairs(self, site: Site) -> QuerySet[Chair]:
        return chairs_visible_to(self.request.user).filter(site=site, is_active=True)


class BookSessionView(FormPostMixin[BookingForm], PatientPickerView):
    """Book one dosing session, with free-slot suggestions for the chosen day and route."""

    template_name = "staff/sessions/book.html"

    def _context(self, patient: Patient | None, form: BookingForm | None = None, **extra: Any) -> dict[str, Any]:
        context: dict[str, Any] = {"patient": patient, "results": self.patient_search(), **extra}
        if patient is None:
            return context
        site = patient.site
        source = self.request.GET
        day = day_from_query(self.request, local_day(site, timezone.now()))
        route = source.get("route") or Route.IV.value
        if route not in Route._value2member_map_:
            route = Route.IV.value
        initial = {"date": day, "route": route, "chair": source.get("chair"), "time": source.get("time")}
        form = form or BookingForm(initial=initial, chairs=self.chairs(site), prescribers=_prescribers(site))
        clearance = queries.booking_clearance(self.request.user, patient)
        slots = []
        if clearance.cleared:  # free times are offered only for a patient who may be dosed
            protocol = current_protocol(site)
            slots = queries.free_slots(self.request.user, patient, day, Route(route), protocol)
        context.update(form=form, slots=slots, day=day, route=route, site_tz=site.time_zone, clearance=clearance)
        return context

    def get(self, request: HttpRequest) -> HttpResponse:
        if not permissions.can_book(self.request.user):
            raise Http404("Not available for your role.")
        template = self.template_name
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "free-slots":
            template = f"{template}#free-slots"
        patient = self.picked_patient()
        response = render(request, template, self._context(patient))
        self.record_booking_read(patient, "session")
        return response

    def get_form(self, data: Any = None) -> BookingForm:
        self.patient = self.posted_patient()
        site = self.patient.site
        return BookingForm(data, chairs=self.chairs(site), prescribers=_prescribers(site))

    def show_form(self, form: BookingForm, *, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, self._context(self.patient, form), status=status)

    def act(self, form: BookingForm) -> services.Booking:
        data = form.cleaned_data
        return services.book_dosing_session(
            by=self.request.user,
            patient=self.patient,
            chair=data["chair"],
            start=local_datetime(data["date"], data["time"], site_zone(self.patient.site)),
            route=data["route"],
            supervising_clinician=data["supervising_clinician"],
        )

    def success_text(self, result: services.Booking) -> str:
        return f"Booked for {times.site_datetime(result.session.start, self.patient.site)}."

    def success_url(self, result: services.Booking) -> str:
        return reverse("staff:sessions:session", args=[result.session.pk])


class BookCourseView(FormPostMixin[CourseForm], PatientPickerView):
    """Book a whole course from a protocol template: all its sessions, or none with every conflict listed."""

    template_name = "staff/sessions/book_course.html"
    conflicts: list[dict[str, Any]] = []

    def _form(self, patient: Patient, data: Any = None) -> CourseForm:
        site = patient.site
        protocol = current_protocol(site)
        templates = [(key, t.label) for key, t in protocol.scheduling.templates.items()]
        initial = {"start_date": local_day(site, timezone.now()) + dt.timedelta(days=1), "time": "09:00"}
        return CourseForm(
            data, initial=initial, templates=templates, chairs=self.chairs(site), prescribers=_prescribers(site)
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        if not permissions.can_book(self.request.user):
            raise Http404("Not available for your role.")
        patient = self.picked_patient()
        form = self._form(patient) if patient else None
        context = {"patient": patient, "form": form, "results": self.patient_search()}
        response = render(request, self.template_name, context)
        self.record_booking_read(patient, "course")
        return response

    def get_form(self, data: Any = None) -> CourseForm:
        self.patient = self.posted_patient()
        return self._form(self.patient, data)

    def show_form(self, form: CourseForm, *, status: int = 200) -> HttpResponse:
        context = {
            "patient": self.patient,
            "form": form,
            "conflicts": self.conflicts,
            "site_tz": self.patient.site.time_zone,
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: CourseForm) -> TreatmentCourse:
        data = form.cleaned_data
        return services.book_course(
            by=self.request.user,
            patient=self.patient,
            template=data["template"],
            start_date=data["start_date"],
            weekdays=[int(d) for d in data["weekdays"]],
            local_time=data["time"],
            chair=data["chair"],
            supervising_clinician=data["supervising_clinician"],
        )

    def refused(self, form: CourseForm, exc: DomainError) -> HttpResponseBase:
        conflicts = exc.details.get("conflicts")
        if not isinstance(conflicts, list) or not conflicts:
            return super().refused(form, exc)
        self.conflicts = conflicts
        form.add_error(None, "Nothing was booked.")
        return self.show_form(form, status=409)

    def success_text(self, result: TreatmentCourse) -> str:
        return f"Booked {result.sessions.count()} sessions: {result.template_label}."

    def success_url(self, result: TreatmentCourse) -> str:
        return reverse("staff:patient_detail", args=[result.patient_id])


class BookIntegrationView(FormPostMixin[IntegrationForm], PatientScopedView):
    """Book an integration session (the protocol's length) for a patient, optionally after one of their dosing
    sessions."""

    template_name = "staff/sessions/book_integration.html"

    def get_form(self, data: Any = None) -> IntegrationForm:
        patient = self.get_patient()
        chairs = chairs_visible_to(self.request.user).filter(site=patient.site, is_active=True)
        protocol = current_protocol(patient.site)
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
        if not permissions.can_book_integration(self.request.user):
            note_refused(Patient, patient_pk)
            raise Http404("Not available for your role.")
        response = self.show_form(self.get_form())
        patient = self.get_patient()
        audit.record(
            "sessions.booking.view", patient=patient, obj=patient, details={"via": "staff", "page": "integration"}
        )
        return response

    def show_form(self, form: IntegrationForm, *, status: int = 200) -> HttpResponse:
        context = {"patient": self.get_patient(), "form": form, "after": self._after()}
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: IntegrationForm) -> services.IntegrationBooking:
        patient, data = self.get_patient(), form.cleaned_data
        return services.book_integration_appointment(
            by=self.request.user,
            patient=patient,
            therapist=data["therapist"],
            start=local_datetime(data["date"], data["time"], site_zone(patient.site)),
            duration_min=data["duration_min"],
            dosing_session=self._after(),
            chair=data["chair"],
            room=data["room"],
        )

    def succeeded(self, result: services.IntegrationBooking) -> HttpResponseBase:
        for warning in result.warnings:
            messages.warning(self.request, warning)
        return super().succeeded(result)

    def success_text(self, result: services.IntegrationBooking) -> str:
        when = times.site_datetime(result.appointment.start, self.get_patient().site)
        return f"Integration session booked for {when}."

    def success_url(self, result: services.IntegrationBooking) -> str:
        return reverse("staff:patient_detail", args=[self.get_patient().pk])


# --- Integration appointments -----------------------------------------------------------------------------------


class AppointmentView(StaffView):
    """A view of one integration appointment, looked up through sessions.queries (404 if not visible)."""

    def get_appointment(self) -> IntegrationAppointment:
        if not hasattr(self, "_appointment"):
            self._appointment = queries.get_appointment_for(self.request.user, self.kwargs["pk"])
        return self._appointment

    def check_access(self, user: User) -> None:
        self.get_appointment()
        super().check_access(user)


class AppointmentDetailView(AppointmentView):
    """One integration appointment as a page (when, where, with whom, its dosing session), with its calendar file
    as a separate link; each load is audited as a read of the patient's record."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        appointment = self.get_appointment()
        audit.record(
            "sessions.integrationappointment.view",
            patient=appointment.patient,
            obj=appointment,
            details={"via": "staff"},
        )
        context = {
            "appointment": appointment,
            "patient": appointment.patient,
            "site_tz": appointment.patient.site.time_zone,
            "can_cancel": permissions.can_book_integration(request.user)
            and appointment.may_become(AppointmentStatus.CANCELLED),
            "cancel_form": ReasonForm(),
        }
        return render(request, "staff/sessions/appointment.html", context)


class AppointmentCalendarView(AppointmentView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return calendar.download(self.get_appointment(), "staff")


class AppointmentCancelView(PostedFromPageMixin[ReasonForm], AppointmentView):
    """Cancel an integration appointment from the page it is listed on (`next`), with the outcome as a message."""

    form_class = ReasonForm
    success_message = "Integration session cancelled."

    def act(self, form: ReasonForm) -> IntegrationAppointment:
        reason = form.cleaned_data["reason"]
        return services.cancel_integration_appointment(
            by=self.request.user, appointment=self.get_appointment(), reason=reason
        )

    def success_url(self, result: Any) -> str:
        target = self.request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            target = reverse("staff:patient_detail", args=[self.get_appointment().patient_id])
        return target
