"""Forms of the staff screens. They parse input only; the services decide (and say why not)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from clinic import times
from clinic.models import Chair, Role, Site, User
from clinic.protocol import Route
from sessions.models import ROUTE_CHOICES, AdverseEventKind, Severity
from sessions.services import CHECK_IN_FACTS

WEEKDAY_CHOICES = [(str(i), name) for i, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))]
ALDRETE_ITEMS = (
    ("activity", "Activity", ("0 - moves no limbs", "1 - moves 2 limbs", "2 - moves 4 limbs")),
    ("respiration", "Respiration", ("0 - apnoeic", "1 - dyspnoea or limited breathing", "2 - breathes deeply, coughs")),
    ("circulation", "Circulation", ("0 - BP ±50% of baseline", "1 - BP ±20-50%", "2 - BP ±20% of baseline")),
    ("consciousness", "Consciousness", ("0 - not responding", "1 - arousable on calling", "2 - fully awake")),
    (
        "oxygen",
        "SpO2",
        ("0 - below 90% with oxygen", "1 - needs oxygen to stay above 90%", "2 - above 92% on room air"),
    ),
)


# CADSS-6 (Rodrigues et al. 2021): items 1, 2, 6, 7, 15 and 22 of the full CADSS (Bremner et al. 1998), as short
# labels for the entry form; the clinician asks the scale's own questions.
CADSS6_ITEMS = (
    "Things seem to move in slow motion",
    "Things seem unreal, as in a dream",
    "Feels disconnected from own body",
    "Sense of own body changed",
    "Spaces out, loses track of what is going on",
    "Gaps in memory",
)
CADSS6_RATINGS = ("0 - not at all", "1 - slightly", "2 - moderately", "3 - considerably", "4 - extremely")


def _decimal(label: str, *, required: bool = False, help_text: str = "", **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, help_text=help_text, **kwargs)


def _number_input(**attrs: Any) -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", **attrs})


def _offer(form: forms.Form, name: str, options: QuerySet[Any] | list[tuple[str, str]]) -> None:
    """Offer `options` in a choice field: the chairs and staff of the patient's site, the protocol's templates."""
    field = form.fields[name]
    if isinstance(field, forms.ModelChoiceField) and isinstance(options, QuerySet):
        field.queryset = options
    elif isinstance(field, forms.ChoiceField) and isinstance(options, list):
        field.choices = options
    else:
        raise TypeError(f"{name} cannot offer {type(options).__name__}")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, required=False, widget=forms.TextInput)


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


# The session page shows several forms at once: those whose fields share a name have a prefix, so that every
# input keeps its own id and label.
class ReviewForm(RequiredReasonForm):
    prefix = "review"


class DeferForm(RequiredReasonForm):
    prefix = "defer"


class CancelForm(ReasonForm):
    prefix = "cancel"


class CheckInForm(forms.Form):
    fasting_solids_hours = _decimal(
        "Hours since the last solid food", min_value=0, max_value=240, decimal_places=2, required=False
    )
    fasting_clear_liquids_hours = _decimal(
        "Hours since the last clear liquid", min_value=0, max_value=240, decimal_places=2, required=False
    )
    escort_confirmed = forms.BooleanField(label="An adult escort will take the patient home", required=False)
    escort_name = forms.CharField(label="Escort's name", max_length=120, required=False)
    escort_phone = forms.CharField(
        label="Escort's phone", max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )


class CheckInCorrectionForm(CheckInForm):
    """Every fact of the check-in given again (starting from the record), and what changed."""

    reason = forms.CharField(label="What changed", max_length=500, required=False)

    def __init__(self, *args: Any, check_in: Any = None, **kwargs: Any) -> None:
        if check_in is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(check_in, name) for name in CHECK_IN_FACTS}
        super().__init__(*args, **kwargs)


class EndDosingForm(forms.Form):
    """Ending dosing; before the planned duration the service asks why, and the dose given may be entered."""

    stop_reason = forms.CharField(
        label="Why is dosing ending early?", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    actual_dose_mg = _decimal(
        "Dose given (mg)",
        decimal_places=1,
        min_value=0,
        help_text="Empty: the infusion rate times the minutes it ran.",
    )


class VitalsForm(forms.Form):
    """Fast entry: whole numbers only; the service refuses impossible values field by field."""

    systolic = forms.IntegerField(label="Systolic", widget=_number_input(autofocus=True))
    diastolic = forms.IntegerField(label="Diastolic", widget=_number_input())
    heart_rate = forms.IntegerField(label="Heart rate", widget=_number_input())
    spo2 = forms.IntegerField(label="SpO2 %", widget=_number_input())
    respiratory_rate = forms.IntegerField(label="Resp. rate", required=False, widget=_number_input())


class DoseForm(forms.Form):
    mg_per_kg = _decimal("mg/kg", required=False, decimal_places=3, help_text="Empty: the protocol's default.")
    dose_mg = _decimal("Dose (mg)", required=False, decimal_places=1, help_text="Fixed-dose routes.")
    duration_min = forms.IntegerField(label="Infusion minutes", required=False)
    bag_volume_ml = _decimal("Bag volume (mL)", required=False, decimal_places=1)
    concentration_mg_per_ml = _decimal("Vial concentration (mg/mL)", required=False, decimal_places=2)
    weight_kg = _decimal("Weight today (kg)", required=False, decimal_places=1, help_text="Empty: the record's.")
    lot_number = forms.CharField(
        label="Lot number", max_length=60, error_messages={"required": "Give the medication's lot number."}
    )
    override_reason = forms.CharField(
        label="Prescriber's override reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, route: str, can_override: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override_reason"]
        if route in (Route.SUBLINGUAL, Route.ESKETAMINE):
            for name in ("mg_per_kg", "duration_min", "bag_volume_ml", "weight_kg"):
                del self.fields[name]
        else:
            del self.fields["dose_mg"]
        if route != Route.IV:
            self.fields.pop("duration_min", None)
            self.fields.pop("bag_volume_ml", None)
        if route not in (Route.IV, Route.IM):
            del self.fields["concentration_mg_per_ml"]

    def service_inputs(self) -> dict[str, Any]:
        """The calculation inputs (everything but lot and reasons), without the fields left empty."""
        skip = {"lot_number", "override_reason"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip and v is not None}

    def field_for_error(self, key: str) -> str | None:
        """A dose that needs an override: the reason goes beside the override field (a prescriber's)."""
        return "override_reason" if key == "dose_override_required" else key


class AdverseEventForm(forms.Form):
    prefix = "adverse"
    kind = forms.ChoiceField(label="Kind", choices=AdverseEventKind.choices)
    severity = forms.ChoiceField(label="Severity", choices=Severity.choices)
    action_taken = forms.CharField(label="Action taken", widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DischargeForm(forms.Form):
    # Not drawn as an input: it holds the errors about the score as a whole, shown with the five items.
    aldrete = forms.Field(label="Modified Aldrete score", required=False, widget=forms.HiddenInput)
    escort_confirmed = forms.BooleanField(label="Escort present to take the patient home", required=False)
    escort_name = forms.CharField(label="Escort's name", max_length=120, required=False)
    instructions_given = forms.BooleanField(label="Discharge instructions given", required=False)
    no_driving_acknowledged = forms.BooleanField(
        label="Patient acknowledges: no driving until the next day", required=False
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        aldrete = {
            f"aldrete_{key}": forms.TypedChoiceField(
                label=f"Aldrete: {label}", choices=[(str(i), text) for i, text in enumerate(options)], coerce=int
            )
            for key, label, options in ALDRETE_ITEMS
        }
        self.fields = {**aldrete, **self.fields}

    def clean(self) -> dict[str, Any]:
        """The five Aldrete items become one list, in the instrument's order, as the discharge service takes it."""
        data = super().clean() or {}
        items = [data.pop(f"aldrete_{key}", None) for key, _label, _options in ALDRETE_ITEMS]
        data.pop("aldrete", None)
        if None not in items:
            data["aldrete"] = items
        return data

    @property
    def aldrete_items(self) -> list[forms.BoundField]:
        """The five Aldrete selects, in the instrument's order."""
        return [self[f"aldrete_{key}"] for key, _label, _options in ALDRETE_ITEMS]

    def field_for_error(self, key: str) -> str | None:
        """The discharge refusal's blockers beside what they are about."""
        return {"aldrete_too_low": "aldrete", "no_escort": "escort_confirmed"}.get(key, key)

    def aldrete_total(self) -> int | None:
        """The score as entered so far (for the checklist), or None until every item has a valid value."""
        items = self.cleaned_data.get("aldrete") if hasattr(self, "cleaned_data") else None
        return sum(items) if items else None


class DissociationForm(forms.Form):
    """The CADSS-6: six selects 0-4, cleaned into the `items` list the service takes. Each starts blank, so an item
    not asked cannot pass as a 0."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *enumerate(CADSS6_RATINGS)]
        for number, label in enumerate(CADSS6_ITEMS, start=1):
            self.fields[f"cadss_{number}"] = forms.TypedChoiceField(
                label=f"{number}. {label}", choices=choices, coerce=int
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        items = [data.pop(f"cadss_{number}", None) for number in range(1, len(CADSS6_ITEMS) + 1)]
        if None not in items:
            data["items"] = items
        return data


class RemsSubmissionForm(forms.Form):
    reference = forms.CharField(label="REMS reference number", max_length=100)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when items are missing: how they were reported on the form.",
    )


class BookingForm(forms.Form):
    route = forms.ChoiceField(label="Route", choices=ROUTE_CHOICES, initial=Route.IV)
    date = forms.DateField(label="Date", widget=times.date_input())
    time = forms.TimeField(label="Start time", widget=times.time_input(step=300))
    chair = forms.ModelChoiceField(label="Chair", queryset=Chair.objects.none())
    supervising_clinician = forms.ModelChoiceField(
        label="Supervising prescriber", queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, chairs: QuerySet[Chair], prescribers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "chair", chairs)
        _offer(self, "supervising_clinician", prescribers)


class CourseForm(forms.Form):
    template = forms.ChoiceField(label="Course template")
    start_date = forms.DateField(label="First week starts", widget=times.date_input())
    weekdays = forms.MultipleChoiceField(label="Weekdays", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple)
    time = forms.TimeField(label="Start time", widget=times.time_input(step=300))
    chair = forms.ModelChoiceField(label="Chair", queryset=Chair.objects.none())
    supervising_clinician = forms.ModelChoiceField(
        label="Supervising prescriber", queryset=User.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        templates: list[tuple[str, str]],
        chairs: QuerySet[Chair],
        prescribers: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "template", templates)
        _offer(self, "chair", chairs)
        _offer(self, "supervising_clinician", prescribers)


class IntegrationForm(forms.Form):
    therapist = forms.ModelChoiceField(label="Therapist", queryset=User.objects.none())
    date = forms.DateField(label="Date", widget=times.date_input())
    time = forms.TimeField(label="Start time", widget=times.time_input(step=300))
    duration_min = forms.IntegerField(label="Minutes")  # initial: the protocol's shortest, set by the view
    chair = forms.ModelChoiceField(label="Chair", queryset=Chair.objects.none(), required=False)
    room = forms.CharField(label="Or room", max_length=80, required=False)

    def __init__(self, *args: Any, site: Site, chairs: QuerySet[Chair], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        therapists = User.objects.filter(role=Role.THERAPIST, is_active=True, sites=site).order_by("last_name")
        _offer(self, "therapist", therapists)
        _offer(self, "chair", chairs)


def local_datetime(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """A wall-clock date and time at the site as an aware datetime (the earlier of a repeated hour)."""
    return dt.datetime.combine(day, time, tzinfo=tz)
