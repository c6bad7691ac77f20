"""clinic.form_posts.add_domain_error: the one way a service's refusal reaches the form that was posted."""

from __future__ import annotations

from django import forms

from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.form_posts import add_domain_error, error_sentences
from intake.forms import MedicationFormSet, MedicationRows, ScreeningForm
from intake.questionnaires import QUESTIONNAIRES, QuestionnaireForm


class NoteForm(forms.Form):
    note = forms.CharField()


def _valid_note_form() -> NoteForm:
    form = NoteForm({"note": "Called the patient."})
    assert form.is_valid()
    return form


def test_field_errors_go_beside_their_field_and_unknown_fields_above_the_form() -> None:
    form = _valid_note_form()
    add_domain_error(form, InvalidInput({"note": "Say more.", "cleared_at": "This time is in the future."}))
    assert form.errors["note"] == ["Say more."]
    assert form.non_field_errors() == ["This time is in the future."]


def test_other_refusals_go_above_the_form() -> None:
    for refusal in (Conflict("Already resolved.", code="already_resolved"), NotAllowed("Not your role.")):
        form = _valid_note_form()
        add_domain_error(form, refusal)
        assert form.non_field_errors() == [refusal.message]
        assert error_sentences(form) == [refusal.message]


def test_a_form_names_its_own_fields_for_the_services_keys() -> None:
    questionnaire = next(iter(QUESTIONNAIRES.values()))
    form = QuestionnaireForm({}, questionnaire=questionnaire)
    form.is_valid()
    add_domain_error(form, InvalidInput({"answers[2]": "Answer this question."}))
    assert "Answer this question." in form.errors["item_3"]


def test_medication_errors_land_on_the_row_that_was_filled_in() -> None:
    data = {
        "med-TOTAL_FORMS": "3",
        "med-INITIAL_FORMS": "0",
        "med-0-name": "",
        "med-1-name": "Sertraline",
        "med-1-category": "antidepressant",
    }
    formset = MedicationFormSet(data, prefix="med")
    assert formset.is_valid(), formset.errors
    rows = MedicationRows(formset)
    assert [row["name"] for row in rows.rows()] == ["Sertraline"]
    form = ScreeningForm({})
    form.is_valid()
    refusal = InvalidInput({"medications[0].category": "Unknown category.", "medications": "Too many.",
                            "substance_use_disorder.status": "Choose one."})  # fmt: skip
    add_domain_error(form, refusal, rows=rows)
    assert formset.forms[1].errors["category"] == ["Unknown category."]
    assert formset.non_form_errors() == ["Too many."]
    assert "Choose one." in form.errors["substance_use_status"]


class DoseForm(forms.Form):
    lot_number = forms.CharField(label="Lot number")
    mg_per_kg = forms.DecimalField(label="Dose (mg/kg)")


def test_error_sentences_name_each_field_by_its_label_never_its_key() -> None:
    form = DoseForm({"lot_number": "", "mg_per_kg": "lots"})
    assert not form.is_valid()
    form.add_error(None, "The escort is not confirmed.")
    assert error_sentences(form) == [
        "Lot number: This field is required.",
        "Dose (mg/kg): Enter a number.",
        "The escort is not confirmed.",
    ]
    assert not any("mg_per_kg" in line or "lot_number" in line for line in error_sentences(form))


def test_a_refusal_read_as_a_message_has_no_field_keys() -> None:
    refusal = InvalidInput({"weight_kg": "Enter a weight above 0 kg.", "mg_per_kg": "Choose a dose."})
    assert refusal.message == "Enter a weight above 0 kg. Choose a dose."
