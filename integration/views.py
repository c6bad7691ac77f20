"""The therapist's screens (clinical protocol §6): a patient's integration timeline with progress across notes, the
note form of each modality (prefilled from the previous note of that modality, the dosing session beside it), a
note's page with its addenda, and signing.

Every page is about one patient the requester may see (clinic.views.PatientScopedView) and whose therapy notes
their role reads (integration/permissions.py); others get 404. Every form post is a clinic.views.PatientFormView
making one service call; a refused form comes back (400) with everything typed and the reason beside the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import TemplateView

from clinic import audit
from clinic.domain import site_zone
from clinic.errors import DomainError
from clinic.form_posts import add_domain_error
from clinic.http import AuthedRequest
from clinic.models import Patient, User
from clinic.views import PatientFormView, PatientScopedView
from integration import services, sources
from integration.forms import (
    NOTE_FORMS,
    AddendumForm,
    IfsNoteForm,
    NoteForm,
    PartFormSet,
    PartRows,
    SignForm,
    flat_note_errors,
)
from integration.modalities import MODALITY_LABELS, Modality, carried_forward
from integration.models import IntegrationNote, NoteAddendum
from integration.permissions import can_read_notes, can_write_notes, is_author
from integration.services import InvalidNote, NoteResult

NOTE_FIELDS = ("dosing_session", "appointment", "started_at", "duration_min", "narrative", "plan")


def modality_label(modality: str) -> str:
    return "General" if modality == Modality.GENERAL else MODALITY_LABELS[Modality(modality)]


def new_note_links(patient: Patient, query: str = "") -> list[dict[str, str]]:
    return [
        {"label": modality_label(m), "url": reverse("staff:integration:note_new", args=[patient.pk, m.value]) + query}
        for m in Modality
    ]


class IntegrationPage(PatientScopedView):
    """Base of the integration pages about one patient: clinical data, and only for the roles that read therapy
    notes (prescribers, nurses, the patient's therapists); anyone else gets 404 as for a patient they cannot see."""

    clinical = True

    def get_patient(self) -> Patient:
        patient = super().get_patient()
        if not can_read_notes(self.request.user):
            audit.note_refused(patient.pk)
            raise Http404("No such patient.")
        return patient

    def get_note(self) -> IntegrationNote:
        """The note of the URL (audited read), if it is this patient's."""
        if not hasattr(self, "_note"):
            note = services.get_note_for(self.request.user, self.kwargs["note_pk"])
            if note.patient_id != self.get_patient().pk:
                raise Http404("No such note.")
            self._note = note
        return self._note

    def note_author_id(self) -> int:
        """Who wrote the note of the URL, for the role check before it is read (not a read of the note: a refused
        author check must not leave a read entry); Http404 as `get_note` for a note not this patient's."""
        author = (
            services.readable_notes(self.request.user)
            .filter(pk=self.kwargs["note_pk"], patient=self.get_patient())
            .values_list("author_id", flat=True)
            .first()
        )
        if author is None:
            raise Http404("No such note.")
        return author


class PatientIntegrationView(IntegrationPage, TemplateView):
    """The timeline: dosing sessions with the integration sessions and notes that followed each, and progress."""

    request: AuthedRequest
    template_name = "staff/integration/patient.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        patient = self.get_patient()
        user = self.request.user
        context.update(
            patient=patient,
            timeline=services.timeline(user, patient),
            can_write=can_write_notes(user),
            new_note_links=new_note_links(patient),
            site_tz=patient.site.time_zone,
        )
        return context


# --- The note form ----------------------------------------------------------------------------------------------


class NoteFormView(IntegrationPage, PatientFormView[NoteForm]):
    """The note form of one modality, new or a draft: the common fields, the modality's own, and for IFS the parts as
    rows. Beside it, the dosing session the note follows (dose, CADSS-6, adverse events)."""

    template_name = "staff/integration/note_form.html"
    parts: Any = None
    rows: PartRows | None = None

    def modality(self) -> Modality:
        raise NotImplementedError

    def initial(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The form's initial values and the initial IFS parts."""
        raise NotImplementedError

    def get_form(self, data: Any = None) -> NoteForm:
        patient, user = self.get_patient(), self.request.user
        self.sessions = sources.dosing_sessions(user, patient)
        self.appointments = sources.appointments(user, patient)
        modality = self.modality()
        initial, parts = self.initial() if data is None else ({}, [])
        form = NOTE_FORMS[modality](
            data, sessions=self.sessions, appointments=self.appointments, tz=site_zone(patient.site), initial=initial
        )
        form.fields["dosing_session"].widget.attrs.update(
            {
                "hx-get": reverse("staff:integration:session_facts", args=[patient.pk]),
                "hx-target": "#session-facts",
                "hx-swap": "outerHTML",
            }
        )
        if modality == Modality.IFS:
            self.parts = PartFormSet(data, prefix="parts", initial=parts or None)
        return form

    def form_is_valid(self, form: NoteForm) -> bool:
        valid = form.is_valid()
        if self.parts is not None:
            valid = self.parts.is_valid() and valid
            self.rows = PartRows(self.parts)
            if isinstance(form, IfsNoteForm):
                form.parts = self.rows.rows()
        return valid

    def refused(self, form: NoteForm, exc: DomainError) -> HttpResponseBase:
        add_domain_error(
            form, flat_note_errors(exc.errors, form.modality) if isinstance(exc, InvalidNote) else exc, rows=self.rows
        )
        return self.form_invalid(form)

    def selected_session(self, form: NoteForm) -> sources.DosingSessionFacts | None:
        value = form["dosing_session"].value()
        return next((s for s in self.sessions if str(s.session_id) == str(value)), None)

    def show_form(self, form: NoteForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        context = {
            "patient": patient,
            "form": form,
            "parts": self.parts,
            "modality": form.modality.value,
            "modality_label": modality_label(form.modality),
            "session": self.selected_session(form),
            "note": getattr(self, "_note", None),
            "previous": getattr(self, "previous", None),
            "site_tz": patient.site.time_zone,
            "form_has_errors": form.errors or (self.parts is not None and self.parts.total_error_count()),
        }
        return render(self.request, self.template_name, context, status=status)

    def success_text(self, result: NoteResult) -> str:
        return "Draft saved. Check it, then sign." if "sign" in self.request.POST else "Draft saved."

    def succeeded(self, result: NoteResult) -> HttpResponseBase:
        for warning in result.warnings:
            messages.warning(self.request, warning)
        return super().succeeded(result)

    def success_url(self, result: NoteResult) -> str:
        name = "note_sign" if "sign" in self.request.POST else "note_edit"
        return reverse(f"staff:integration:{name}", args=[result.note.patient_id, result.note.pk])


class NoteCreateView(NoteFormView):
    """A new note of the modality in the URL; `?appointment=` or `?dosing_session=` say which session it is for."""

    denied_message = "Only therapists and prescribers write integration notes."

    def modality(self) -> Modality:
        try:
            return Modality(self.kwargs["modality"])
        except ValueError:
            raise Http404("No such kind of note.") from None

    def allowed(self, user: User) -> bool:
        return can_write_notes(user)

    def _query_id(self, name: str) -> int | None:
        value = self.request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    def initial(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        patient, user, modality = self.get_patient(), self.request.user, self.modality()
        initial: dict[str, Any] = {}
        booked = next((a for a in self.appointments if a.appointment_id == self._query_id("appointment")), None)
        dosed = [s for s in self.sessions if s.was_dosed]
        if booked is not None:
            initial.update(
                appointment=booked.appointment_id,
                dosing_session=booked.dosing_session_id,
                started_at=booked.start,
                duration_min=(booked.end - booked.start) // dt.timedelta(minutes=1),
            )
        elif (wanted := self._query_id("dosing_session")) in {s.session_id for s in dosed}:
            initial["dosing_session"] = wanted
        elif dosed:
            initial["dosing_session"] = dosed[-1].session_id
        self.previous = services.previous_note(user, patient, modality.value)
        carried = carried_forward(modality, self.previous.structured or {}) if self.previous else {}
        audit.record("integration.note_form.view", patient=patient, details={"modality": modality.value})
        return {**initial, **carried}, list(carried.get("parts", []))

    def act(self, form: NoteForm) -> NoteResult:
        return services.create_note(by=self.request.user, patient=self.get_patient(), data=form.note_data())


class NoteEditView(NoteFormView):
    """A draft, changed by its author; a signed note is shown instead (it never changes)."""

    denied_message = "Only the author of a note may change it."

    def modality(self) -> Modality:
        return Modality(self.get_note().modality)

    def allowed(self, user: User) -> bool:
        return is_author(user, self.note_author_id())

    def get(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        note = self.get_note()
        if note.is_signed:
            messages.info(request, "This note is signed and can no longer change; add an addendum instead.")
            return redirect("staff:integration:note", note.patient_id, note.pk)
        return super().get(request, *args, **kwargs)

    def initial(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        note = self.get_note()
        structured = dict(note.structured or {})
        initial = {
            name: getattr(note, f"{name}_id" if name in ("dosing_session", "appointment") else name)
            for name in NOTE_FIELDS
        }
        return {**initial, **structured}, list(structured.get("parts", []))

    def act(self, form: NoteForm) -> NoteResult:
        return services.update_note(by=self.request.user, note=self.get_note(), data=form.note_data())


class SessionFactsView(IntegrationPage):
    """The dosing session beside the note form, swapped in (htmx) when another session is chosen."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        value = request.GET.get("dosing_session", "")
        session = sources.dosing_session(self.request.user, int(value)) if value.isdigit() else None
        if session is not None and session.patient_id != patient.pk:
            session = None
        if session is not None:
            audit.record("integration.note_form.view", patient=patient, details={"dosing_session": session.session_id})
        context = {"session": session, "site_tz": patient.site.time_zone}
        return render(request, "staff/integration/_session_facts.html", context)


# --- A note's page: reading, addenda, signing -------------------------------------------------------------------


def structured_rows(note: IntegrationNote) -> list[tuple[str, str]]:
    """The modality's fields of a note as (label, value) lines, with the derived values; IFS parts are shown apart."""
    modality = Modality(note.modality)
    form = NOTE_FORMS[modality]
    values = dict(note.structured or {})
    rows = []
    for name in form.structured_fields:
        field = form.base_fields[name]
        value = values.get(name)
        choices = dict(getattr(field, "choices", ()) or ())
        if isinstance(value, bool):
            shown = "Yes" if value else "No"
        elif isinstance(value, list):
            shown = ", ".join(str(choices.get(v, v)) for v in value) or "—"
        else:
            shown = str(choices.get(value, value)) if value not in (None, "") else "—"
        rows.append((str(field.label), shown))
    if "sud_change" in values and values["sud_change"] is not None:
        rows.append(("SUD change", f"{values['sud_change']:+d}"))
    if modality == Modality.EMDR:
        rows.append(("Target complete", "Yes" if values.get("target_complete") else "Not yet"))
    return rows


class NotePage(IntegrationPage):
    """Shows one note; the addendum form posted from it comes back here when refused."""

    template_name = "staff/integration/note.html"

    def page(self, addendum_form: AddendumForm | None = None, *, status: int = 200) -> HttpResponse:
        note, patient, user = self.get_note(), self.get_patient(), self.request.user
        context = {
            "patient": patient,
            "note": note,
            "modality_label": modality_label(note.modality),
            "rows": structured_rows(note),
            "parts": (note.structured or {}).get("parts", []),
            "addenda": list(note.addenda.all()),
            "session": sources.dosing_session(user, note.dosing_session_id),
            "is_author": is_author(user, note.author_id),
            "can_add": note.is_signed and can_write_notes(user),
            "addendum_form": addendum_form or AddendumForm(),
            "site_tz": patient.site.time_zone,
        }
        return render(self.request, self.template_name, context, status=status)


class NoteView(NotePage):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page()


class AddendumView(NotePage, PatientFormView[AddendumForm]):
    form_class = AddendumForm
    success_message = "Addendum added."
    denied_message = "Only therapists and prescribers add to integration notes."

    def allowed(self, user: User) -> bool:
        return can_write_notes(user)

    def show_form(self, form: AddendumForm, *, status: int = 200) -> HttpResponse:
        return self.page(form, status=status)

    def act(self, form: AddendumForm) -> NoteAddendum:
        return services.add_addendum(by=self.request.user, note=self.get_note(), text=form.cleaned_data["text"])

    def success_url(self, result: NoteAddendum) -> str:
        return reverse("staff:integration:note", args=[self.get_patient().pk, result.note_id]) + "#addenda"


class NoteSignView(IntegrationPage, PatientFormView[SignForm]):
    """Signing, after a confirmation page: the note is locked from then on (corrections are addenda)."""

    template_name = "staff/integration/note_sign.html"
    form_class = SignForm
    success_message = "Note signed. It can no longer change; add an addendum for a correction."
    denied_message = "Only the author of a note may sign it."

    def allowed(self, user: User) -> bool:
        return is_author(user, self.note_author_id())

    def show_form(self, form: SignForm, *, status: int = 200) -> HttpResponse:
        note, patient = self.get_note(), self.get_patient()
        context = {
            "patient": patient,
            "note": note,
            "form": form,
            "modality_label": modality_label(note.modality),
            "rows": structured_rows(note),
            "parts": (note.structured or {}).get("parts", []),
            "site_tz": patient.site.time_zone,
        }
        return render(self.request, self.template_name, context, status=status)

    def refused(self, form: SignForm, exc: DomainError) -> HttpResponseBase:
        modality = Modality(self.get_note().modality)
        add_domain_error(form, flat_note_errors(exc.errors, modality) if isinstance(exc, InvalidNote) else exc)
        return self.form_invalid(form)

    def act(self, form: SignForm) -> IntegrationNote:
        return services.sign_note(by=self.request.user, note=self.get_note())

    def success_url(self, result: IntegrationNote) -> str:
        return reverse("staff:integration:note", args=[result.patient_id, result.pk])
