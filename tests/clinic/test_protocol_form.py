"""The structured protocol form: derived from the protocol model (a new setting appears by itself), every setting
with words, unit, default and rule; refusals beside the setting with what was typed; differences in words."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from clinic.protocol import DEFAULT_PROTOCOL, Protocol
from clinic.protocol_fields import NEW, all_settings, sections
from clinic.protocol_forms import ProtocolSettingsForm, default_settings, differences

DEFAULTS = DEFAULT_PROTOCOL.to_json()


def _leaves(data: Any, prefix: str = "") -> set[str]:
    if isinstance(data, dict):
        return {leaf for key, value in data.items() for leaf in _leaves(value, f"{prefix}{key}.")}
    return {prefix.rstrip(".")}


def _posted(form: ProtocolSettingsForm, **changes: Any) -> dict[str, Any]:
    data = {name: form.initial.get(name, "") for name in form.fields}
    data = {k: v for k, v in data.items() if v is not False}
    data.update(change_summary="A reason for the change", activate="on")
    data.update({k.replace("__", "."): v for k, v in changes.items()})
    return data


def _bound(**changes: Any) -> ProtocolSettingsForm:
    blank = ProtocolSettingsForm(start=default_settings())
    return ProtocolSettingsForm(_posted(blank, **changes), start=default_settings())


def test_every_value_of_the_protocol_has_one_setting_with_words_a_unit_and_a_default() -> None:
    found = [s for s in all_settings(sections(Protocol, DEFAULTS, DEFAULTS)) if f".{NEW}." not in s.path]
    assert {s.path for s in found} == _leaves(DEFAULTS)
    for setting in found:
        assert "_" not in setting.label, setting.path
        assert setting.default is not None or setting.kind in {"integer", "decimal"}, setting.path
    by_path = {s.path: s for s in found}
    validity = by_path["screening.validity_days"]
    assert (validity.label, validity.unit, validity.default) == ("A screening stays valid for", "days", 180)
    assert validity.rule == "A whole number, 0 or more."
    iv_dose = by_path["dosing.routes.iv.default_mg_per_kg"]
    assert (iv_dose.label, iv_dose.unit, iv_dose.default) == ("Default dose", "mg/kg", "0.5")
    assert by_path["outcomes.response_drop_percent"].rule == "A number above 0 up to 100."


def test_a_setting_added_to_the_model_appears_without_editing_the_form() -> None:
    class Reviews(BaseModel):
        case_review_every_days: int = 30
        second_opinion_above_mg: float | None = None

    class Extended(Protocol):
        reviews: Reviews = Reviews()

    settings = {s.path: s for s in all_settings(sections(Extended, Extended().to_json(), Extended().to_json()))}
    review = settings["reviews.case_review_every_days"]
    assert (review.label, review.unit, review.kind, review.default) == ("Case review every", "days", "integer", 30)
    assert settings["reviews.second_opinion_above_mg"].required is False


def test_the_unchanged_form_gives_back_the_same_protocol() -> None:
    form = _bound()
    assert form.is_valid(), form.errors
    assert form.protocol is not None
    assert form.protocol.to_json() == DEFAULTS


def test_changed_values_reach_the_protocol_exactly() -> None:
    form = _bound(
        screening__validity_days="120",
        dosing__routes__iv__default_mg_per_kg="0.45",
        dosing__routes__esketamine__allowed_mg="28, 56",
        scheduling__templates__esketamine_induction__phases="4, 2\n6, 1",
        outcomes__baseline_instrument="madrs",
        messaging__crisis_words="suicide, end my life",
    )
    assert form.is_valid(), form.errors
    settings = form.protocol.to_json()
    assert settings["screening"]["validity_days"] == 120
    assert settings["dosing"]["routes"]["iv"]["default_mg_per_kg"] == "0.45"
    assert settings["dosing"]["routes"]["esketamine"]["allowed_mg"] == ["28", "56"]
    assert settings["scheduling"]["templates"]["esketamine_induction"]["phases"] == [[4, 2], [6, 1]]
    assert settings["outcomes"]["baseline_instrument"] == "madrs"
    assert settings["messaging"]["crisis_words"] == ["suicide", "end my life"]  # words, one per comma


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"screening__validity_days": "-5"}, "screening.validity_days", "Enter 0 or more."),
        ({"screening__validity_days": "soon"}, "screening.validity_days", "Enter a whole number."),
        ({"screening__validity_days": ""}, "screening.validity_days", "Enter a value: this setting cannot be empty."),
        ({"outcomes__response_drop_percent": "0"}, "outcomes.response_drop_percent", "Enter a number above 0."),
        ({"dosing__routes__esketamine__allowed_mg": "28, lots"}, "dosing.routes.esketamine.allowed_mg",
         "“lots” is not a number."),
        ({"instruments__phq9__bands": "minimal, 0\nmild, 5, 9"}, "instruments.phq9.bands",
         "Line 1: write name, low, high, separated by commas."),
        ({"screening__validity_days": "99999999999"}, "screening.validity_days", "Enter 100000 or less."),
        ({"dosing__adjusted_weight_factor": "0.123456"}, "dosing.adjusted_weight_factor",
         "Use at most 4 decimal places."),
        ({"dosing__routes__iv__default_mg_per_kg": "NaN"}, "dosing.routes.iv.default_mg_per_kg", "Enter a number."),
    ],
)  # fmt: skip
def test_a_refused_value_is_explained_beside_its_setting_and_kept(changes: dict, field: str, message: str) -> None:
    form = _bound(**changes)
    assert not form.is_valid()
    assert form.errors[field] == [message]
    assert form[field].value() == next(iter(changes.values()))


def test_a_rule_between_settings_is_shown_at_its_group() -> None:
    form = _bound(instruments__phq9__bands="minimal, 0, 4\nmild, 6, 9\nmoderate, 10, 27")
    assert not form.is_valid()
    assert form.group_errors["instruments.phq9"] == ["Band 'mild' starts at 6, expected 5."]
    assert "PHQ-9: Band 'mild' starts at 6, expected 5." in form.non_field_errors()


def test_a_route_dosed_by_weight_needs_its_dose_in_words() -> None:
    form = _bound(dosing__routes__iv__default_mg_per_kg="")
    assert not form.is_valid()
    [message] = form.group_errors["dosing.routes.iv"]
    assert message == "“Dosed” by body weight (mg/kg) needs “Default dose”."


def test_a_course_template_is_added_in_the_empty_group() -> None:
    new = f"scheduling__templates__{NEW}__"
    form = _bound(**{f"{new}_key": "weekly_booster", f"{new}label": "Weekly booster", f"{new}route": "iv",
                     f"{new}sessions": "4", f"{new}sessions_per_week": "1"})  # fmt: skip
    assert form.is_valid(), form.errors
    added = form.protocol.to_json()["scheduling"]["templates"]["weekly_booster"]
    assert (added["label"], added["sessions"], added["integration_within_hours"]) == ("Weekly booster", 4, 72)


def test_a_new_template_missing_a_value_says_which_beside_it() -> None:
    new = f"scheduling__templates__{NEW}__"
    form = _bound(**{f"{new}_key": "weekly_booster", f"{new}label": "Weekly booster", f"{new}route": "iv"})
    assert not form.is_valid()
    assert form.errors[f"scheduling.templates.{NEW}.sessions"] == ["Enter a value for the new entry."]
    unnamed = _bound(**{f"{new}label": "No name"})
    assert not unnamed.is_valid()
    assert f"scheduling.templates.{NEW}._key" in unnamed.errors
    taken = _bound(**{f"{new}_key": "maintenance", f"{new}label": "Again"})
    assert taken.errors[f"scheduling.templates.{NEW}._key"] == ["There is already one called maintenance."]


def test_differences_read_as_words() -> None:
    after = DEFAULT_PROTOCOL.to_json()
    after["screening"]["validity_days"] = 120
    after["dosing"]["obese_weight_policy"] = "ideal"
    changes = differences(DEFAULTS, after)
    assert [(c.label, c.before, c.after) for c in changes] == [
        ("A screening stays valid for", "180 days", "120 days"),
        ("Corrected weight used", "Adjusted body weight", "Ideal body weight"),
    ]
    assert changes[0].where == "Intake screening (clinical protocol, section 1)"
    assert differences(DEFAULTS, DEFAULTS) == []
