"""Forms of the integration screens. They only turn what was typed into the shapes the services take: every rule
(ranges, required fields, which fields a modality has) is integration.modalities', applied by the services, and a
refusal comes back beside its field (`field_for_error`, `PartRows`; clinic.form_posts.add_domain_error).

One note form per modality, each showing only its own fields: `NOTE_FORMS[modality]`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django import forms
from django.utils import timezone

from clinic import times
from clinic.errors import InvalidInput
from intake.forms import MedicationRows
from integration import sources
from integration.modalities import (
    EMDR_PHASES,
    LIST_MAX,
    PART_TYPES,
    SELF_ENERGY,
    SUD_MAX,
    SUD_MIN,
    UNBURDENING_STEPS,
    VOC_MAX,
    VOC_MIN,
    Modality,
)
from integration.models import PLAN_SECTION_LABELS, PLAN_SECTIONS, EvaluationOutcome

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class EntriesField(forms.CharField):
    """A list of short entries, typed one per line (or separated by `separator`); blank entries are dropped."""

    def __init__(self, *, separator: str = "\n", **kwargs: Any) -> None:
        self.separator = separator
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ("\n" if self.separator == "\n" else f"{self.separator} ").join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [entry.strip() for entry in str(text).split(self.separator) if entry.strip()]


class SiteDateTimeField(forms.DateTimeField):
    """A date and time typed as the clinic reads it: in the site's zone (`tz`), whatever the server's zone is."""

    tz: dt.tzinfo = dt.UTC

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(self.tz):
            return super().prepare_value(value)

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(self.tz):
            return super().to_python(value)


def _number(low: int, high: int, **attrs: Any) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric", **attrs})


def _whole(label: str, low: int, high: int, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, widget=_number(low, high), help_text=help_text)


def _text(label: str, rows: int = 0, help_text: str = "") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, required=False, widget=widget, help_text=help_text)


def _choices(names: Sequence[str]) -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ").capitalize()) for name in names]


def _flag(label: str) -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False)


# --- Notes ----------------------------------------------------------------------------------------------------------


class NoteForm(forms.Form):
    """The fields every note has; a general note has nothing more. Choices come from the patient's own sessions."""

    modality: ClassVar[Modality] = Modality.GENERAL
    structured_fields: ClassVar[tuple[str, ...]] = ()

    # Required here too (the services refuse a note without them), so the page marks only the truly optional.
    dosing_session = forms.TypedChoiceField(
        label="Dosing session it follows",
        coerce=int,
        empty_value=None,
        error_messages={"required": "Choose the dosing session this integration session follows."},
    )
    appointment = forms.TypedChoiceField(
        label="Integration appointment",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="The booked integration session this note is for, if there is one.",
    )
    started_at = SiteDateTimeField(
        label="Session started",
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="Date and time at the clinic.",
    )
    duration_min = forms.IntegerField(
        label="Duration (minutes)",
        widget=_number(1, 240),
        help_text="Integration sessions usually last 60 to 90 minutes.",
        error_messages={"required": "Enter how long the session lasted, in minutes."},
    )
    narrative = _text("Narrative", 8, "What happened in the session, in your words. Needed to sign.")
    plan = _text("Plan", 3, "What comes next: the focus of the next session, homework, referrals. Needed to sign.")

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        sessions: Sequence[sources.DosingSessionFacts],
        appointments: Sequence[sources.AppointmentFacts],
        tz: dt.tzinfo,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        started = self.fields["started_at"]
        assert isinstance(started, SiteDateTimeField)  # noqa: S101 - declared above
        started.tz = tz
        field = self.fields["dosing_session"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - declared above
        field.choices = [("", "Choose the dosing session")] + [
            (s.session_id, _session_label(s, tz)) for s in reversed(sessions) if s.was_dosed
        ]
        booked = self.fields["appointment"]
        assert isinstance(booked, forms.TypedChoiceField)  # noqa: S101 - declared above
        booked.choices = [("", "None")] + [
            (a.appointment_id, _appointment_label(a, tz)) for a in reversed(appointments)
        ]

    def structured(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.structured_fields}

    def note_data(self) -> dict[str, Any]:
        """What the note services take (integration.services.create_note / update_note)."""
        data = {
            name: self.cleaned_data.get(name)
            for name in ("dosing_session", "appointment", "started_at", "duration_min", "narrative", "plan")
        }
        data["modality"] = self.modality.value
        if self.modality != Modality.GENERAL:
            data[self.modality.value] = self.structured()
        return data

    def field_for_error(self, key: str) -> str | None:
        name = key.removeprefix(f"{self.modality.value}.")
        return name if name in self.fields else None


def _appointment_label(appointment: sources.AppointmentFacts, tz: dt.tzinfo) -> str:
    when = times.site_datetime(appointment.start, tz, zone=False)
    return f"{when} with {appointment.therapist_name} ({appointment.status_label})"


def _session_label(session: sources.DosingSessionFacts, tz: dt.tzinfo) -> str:
    dose = f" · {session.dose_mg} mg" if session.dose_mg is not None else ""
    return f"{times.site_datetime(session.start, tz, zone=False)} · {session.route_label}{dose}"


class EmdrNoteForm(NoteForm):
    modality = Modality.EMDR
    structured_fields = (
        "phase",
        "target",
        "worst_image",
        "negative_cognition",
        "positive_cognition",
        "voc",
        "emotions",
        "sud_before",
        "sud_after",
        "body_location",
        "bilateral_sets",
        "body_scan_clear",
    )

    phase = forms.ChoiceField(
        label="Phase",
        choices=[("", "Choose the phase"), *_choices(EMDR_PHASES)],
        error_messages={"required": "Choose the EMDR phase."},
    )
    target = _text("Target memory", 2)
    worst_image = _text("Worst image", 2)
    negative_cognition = _text("Negative cognition", help_text="e.g. “I am not safe”.")
    positive_cognition = _text("Positive cognition", help_text="e.g. “I am safe now”.")
    voc = _whole(f"VOC ({VOC_MIN}-{VOC_MAX})", VOC_MIN, VOC_MAX, "How true the positive cognition feels now.")
    emotions = EntriesField(label="Emotions", separator=",", help_text="Separate them with commas.")
    sud_before = _whole(f"SUD before ({SUD_MIN}-{SUD_MAX})", SUD_MIN, SUD_MAX)
    sud_after = _whole(f"SUD after ({SUD_MIN}-{SUD_MAX})", SUD_MIN, SUD_MAX)
    body_location = _text("Where it is felt in the body")
    bilateral_sets = _whole("Bilateral stimulation sets", 0, 500)
    body_scan_clear = _flag("Body scan clear")


class ArtNoteForm(NoteForm):
    modality = Modality.ART
    structured_fields = (
        "scene",
        "scene_private",
        "sud_before",
        "sud_after",
        "sensations",
        "image_replacement_completed",
        "eye_movement_sets",
    )

    scene = _text("Scene or metaphor", 3, "May stay blank when the patient keeps it private.")
    scene_private = _flag("The patient keeps the scene private")
    sud_before = _whole(f"SUD before ({SUD_MIN}-{SUD_MAX})", SUD_MIN, SUD_MAX)
    sud_after = _whole(f"SUD after ({SUD_MIN}-{SUD_MAX})", SUD_MIN, SUD_MAX)
    sensations = EntriesField(
        label="Sensations noticed and cleared", separator=",", help_text="Separate them with commas."
    )
    image_replacement_completed = _flag("Voluntary image replacement completed")
    eye_movement_sets = _whole("Eye-movement sets", 0, 500)


class IfsNoteForm(NoteForm):
    """The IFS fields; the parts are rows of `PartFormSet`, handed in as `parts` (`PartRows.rows()`)."""

    modality = Modality.IFS
    structured_fields = ("feel_toward", "self_energy", "permission_granted", "unburdening_steps", "updated_roles")

    feel_toward = _text("How do you feel toward the part?", 2)
    self_energy = forms.MultipleChoiceField(
        label="Self-energy", required=False, choices=_choices(SELF_ENERGY), widget=forms.CheckboxSelectMultiple
    )
    permission_granted = _flag("Protectors gave permission")
    unburdening_steps = forms.MultipleChoiceField(
        label="Unburdening steps reached",
        required=False,
        choices=_choices(UNBURDENING_STEPS),
        widget=forms.CheckboxSelectMultiple,
    )
    updated_roles = _text("Updated protector roles", 2)

    parts: list[dict[str, Any]] | None = None

    def structured(self) -> dict[str, Any]:
        return {**super().structured(), "parts": self.parts or []}


NOTE_FORMS: dict[Modality, type[NoteForm]] = {
    Modality.EMDR: EmdrNoteForm,
    Modality.ART: ArtNoteForm,
    Modality.IFS: IfsNoteForm,
    Modality.GENERAL: NoteForm,
}


class PartForm(forms.Form):
    name = _text("Name")
    type = forms.ChoiceField(label="Type", required=False, choices=[("", "Choose"), *_choices(PART_TYPES)])
    body_location = _text("Body location")
    fears = _text("Fears")

    def row(self) -> dict[str, Any] | None:
        """The part as the services take it, or None for an empty row or one marked for removal."""
        data = getattr(self, "cleaned_data", {})
        if data.get("DELETE"):
            return None
        part = {name: data.get(name) or "" for name in ("name", "type", "body_location", "fears")}
        return part if any(part.values()) else None


PartFormSet = forms.formset_factory(PartForm, extra=1, can_delete=True, max_num=LIST_MAX, absolute_max=LIST_MAX)


class PartRows(MedicationRows):
    """The filled-in rows of the parts formset, as intake's rows of medicines are: a refusal of `parts[1].type` lands
    on the second filled-in row, one of `parts` above the rows (clinic.form_posts.ErrorRows)."""

    key = "parts"


def flat_note_errors(errors: Mapping[str, Any], modality: Modality) -> InvalidInput:
    """A note refusal with the modality's own errors lifted to the top (`{"emdr": {"voc": [...]}}` becomes
    `{"voc": [...]}`), so that each lands beside its field on the form."""
    flat: dict[str, str | list[str]] = {}
    for key, value in errors.items():
        if isinstance(value, dict):
            for name, messages in value.items():
                flat[name if key == modality.value else f"{key}.{name}"] = messages
        else:
            flat[key] = value
    return InvalidInput(flat)


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A correction or an addition; the signed note itself stays as it was.",
    )


class SignForm(forms.Form):
    """Signing needs nothing typed: the confirmation page's button is the decision."""


# --- Relapse-prevention plan and maintenance evaluations ------------------------------------------------------------


class RelapsePlanForm(forms.Form):
    """The Stanley-Brown sections, one entry per line (clinical protocol §7)."""

    maintenance_criteria = _text(
        "When to consider a booster session", 3, "The maintenance criteria, in words the patient reads in the portal."
    )
    review_date = forms.DateField(
        label="Review date",
        required=False,
        widget=times.date_input(),
        help_text="Leave blank for the protocol's default.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sections = {
            name: EntriesField(
                label=PLAN_SECTION_LABELS[name], help_text="One per line.", widget=forms.Textarea(attrs={"rows": 3})
            )
            for name in PLAN_SECTIONS
        }
        self.fields = {**sections, **self.fields}

    def plan_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class ResolveEvaluationForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=EvaluationOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome."},
    )
    reason = _text("Reason", 3, "Needed when no action is taken: say why.")
