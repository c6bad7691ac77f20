"""The structured part of an integration note: what each modality records, checked on input, with derived values.

Pure Python (no Django). The fields are those of clinical protocol §6 (docs/clinical-protocol.md, "Integration
therapy notes"); the thresholds of a complete EMDR target come from the protocol (`Integration`), the scales
themselves (VOC 1-7, SUD 0-10) are fixed by their definitions and are constants here.

`validate_note` checks the whole note and answers either the normalised note (with derived values) or the errors
per field, shaped for the API: `{"duration_min": [...], "emdr": {"voc": [...], "parts[1].type": [...]}}`. Items of
a list are addressed by their index from 0 (`parts[1].type` is the second part's type); messages count from 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from clinic.protocol import Integration, Scheduling


class Modality(StrEnum):
    EMDR = "emdr"
    ART = "art"
    IFS = "ifs"
    GENERAL = "general"


MODALITY_LABELS = {Modality.EMDR: "EMDR", Modality.ART: "ART", Modality.IFS: "IFS", Modality.GENERAL: "general"}

EMDR_PHASES = (
    "history",
    "preparation",
    "assessment",
    "desensitisation",
    "installation",
    "body_scan",
    "closure",
    "reevaluation",
)
PART_TYPES = ("manager", "firefighter", "exile")
SELF_ENERGY = ("curious", "calm", "compassionate", "confident", "courageous", "clear", "creative", "connected")
UNBURDENING_STEPS = ("witness", "retrieve", "release", "invite")

VOC_MIN, VOC_MAX = 1, 7
SUD_MIN, SUD_MAX = 0, 10
MAX_SETS = 500  # a plausibility bound on stimulation sets in one session, against typing slips

SHORT_TEXT_MAX = 200  # names, body locations, list items
TEXT_MAX = 2_000  # a target, an image, a cognition, a scene
NARRATIVE_MAX = 20_000  # the narrative and the plan of a note
LIST_MAX = 20  # emotions, sensations, parts

# Values a client may send back unchanged from a read; they are recomputed, never taken from input.
DERIVED = frozenset({"target_complete", "sud_change"})

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHOLE_NUMBER = re.compile(r"\s*-?\d{1,9}\s*")
_TRUE_WORDS = frozenset({"true", "on", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "off", "no", "0", ""})

type Errors = dict[str, list[str]]
type NoteErrors = dict[str, list[str] | dict[str, list[str]]]


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Readers of one value: each returns the normalised value or raises _Invalid with a sentence -------------------


def _text(value: Any, *, label: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Invalid(f"{label} must be text.")
    text = value.strip()
    if required and not text:
        raise _Invalid(f"{label} is required.")
    if len(text) > limit:
        raise _Invalid(f"{label} is limited to {limit} characters; this has {len(text)}.")
    if _CONTROL.search(text):
        raise _Invalid(f"{label} contains control characters; remove them.")
    return text


def _whole_number(value: Any, *, message: str, low: int, high: int) -> int | None:
    """A whole number from `low` to `high`; None and blank mean "not rated". Booleans are not numbers here."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Invalid(message)
    return value


def _flag(value: Any, *, label: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
        return value.strip().lower() in _TRUE_WORDS
    raise _Invalid(f"{label} is yes or no.")


def _items(value: Any, *, label: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _Invalid(f"{label} must be a list.")
    if len(value) > LIST_MAX:
        raise _Invalid(f"{label} holds at most {LIST_MAX} entries; this has {len(value)}.")
    return list(value)


def _text_list(value: Any, *, label: str) -> list[str]:
    """A list of short texts; blank entries are dropped, repeats kept once."""
    result: list[str] = []
    for position, item in enumerate(_items(value, label=label), start=1):
        text = _text(item, label=f"{label}, entry {position},", limit=SHORT_TEXT_MAX)
        if text and text not in result:
            result.append(text)
    return result


def _choices(value: Any, *, label: str, allowed: Sequence[str]) -> list[str]:
    """A subset of `allowed`, returned in the order of `allowed` without repeats."""
    chosen = set()
    for item in _items(value, label=label):
        if not isinstance(item, str) or item not in allowed:
            raise _Invalid(f"{label}: {item!r} is not one of {_words(allowed)}.")
        chosen.add(item)
    return [name for name in allowed if name in chosen]


def _choice(value: Any, *, label: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"Choose the {label}: {_words(allowed)}.")
    if value.strip() not in allowed:
        raise _Invalid(f"The {label} is one of {_words(allowed)}.")
    return value.strip()


def _words(names: Sequence[str]) -> str:
    spoken = [name.replace("_", " ") for name in names]
    return ", ".join(spoken[:-1]) + " or " + spoken[-1] if len(spoken) > 1 else spoken[0]


def _sud(label: str) -> Callable[[Any], int | None]:
    def read(value: Any) -> int | None:
        return _whole_number(value, message=f"{label} is rated from {SUD_MIN} to {SUD_MAX}.", low=SUD_MIN, high=SUD_MAX)

    return read


def _sets(label: str) -> Callable[[Any], int]:
    def read(value: Any) -> int:
        number = _whole_number(value, message=f"{label} is a whole number from 0 to {MAX_SETS}.", low=0, high=MAX_SETS)
        return number or 0

    return read


def _voc(value: Any) -> int | None:
    return _whole_number(value, message=f"VOC is rated from {VOC_MIN} to {VOC_MAX}.", low=VOC_MIN, high=VOC_MAX)


def _text_field(label: str, limit: int = TEXT_MAX) -> Callable[[Any], str]:
    return lambda value: _text(value, label=label, limit=limit)


def _flag_field(label: str) -> Callable[[Any], bool]:
    return lambda value: _flag(value, label=label)


def _part(value: Any, position: int, errors: Errors) -> dict[str, str] | None:
    """One IFS part; its errors go under `parts[i].field`."""
    key = f"parts[{position}]"
    if not isinstance(value, Mapping):
        errors[key] = [f"Part {position + 1} is described by its name, type, body location and fears."]
        return None
    readers: dict[str, Callable[[Any], str]] = {
        "name": lambda v: _text(v, label=f"The name of part {position + 1}", limit=SHORT_TEXT_MAX, required=True),
        "type": lambda v: _choice(v, label=f"type of part {position + 1}", allowed=PART_TYPES),
        "body_location": _text_field(f"Where part {position + 1} sits in the body", SHORT_TEXT_MAX),
        "fears": _text_field(f"The fears of part {position + 1}"),
    }
    part = _read_fields(value, readers, errors, prefix=f"{key}.", unknown=f"A part has only {_words(list(readers))}.")
    return None if any(name.startswith(f"{key}.") for name in errors) else part


def _parts(value: Any, errors: Errors) -> list[dict[str, str]]:
    try:
        items = _items(value, label="Parts")
    except _Invalid as exc:
        errors["parts"] = [exc.message]
        return []
    parts = [_part(item, position, errors) for position, item in enumerate(items)]
    return [part for part in parts if part is not None]


def _read_fields(
    data: Mapping[str, Any],
    readers: Mapping[str, Callable[[Any], Any]],
    errors: Errors,
    *,
    prefix: str = "",
    unknown: str,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in data:
        if name not in readers and name not in DERIVED:
            errors[f"{prefix}{name}"] = [unknown]
    for name, read in readers.items():
        try:
            result[name] = read(data.get(name))
        except _Invalid as exc:
            errors[f"{prefix}{name}"] = [exc.message]
    return result


# --- The modalities -----------------------------------------------------------------------------------------------


def _sud_change(data: Mapping[str, Any]) -> int | None:
    before, after = data["sud_before"], data["sud_after"]
    return None if before is None or after is None else after - before


def _emdr(data: Mapping[str, Any], rules: Integration, errors: Errors) -> dict[str, Any]:
    readers: dict[str, Callable[[Any], Any]] = {
        "phase": lambda v: _choice(v, label="EMDR phase", allowed=EMDR_PHASES),
        "target": _text_field("The target memory"),
        "worst_image": _text_field("The worst image"),
        "negative_cognition": _text_field("The negative cognition"),
        "positive_cognition": _text_field("The positive cognition"),
        "voc": _voc,
        "emotions": lambda v: _text_list(v, label="Emotions"),
        "sud_before": _sud("SUD before"),
        "sud_after": _sud("SUD after"),
        "body_location": _text_field("The body location", SHORT_TEXT_MAX),
        "bilateral_sets": _sets("Bilateral stimulation sets"),
        "body_scan_clear": _flag_field("Body scan clear"),
    }
    result = _read_fields(data, readers, errors, unknown="This is not part of an EMDR note.")
    if errors:
        return result
    result["sud_change"] = _sud_change(result)
    result["target_complete"] = target_complete(result["sud_after"], result["voc"], result["body_scan_clear"], rules)
    return result


def target_complete(sud_after: int | None, voc: int | None, body_scan_clear: bool, rules: Integration) -> bool:
    """An EMDR target is complete at SUD 0-1, VOC 7 and a clear body scan (clinical protocol §6)."""
    return (
        sud_after is not None
        and sud_after <= rules.emdr_target_complete_sud_at_or_below
        and voc is not None
        and voc >= rules.emdr_target_complete_voc
        and body_scan_clear
    )


def _art(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    readers: dict[str, Callable[[Any], Any]] = {
        "scene": _text_field("The scene or metaphor"),
        "scene_private": _flag_field("Scene kept private"),
        "sud_before": _sud("SUD before"),
        "sud_after": _sud("SUD after"),
        "sensations": lambda v: _text_list(v, label="Sensations"),
        "image_replacement_completed": _flag_field("Image replacement completed"),
        "eye_movement_sets": _sets("Eye-movement sets"),
    }
    result = _read_fields(data, readers, errors, unknown="This is not part of an ART note.")
    if errors:
        return result
    if not result["scene"] and not result["scene_private"]:
        errors["scene"] = ["Describe the scene or metaphor, or mark it as kept private."]
        return result
    result["sud_change"] = _sud_change(result)
    return result


def _ifs(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    readers: dict[str, Callable[[Any], Any]] = {
        "parts": lambda v: _parts(v, errors),
        "feel_toward": _text_field("How the patient feels toward the part"),
        "self_energy": lambda v: _choices(v, label="Self-energy", allowed=SELF_ENERGY),
        "permission_granted": _flag_field("Permission from protectors"),
        "unburdening_steps": lambda v: _choices(v, label="Unburdening steps", allowed=UNBURDENING_STEPS),
        "updated_roles": _text_field("The updated roles"),
    }
    return _read_fields(data, readers, errors, unknown="This is not part of an IFS note.")


def validate_structured(
    modality: Modality, data: Mapping[str, Any], rules: Integration
) -> tuple[dict[str, Any], Errors]:
    """The modality's fields normalised with their derived values, and the errors per field (empty when valid)."""
    errors: Errors = {}
    if modality == Modality.EMDR:
        result = _emdr(data, rules, errors)
    elif modality == Modality.ART:
        result = _art(data, errors)
    elif modality == Modality.IFS:
        result = _ifs(data, errors)
    else:
        result = {}
        errors.update({name: ["A general note has no structured fields."] for name in data})
    return (result if not errors else {}), errors


# What a new note of a modality starts from in the patient's previous note of that modality (clinical protocol §6):
# the EMDR target and its cognitions, the ART scene, the IFS parts. Ratings and steps start blank each session.
CARRIED_FORWARD: Mapping[Modality, tuple[str, ...]] = {
    Modality.EMDR: ("target", "worst_image", "negative_cognition", "positive_cognition"),
    Modality.ART: ("scene", "scene_private"),
    Modality.IFS: ("parts",),
}


def carried_forward(modality: Modality, previous: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of the previous note's structured part that a new note of `modality` starts with."""
    return {name: previous[name] for name in CARRIED_FORWARD.get(modality, ()) if name in previous}


def _rating(before: Any, after: Any) -> str:
    if before is not None and after is not None:
        return f"SUD {before} to {after}"
    if before is not None:
        return f"SUD before {before}"
    return f"SUD after {after}" if after is not None else ""


def _count(number: Any, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}" if number else ""


def key_values(modality: str, structured: Mapping[str, Any]) -> list[str]:
    """A signed note's structured part in a few words, for a summary that may reach the patient (the course
    summary): the ratings, the derived values and what was worked with, never the narrative nor a private scene.
    Each entry is one phrase; a general note has none."""
    found: list[str]
    if modality == Modality.EMDR:
        phase = structured.get("phase")
        voc = structured.get("voc")
        found = [
            f"Target: {structured['target']}" if structured.get("target") else "",
            f"phase: {phase.replace('_', ' ')}" if phase else "",
            _rating(structured.get("sud_before"), structured.get("sud_after")),
            f"VOC {voc}" if voc is not None else "",
            _count(structured.get("bilateral_sets"), "bilateral set", "bilateral sets"),
            "target complete" if structured.get("target_complete") else "target not complete yet",
        ]
    elif modality == Modality.ART:
        found = [
            _rating(structured.get("sud_before"), structured.get("sud_after")),
            _count(structured.get("eye_movement_sets"), "eye-movement set", "eye-movement sets"),
            "image replacement completed"
            if structured.get("image_replacement_completed")
            else "image replacement not completed",
        ]
    elif modality == Modality.IFS:
        parts = [p for p in structured.get("parts") or () if isinstance(p, Mapping) and p.get("name")]
        named = ", ".join(f"{p['name']} ({p['type']})" if p.get("type") else str(p["name"]) for p in parts)
        found = [
            f"Parts: {named}" if named else "",
            f"Self-energy: {', '.join(structured['self_energy'])}" if structured.get("self_energy") else "",
            "permission granted" if structured.get("permission_granted") else "",
            f"unburdening: {', '.join(structured['unburdening_steps'])}" if structured.get("unburdening_steps") else "",
        ]
    else:
        found = []
    return [phrase for phrase in found if phrase]


# --- The whole note -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteInput:
    """What a therapist types, as received (strings from a form, numbers from the API)."""

    modality: Any
    duration_min: Any
    narrative: Any = ""
    plan: Any = ""
    structured: Any = None


@dataclass(frozen=True)
class ValidNote:
    modality: Modality
    duration_min: int
    narrative: str
    plan: str
    structured: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoteCheck:
    note: ValidNote | None
    errors: NoteErrors = field(default_factory=dict)


def parse_modality(value: Any) -> Modality | None:
    return Modality(value) if isinstance(value, str) and value in {m.value for m in Modality} else None


def validate_note(given: NoteInput, rules: Integration, scheduling: Scheduling) -> NoteCheck:
    """Check a note; a duration outside the typical integration session (60-90 min) is a warning, not an error."""
    errors: NoteErrors = {}
    modality = parse_modality(given.modality)
    if modality is None:
        errors["modality"] = [f"Choose the modality: {_words([MODALITY_LABELS[m] for m in Modality])}."]
    duration: int | None = None
    try:
        duration = _whole_number(
            given.duration_min,
            message=f"The duration is a whole number of minutes from 1 to {rules.note_max_duration_min}.",
            low=1,
            high=rules.note_max_duration_min,
        )
        if duration is None:
            raise _Invalid("Enter how long the session lasted, in minutes.")
    except _Invalid as exc:
        errors["duration_min"] = [exc.message]
    texts: dict[str, str] = {}
    for name, label in (("narrative", "The narrative"), ("plan", "The plan")):
        try:
            texts[name] = _text(getattr(given, name), label=label, limit=NARRATIVE_MAX)
        except _Invalid as exc:
            errors[name] = [exc.message]
    structured: dict[str, Any] = {}
    raw = {} if given.structured is None else given.structured
    if modality is not None and not isinstance(raw, Mapping):
        errors[modality.value] = [f"The {MODALITY_LABELS[modality]} fields must be an object of named fields."]
    elif modality is not None:
        structured, structured_errors = validate_structured(modality, raw, rules)
        if structured_errors:
            errors[modality.value] = structured_errors
    if errors or modality is None or duration is None:
        return NoteCheck(None, errors)
    warnings: tuple[str, ...] = ()
    if not scheduling.integration_min_duration_min <= duration <= scheduling.integration_max_duration_min:
        warnings = (
            f"Integration sessions usually last {scheduling.integration_min_duration_min} to "
            f"{scheduling.integration_max_duration_min} minutes; this one is recorded as {duration}.",
        )
    return NoteCheck(ValidNote(modality, duration, texts["narrative"], texts["plan"], structured, warnings))
