"""The wording of the questionnaires patients fill (PHQ-9, GAD-7, C-SSRS screener) and the forms that ask them.

Scoring is intake.instruments'; this module only asks the questions and turns a form into the `answers` the
scorer takes. The portal and the staff screen ("entered in clinic") share these forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import Http404

from intake.instruments import CSSRS_QUESTIONS, Instrument

FREQUENCY = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
YES_NO = (("yes", "Yes"), ("no", "No"))


@dataclass(frozen=True)
class Questionnaire:
    instrument: Instrument
    title: str
    intro: str
    items: tuple[str, ...]
    minutes: int


QUESTIONNAIRES: dict[Instrument, Questionnaire] = {
    Instrument.PHQ9: Questionnaire(
        Instrument.PHQ9,
        "Mood (PHQ-9)",
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
        (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed, or the opposite: being so fidgety "
            "or restless that you have been moving around a lot more than usual",
            "Thoughts that you would be better off dead, or of hurting yourself in some way",
        ),
        3,
    ),
    Instrument.GAD7: Questionnaire(
        Instrument.GAD7,
        "Anxiety (GAD-7)",
        "Over the last 2 weeks, how often have you been bothered by the following problems?",
        (
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ),
        2,
    ),
    Instrument.CSSRS_SCREEN: Questionnaire(
        Instrument.CSSRS_SCREEN,
        "Safety questions (C-SSRS screener)",
        "These questions are about thoughts of death and suicide. We ask everyone. Please answer yes or no; "
        "your answers help your care team keep you safe.",
        (
            "In the past month, have you wished you were dead, or wished you could go to sleep and not wake up?",
            "In the past month, have you actually had any thoughts of killing yourself?",
            "In the past month, have you been thinking about how you might do this?",
            "In the past month, have you had these thoughts and had some intention of acting on them?",
            "In the past month, have you started to work out, or worked out, the details of how to kill yourself? "
            "Do you intend to carry out this plan?",
            "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
            "If yes to the question above: was this within the past 3 months?",
        ),
        2,
    ),
}
PATIENT_INSTRUMENTS: tuple[Instrument, ...] = tuple(QUESTIONNAIRES)


def questionnaire_or_404(code: str) -> Questionnaire:
    """The questionnaire a patient can fill, by instrument code (from the URL)."""
    try:
        return QUESTIONNAIRES[Instrument(code)]
    except (KeyError, ValueError):
        raise Http404("No such questionnaire.") from None


def item_field(index: int) -> str:
    return f"item_{index + 1}"


class QuestionnaireForm(forms.Form):
    """One radio group per item. `answers()` gives what intake.instruments.score takes."""

    questionnaire: Questionnaire

    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        cssrs = questionnaire.instrument is Instrument.CSSRS_SCREEN
        for index, text in enumerate(questionnaire.items):
            name = CSSRS_QUESTIONS[index] if cssrs else item_field(index)
            self.fields[name] = forms.TypedChoiceField(
                label=f"{index + 1}. {text}" if not cssrs else text,
                choices=YES_NO if cssrs else FREQUENCY,
                coerce=(lambda value: value == "yes") if cssrs else int,
                widget=forms.RadioSelect,
                required=not (cssrs and name == "q6_past_3_months"),
                error_messages={"required": "Please answer this question."},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.questionnaire.instrument is Instrument.CSSRS_SCREEN:
            if data.get("q6_lifetime") and data.get("q6_past_3_months") in (None, ""):
                self.add_error("q6_past_3_months", "Please answer this question.")
            elif not data.get("q6_lifetime") and data.get("q6_past_3_months") in (None, ""):
                data["q6_past_3_months"] = False
        return data

    def answers(self) -> list[int] | dict[str, bool]:
        data = self.cleaned_data
        if self.questionnaire.instrument is Instrument.CSSRS_SCREEN:
            return {name: bool(data[name]) for name in CSSRS_QUESTIONS}
        return [data[item_field(i)] for i in range(len(self.questionnaire.items))]

    def field_for_error(self, item: str) -> str | None:
        """The form field of an answer path from intake.instruments ("answers[3]" -> "item_4", "answers.q4" -> "q4");
        clinic.form_posts.add_domain_error asks it."""
        if item.startswith("answers[") and item.endswith("]"):
            name = item_field(int(item[len("answers[") : -1]))
        else:
            name = item.removeprefix("answers.")
        return name if name in self.fields else None


def field_name(questionnaire: Questionnaire, index: int) -> str:
    """The form field of the question at `index` (zero-based)."""
    return CSSRS_QUESTIONS[index] if questionnaire.instrument is Instrument.CSSRS_SCREEN else item_field(index)


def answered_so_far(questionnaire: Questionnaire, data: Mapping[str, Any]) -> dict[str, int | bool]:
    """The answers in a partly filled form (a draft save), as intake.services.save_questionnaire_draft takes them:
    C-SSRS question codes -> yes/no, other items by one-based number -> their value. Unanswered questions are left
    out; an answer that is not one of the choices is left out too (the full form refuses it when it is sent)."""
    answered: dict[str, int | bool] = {}
    cssrs = questionnaire.instrument is Instrument.CSSRS_SCREEN
    for index in range(len(questionnaire.items)):
        raw = data.get(field_name(questionnaire, index))
        if cssrs and raw in ("yes", "no"):
            answered[CSSRS_QUESTIONS[index]] = raw == "yes"
        elif not cssrs and raw in {str(value) for value, _ in FREQUENCY}:
            answered[str(index + 1)] = int(raw)
    return answered


def initial_from(questionnaire: Questionnaire, answered: Mapping[str, Any]) -> dict[str, Any]:
    """A draft's answers as the form's initial values, so the patient finds them ticked."""
    initial: dict[str, Any] = {}
    for index in range(len(questionnaire.items)):
        if questionnaire.instrument is Instrument.CSSRS_SCREEN:
            value = answered.get(CSSRS_QUESTIONS[index])
            if isinstance(value, bool):
                initial[CSSRS_QUESTIONS[index]] = "yes" if value else "no"
        elif (value := answered.get(str(index + 1))) is not None:
            initial[item_field(index)] = value
    return initial
