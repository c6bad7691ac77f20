"""Staff and portal forms of intake. They parse and check their fields; intake.services decides and audits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from clinic import times
from clinic.validators import NOTE_MAX, no_control_characters
from intake.consent import CURRENT_CONSENT_VERSION
from intake.models import HealthQuestionnaire
from intake.rules import MEDICATION_CATEGORIES
from intake.services import SCREENING_FACT_FIELDS, blood_pressure_error, plausible_bounds
from intake.vocabulary import (
    MEDICATION_CATEGORY_LABELS,
    PATIENT_HISTORY_LABELS,
    PATIENT_MEDICATION_CATEGORY_LABELS,
    PATIENT_SUBSTANCE_USE_LABELS,
    SUBSTANCE_USE_LABELS,
    history_groups_with_labels,
)

DATE = times.date_input()
SUBSTANCE_USE_ERROR_FIELDS = {
    "substance_use_disorder.status": "substance_use_status",
    "substance_use_disorder.remission_since": "remission_since",
    "substance_use_disorder": "substance_use_status",
}


def _category_choices(labels: dict[str, str]) -> list[tuple[str, str]]:
    assert set(labels) == MEDICATION_CATEGORIES  # noqa: S101 - a new category must get a label
    return [("", "Choose…"), *labels.items()]


class SubstanceUseFields(forms.Form):
    """Substance use disorder status and remission date, checked together."""

    substance_use_labels: dict[str, str] = SUBSTANCE_USE_LABELS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substance_use_status"] = forms.ChoiceField(
            label="Substance use disorder",
            choices=list(self.substance_use_labels.items()),
            initial="none",
            widget=forms.RadioSelect,
        )
        self.fields["remission_since"] = forms.DateField(
            label="In remission since", required=False, widget=DATE, help_text="Only for a disorder in remission."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("substance_use_status") != "remission" and data.get("remission_since"):
            self.add_error("remission_since", "A remission date needs the disorder marked as in remission.")
        return data

    def field_for_error(self, key: str) -> str:
        """The field of a service's error key: the services call the status and date `substance_use_disorder`."""
        return SUBSTANCE_USE_ERROR_FIELDS.get(key, key)

    def substance_use(self) -> dict[str, Any]:
        return {
            "status": self.cleaned_data["substance_use_status"],
            "remission_since": self.cleaned_data.get("remission_since"),
        }


def self_report_initial(report: HealthQuestionnaire) -> dict[str, Any]:
    """The patient's own account as initial values of the portal's health form and the nurse's screening form."""
    substance = report.substance_use or {}
    return {
        "history": report.history,
        "pregnant_or_breastfeeding": report.pregnant_or_breastfeeding,
        "substance_use_status": substance.get("status") or "none",
        "remission_since": substance.get("remission_since"),
    }


class ScreeningForm(SubstanceUseFields):
    """What a nurse enters at the intake screening (clinical protocol §1). Medications are a formset."""

    height_cm = forms.DecimalField(label="Height (cm)", max_digits=5, decimal_places=1, **plausible_bounds("height_cm"))
    weight_kg = forms.DecimalField(label="Weight (kg)", max_digits=5, decimal_places=1, **plausible_bounds("weight_kg"))
    systolic = forms.IntegerField(label="Systolic BP (mmHg)", **plausible_bounds("systolic"))
    diastolic = forms.IntegerField(label="Diastolic BP (mmHg)", **plausible_bounds("diastolic"))
    heart_rate = forms.IntegerField(label="Heart rate (/min)", **plausible_bounds("heart_rate"))
    history = forms.MultipleChoiceField(
        label="History",
        required=False,
        choices=history_groups_with_labels(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every condition that applies, current or past as labelled.",
    )
    myocardial_infarction_date = forms.DateField(label="Latest myocardial infarction", required=False, widget=DATE)
    stroke_date = forms.DateField(label="Latest stroke or TIA", required=False, widget=DATE)
    pregnant_or_breastfeeding = forms.BooleanField(label="Pregnant or breastfeeding", required=False)
    failed_antidepressant_trials = forms.IntegerField(
        label="Failed adequate antidepressant trials", **plausible_bounds("failed_antidepressant_trials"),
        help_text="Adequate dose and duration, in the current or past episodes.",
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bp_error := blood_pressure_error(data.get("systolic"), data.get("diastolic")):
            self.add_error("diastolic", bp_error)
        return data

    def history_groups(self) -> list[tuple[str, list[Any]]]:
        """The history checkboxes (bound widgets) by group, for the template."""
        widgets = {w.data["value"]: w for w in self["history"].subwidgets}
        return [(group, [widgets[code] for code, _label in codes]) for group, codes in history_groups_with_labels()]

    def facts(self, medications: list[dict[str, Any]]) -> dict[str, Any]:
        """The facts intake.services.screen_patient takes."""
        facts = {name: self.cleaned_data[name] for name in SCREENING_FACT_FIELDS if name in self.fields}
        facts.update(
            history=list(self.cleaned_data["history"]),
            medications=medications,
            substance_use_disorder=self.substance_use(),
        )
        return facts


class MedicationForm(forms.Form):
    """One medication row of the screening; a row left blank is skipped."""

    name = forms.CharField(label="Medicine", max_length=120, required=False)
    category = forms.ChoiceField(
        label="Category", choices=_category_choices(MEDICATION_CATEGORY_LABELS), required=False
    )
    diazepam_equivalent_mg_per_day = forms.DecimalField(
        label="Diazepam-equivalent mg/day", max_digits=6, decimal_places=2, min_value=0, required=False,
        help_text="For benzodiazepines; leave empty if unknown (counts as above the limit).",
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and not data.get("category"):
            self.add_error("category", "Choose the category of this medicine.")
        if data.get("category") and not data.get("name"):
            self.add_error("name", "Give the medicine's name.")
        return data

    def row(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        dose: Decimal | None = data.get("diazepam_equivalent_mg_per_day")
        return {"name": data["name"], "category": data["category"], "diazepam_equivalent_mg_per_day": dose}


MedicationFormSet = forms.formset_factory(MedicationForm, extra=3, max_num=30)


class MedicationRows:
    """The filled-in rows of a medication formset, as the services take them (`medications`); a refusal of
    `medications[2].name` lands on the third filled-in row, one of `medications` above the rows
    (clinic.form_posts.ErrorRows)."""

    key = "medications"

    def __init__(self, formset: forms.BaseFormSet[Any]) -> None:
        self.formset = formset
        self.forms = [form for form in formset.forms if form.row() is not None]

    def rows(self) -> list[dict[str, Any]]:
        return [form.row() for form in self.forms]

    def take_error(self, key: str, messages: list[str]) -> bool:
        if key == self.key:
            self.formset.non_form_errors().extend(messages)  # shown above the rows
            return True
        index_text, _, name = key.removeprefix(f"{self.key}[").partition("].")
        if not key.startswith(f"{self.key}[") or not index_text.isdigit() or int(index_text) >= len(self.forms):
            return False
        row = self.forms[int(index_text)]
        if name not in row.fields:
            return False
        row.add_error(name, messages)
        return True


class OverrideForm(forms.Form):
    """A prescriber's override: the reason, and each relative finding it addresses (`findings`: (code, words)).
    The service checks both (the reason's minimum length is the protocol's); the form only parses them."""

    reason = forms.CharField(
        label="Reason for the override",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write why the relative findings are acceptable for this patient."},
    )
    addressed_findings = forms.MultipleChoiceField(
        label="Findings the reason addresses",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick each finding your reason addresses."},
        help_text="Tick each relative finding; the reason must address every one of them.",
    )

    def __init__(self, *args: Any, findings: list[tuple[str, str]], min_chars: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["addressed_findings"].choices = findings  # type: ignore[attr-defined]
        self.fields["reason"].help_text = (
            f"Why each finding is acceptable for this patient, at least {min_chars} characters; it is kept with the "
            "screening."
        )


class MedicalClearanceForm(forms.Form):
    note = forms.CharField(
        label="Clearance note",
        max_length=NOTE_MAX,  # the model's limit: the form and the API refuse the same
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what was reviewed (history, examination, tests) and the conclusion."},
        help_text="What you reviewed (history, examination, tests) and your conclusion.",
    )


class ResolveSafetyTaskForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        max_length=NOTE_MAX,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what was done: who spoke with the patient and the outcome."},
        help_text="Who spoke with the patient, when, and the outcome of the safety evaluation.",
    )


class ConsentForm(forms.Form):
    document_version = forms.CharField(widget=forms.HiddenInput, initial=CURRENT_CONSENT_VERSION)
    signed_name = forms.CharField(
        label="Full name", max_length=200, error_messages={"required": "Type the patient's full name to sign."}
    )


class HealthQuestionnaireForm(SubstanceUseFields):
    """The portal's history questions, in plain words."""

    substance_use_labels = PATIENT_SUBSTANCE_USE_LABELS

    history = forms.MultipleChoiceField(
        label="Tick anything that applies to you",
        required=False,
        choices=list(PATIENT_HISTORY_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    pregnant_or_breastfeeding = forms.BooleanField(label="I am pregnant or breastfeeding", required=False)
    notes = forms.CharField(
        label="Anything else your care team should know", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substance_use_status"].label = "Have you ever had a problem with alcohol or drugs?"
        self.fields["remission_since"].label = "If you have stopped: since when?"
        self.fields["remission_since"].help_text = "An approximate date is fine."


class PatientMedicationForm(forms.Form):
    name = forms.CharField(label="Medicine", max_length=120, required=False)
    category = forms.ChoiceField(
        label="What kind", choices=_category_choices(PATIENT_MEDICATION_CATEGORY_LABELS), required=False
    )
    dose = forms.CharField(label="How much and how often", max_length=120, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and not data.get("category"):
            data["category"] = "other"
        return data

    def row(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return {"name": data["name"], "category": data["category"], "dose": data.get("dose", "")}


PatientMedicationFormSet = forms.formset_factory(PatientMedicationForm, extra=3, max_num=30)
