"""The structured fields of integration notes: validation tables per modality, derived values, the note as a whole.

No database: integration.modalities is a pure module.
"""

from __future__ import annotations

from typing import Any

import pytest

from clinic.protocol import Integration, Scheduling
from integration.modalities import (
    LIST_MAX,
    NARRATIVE_MAX,
    SHORT_TEXT_MAX,
    TEXT_MAX,
    Modality,
    NoteInput,
    carried_forward,
    parse_modality,
    target_complete,
    validate_note,
    validate_structured,
)

RULES = Integration()
PHASES = "history, preparation, assessment, desensitisation, installation, body scan, closure or reevaluation"
SCHEDULING = Scheduling()

EMDR_OK: dict[str, Any] = {
    "phase": "desensitisation",
    "target": "The car accident on the bridge (fictional)",
    "worst_image": "Headlights in the rain",
    "negative_cognition": "I am powerless",
    "positive_cognition": "I can protect myself now",
    "voc": 4,
    "emotions": ["fear", "shame"],
    "sud_before": 8,
    "sud_after": 3,
    "body_location": "chest",
    "bilateral_sets": 12,
    "body_scan_clear": False,
}
ART_OK: dict[str, Any] = {
    "scene": "A locked door in a corridor",
    "scene_private": False,
    "sud_before": 7,
    "sud_after": 1,
    "sensations": ["tight throat"],
    "image_replacement_completed": True,
    "eye_movement_sets": 9,
}
IFS_OK: dict[str, Any] = {
    "parts": [
        {"name": "The critic", "type": "manager", "body_location": "shoulders", "fears": "Being rejected"},
        {"name": "The little one", "type": "exile", "body_location": "belly", "fears": ""},
    ],
    "feel_toward": "Curious about it",
    "self_energy": ["calm", "curious", "calm"],
    "permission_granted": True,
    "unburdening_steps": ["release", "witness"],
    "updated_roles": "The critic becomes an adviser",
}


def structured(modality: Modality, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    return validate_structured(modality, data, RULES)


def errors_of(modality: Modality, **changes: Any) -> dict[str, list[str]]:
    base = {Modality.EMDR: EMDR_OK, Modality.ART: ART_OK, Modality.IFS: IFS_OK}[modality]
    _, errors = structured(modality, {**base, **changes})
    return errors


# --- EMDR ---------------------------------------------------------------------------------------------------------


def test_emdr_valid_note_is_normalised_with_its_derived_values() -> None:
    data, errors = structured(Modality.EMDR, {**EMDR_OK, "target": "  padded  ", "voc": "4"})
    assert errors == {}
    assert data["target"] == "padded"
    assert data["voc"] == 4
    assert data["sud_change"] == -5
    assert data["target_complete"] is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("voc", 0, "VOC is rated from 1 to 7."),
        ("voc", 8, "VOC is rated from 1 to 7."),
        ("voc", 4.5, "VOC is rated from 1 to 7."),
        ("voc", True, "VOC is rated from 1 to 7."),
        ("voc", "seven", "VOC is rated from 1 to 7."),
        ("sud_before", -1, "SUD before is rated from 0 to 10."),
        ("sud_after", 11, "SUD after is rated from 0 to 10."),
        ("bilateral_sets", -1, "Bilateral stimulation sets is a whole number from 0 to 500."),
        ("bilateral_sets", 501, "Bilateral stimulation sets is a whole number from 0 to 500."),
        ("phase", "integration", f"The EMDR phase is one of {PHASES}."),
        ("phase", "", f"Choose the EMDR phase: {PHASES}."),
        ("phase", None, f"Choose the EMDR phase: {PHASES}."),
        ("target", 42, "The target memory must be text."),
        ("target", "x" * (TEXT_MAX + 1), f"The target memory is limited to {TEXT_MAX} characters; this has 2001."),
        ("worst_image", "bell\x07", "The worst image contains control characters; remove them."),
        ("body_location", "y" * (SHORT_TEXT_MAX + 1), "The body location is limited to 200 characters; this has 201."),
        ("emotions", "fear", "Emotions must be a list."),
        ("emotions", {"a": 1}, "Emotions must be a list."),
        ("emotions", ["e"] * (LIST_MAX + 1), f"Emotions holds at most {LIST_MAX} entries; this has 21."),
        ("emotions", ["fear", 3], "Emotions, entry 2, must be text."),
        ("body_scan_clear", "maybe", "Body scan clear is yes or no."),
        ("body_scan_clear", 1, "Body scan clear is yes or no."),
    ],
)
def test_emdr_refuses_bad_values_with_a_sentence(field: str, value: Any, message: str) -> None:
    assert errors_of(Modality.EMDR, **{field: value}) == {field: [message]}


def test_emdr_refuses_unknown_fields_and_ignores_derived_ones_sent_back() -> None:
    errors = errors_of(Modality.EMDR, colour="blue", target_complete=True, sud_change=-5)
    assert errors == {"colour": ["This is not part of an EMDR note."]}


def test_emdr_unrated_values_are_none_and_missing_counts_are_zero() -> None:
    data, errors = structured(Modality.EMDR, {"phase": "history", "voc": "", "sud_before": None})
    assert errors == {}
    assert data["voc"] is None
    assert data["sud_before"] is None
    assert data["sud_change"] is None
    assert data["bilateral_sets"] == 0
    assert data["emotions"] == []
    assert data["body_scan_clear"] is False
    assert data["target"] == ""


def test_emdr_lists_drop_blanks_and_repeats() -> None:
    data, _ = structured(Modality.EMDR, {**EMDR_OK, "emotions": ["fear", " ", "fear", "anger "]})
    assert data["emotions"] == ["fear", "anger"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("true", True), ("on", True), ("Yes", True), ("1", True), ("false", False), ("off", False), ("", False)],
)
def test_yes_no_fields_accept_form_words(word: str, expected: bool) -> None:
    data, errors = structured(Modality.EMDR, {**EMDR_OK, "body_scan_clear": word})
    assert errors == {}
    assert data["body_scan_clear"] is expected


@pytest.mark.parametrize(
    ("sud_after", "voc", "body_scan_clear", "complete"),
    [
        (0, 7, True, True),
        (1, 7, True, True),
        (2, 7, True, False),
        (1, 6, True, False),
        (1, 7, False, False),
        (None, 7, True, False),
        (0, None, True, False),
    ],
)
def test_emdr_target_complete_edges(
    sud_after: int | None, voc: int | None, body_scan_clear: bool, complete: bool
) -> None:
    assert target_complete(sud_after, voc, body_scan_clear, RULES) is complete
    data, errors = structured(
        Modality.EMDR, {**EMDR_OK, "sud_after": sud_after, "voc": voc, "body_scan_clear": body_scan_clear}
    )
    assert errors == {}
    assert data["target_complete"] is complete


def test_emdr_target_complete_follows_the_protocol() -> None:
    lenient = Integration(emdr_target_complete_sud_at_or_below=2, emdr_target_complete_voc=6)
    assert target_complete(2, 6, True, lenient) is True
    assert target_complete(3, 6, True, lenient) is False


# --- ART ----------------------------------------------------------------------------------------------------------


def test_art_valid_note_has_its_sud_change() -> None:
    data, errors = structured(Modality.ART, ART_OK)
    assert errors == {}
    assert data["sud_change"] == -6
    assert data["image_replacement_completed"] is True


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sud_before": -1}, {"sud_before": ["SUD before is rated from 0 to 10."]}),
        ({"sud_after": 11}, {"sud_after": ["SUD after is rated from 0 to 10."]}),
        ({"eye_movement_sets": -3}, {"eye_movement_sets": ["Eye-movement sets is a whole number from 0 to 500."]}),
        ({"scene": ""}, {"scene": ["Describe the scene or metaphor, or mark it as kept private."]}),
        ({"sensations": "tight"}, {"sensations": ["Sensations must be a list."]}),
        ({"voc": 5}, {"voc": ["This is not part of an ART note."]}),
    ],
)
def test_art_refuses_bad_values(changes: dict[str, Any], expected: dict[str, list[str]]) -> None:
    assert errors_of(Modality.ART, **changes) == expected


def test_art_scene_may_be_blank_when_kept_private() -> None:
    data, errors = structured(Modality.ART, {**ART_OK, "scene": "", "scene_private": True, "sud_before": None})
    assert errors == {}
    assert data["scene"] == ""
    assert data["sud_change"] is None


# --- IFS ----------------------------------------------------------------------------------------------------------


def test_ifs_valid_note_keeps_choices_in_their_usual_order_once() -> None:
    data, errors = structured(Modality.IFS, IFS_OK)
    assert errors == {}
    assert data["self_energy"] == ["curious", "calm"]
    assert data["unburdening_steps"] == ["witness", "release"]
    assert data["parts"][1] == {"name": "The little one", "type": "exile", "body_location": "belly", "fears": ""}


def part(**changes: Any) -> dict[str, Any]:
    return {"name": "Protector", "type": "firefighter", "body_location": "", "fears": "", **changes}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"parts": [part(), part(type="guardian")]},
            {"parts[1].type": ["The type of part 2 is one of manager, firefighter or exile."]},
        ),
        (
            {"parts": [part(type=None)]},
            {"parts[0].type": ["Choose the type of part 1: manager, firefighter or exile."]},
        ),
        ({"parts": [part(name=" ")]}, {"parts[0].name": ["The name of part 1 is required."]}),
        (
            {"parts": [part(colour="red")]},
            {"parts[0].colour": ["A part has only name, type, body location or fears."]},
        ),
        ({"parts": ["critic"]}, {"parts[0]": ["Part 1 is described by its name, type, body location and fears."]}),
        ({"parts": "critic"}, {"parts": ["Parts must be a list."]}),
        (
            {"unburdening_steps": ["witness", "forgive"]},
            {"unburdening_steps": ["Unburdening steps: 'forgive' is not one of witness, retrieve, release or invite."]},
        ),
        (
            {"self_energy": ["calm", "brave"]},
            {
                "self_energy": [
                    "Self-energy: 'brave' is not one of curious, calm, compassionate, confident, courageous, clear, "
                    "creative or connected."
                ]
            },
        ),
        ({"permission_granted": "perhaps"}, {"permission_granted": ["Permission from protectors is yes or no."]}),
        ({"target": "x"}, {"target": ["This is not part of an IFS note."]}),
    ],
)
def test_ifs_refuses_bad_values_addressing_list_items(changes: dict[str, Any], expected: dict[str, list[str]]) -> None:
    assert errors_of(Modality.IFS, **changes) == expected


def test_ifs_may_be_empty() -> None:
    data, errors = structured(Modality.IFS, {})
    assert errors == {}
    assert data == {
        "parts": [],
        "feel_toward": "",
        "self_energy": [],
        "permission_granted": False,
        "unburdening_steps": [],
        "updated_roles": "",
    }


# --- General and the whole note -----------------------------------------------------------------------------------


def test_general_note_has_no_structured_fields() -> None:
    assert structured(Modality.GENERAL, {}) == ({}, {})
    assert structured(Modality.GENERAL, {"voc": 3}) == ({}, {"voc": ["A general note has no structured fields."]})


def note(**changes: Any) -> NoteInput:
    fields: dict[str, Any] = {
        "modality": "emdr",
        "duration_min": 75,
        "narrative": "Worked on the bridge memory.",
        "plan": "Continue desensitisation next week.",
        "structured": EMDR_OK,
    }
    fields.update(changes)
    return NoteInput(**fields)


def test_valid_note_is_normalised() -> None:
    check = validate_note(note(duration_min="75", narrative="  text  "), RULES, SCHEDULING)
    assert check.errors == {}
    assert check.note is not None
    assert check.note.modality is Modality.EMDR
    assert check.note.duration_min == 75
    assert check.note.narrative == "text"
    assert check.note.structured["target_complete"] is False
    assert check.note.warnings == ()


@pytest.mark.parametrize(("duration", "warned"), [(59, True), (60, False), (90, False), (91, True)])
def test_duration_outside_the_typical_session_is_a_warning(duration: int, warned: bool) -> None:
    check = validate_note(note(duration_min=duration), RULES, SCHEDULING)
    assert check.note is not None
    assert bool(check.note.warnings) is warned
    if warned:
        assert check.note.warnings[0] == (
            f"Integration sessions usually last 60 to 90 minutes; this one is recorded as {duration}."
        )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"modality": "hypnosis"}, {"modality": ["Choose the modality: EMDR, ART, IFS or general."]}),
        ({"modality": None, "structured": None}, {"modality": ["Choose the modality: EMDR, ART, IFS or general."]}),
        ({"duration_min": None}, {"duration_min": ["Enter how long the session lasted, in minutes."]}),
        ({"duration_min": 0}, {"duration_min": ["The duration is a whole number of minutes from 1 to 240."]}),
        ({"duration_min": 241}, {"duration_min": ["The duration is a whole number of minutes from 1 to 240."]}),
        (
            {"narrative": "n" * (NARRATIVE_MAX + 1)},
            {"narrative": ["The narrative is limited to 20000 characters; this has 20001."]},
        ),
        ({"plan": ["a list"]}, {"plan": ["The plan must be text."]}),
        ({"structured": {**EMDR_OK, "voc": 8}}, {"emdr": {"voc": ["VOC is rated from 1 to 7."]}}),
        ({"structured": ["not", "an", "object"]}, {"emdr": ["The EMDR fields must be an object of named fields."]}),
        (
            {"modality": "ifs", "structured": {"parts": [part(type="boss")]}},
            {"ifs": {"parts[0].type": ["The type of part 1 is one of manager, firefighter or exile."]}},
        ),
    ],
)
def test_note_errors_are_shaped_for_the_api(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    check = validate_note(note(**changes), RULES, SCHEDULING)
    assert check.note is None
    assert check.errors == expected


def test_note_collects_every_error_at_once() -> None:
    check = validate_note(note(duration_min=-5, structured={**EMDR_OK, "voc": 0, "sud_after": 12}), RULES, SCHEDULING)
    assert set(check.errors) == {"duration_min", "emdr"}
    assert set(check.errors["emdr"]) == {"voc", "sud_after"}


def test_general_note_without_structured_fields() -> None:
    check = validate_note(note(modality="general", structured=None), RULES, SCHEDULING)
    assert check.note is not None
    assert check.note.structured == {}


@pytest.mark.parametrize(("value", "expected"), [("emdr", Modality.EMDR), ("EMDR", None), (3, None), (None, None)])
def test_parse_modality(value: Any, expected: Modality | None) -> None:
    assert parse_modality(value) is expected


@pytest.mark.parametrize(
    ("modality", "previous", "expected"),
    [
        (Modality.EMDR, {"target": "storm", "negative_cognition": "I am weak", "voc": 4, "sud_after": 3},
         {"target": "storm", "negative_cognition": "I am weak"}),
        (Modality.ART, {"scene": "", "scene_private": True, "sud_before": 8}, {"scene": "", "scene_private": True}),
        (Modality.IFS, {"parts": [{"name": "critic"}], "unburdening_steps": ["witness"]},
         {"parts": [{"name": "critic"}]}),
        (Modality.GENERAL, {"anything": 1}, {}),
    ],
)  # fmt: skip
def test_a_new_note_carries_forward_the_target_the_scene_or_the_parts(
    modality: Modality, previous: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert carried_forward(modality, previous) == expected
