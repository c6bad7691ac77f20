"""The protocol's settings as a clinic manager reads them: sections, groups and settings with words and units.

Derived from the pydantic model in clinic.protocol, so that a setting added there appears in the admin's form
without anyone editing the form: its label comes from the field's title when it has one, else from the words below,
else from its name (a description, if any, is shown as help); its unit from its name's ending (`_days`,
`_mg_per_kg`, ...); its rule in words from its type and constraints. Nested settings become groups; a dict keyed by
an enum (per route) becomes one group per member; a dict keyed by text (course templates) one group per entry plus
an empty one to add an entry; a tuple of small records (severity bands, phases) one line per record.

Pure Python: no Django import. The Django form is clinic.protocol_forms.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

NEW = "_new"  # the path segment of the empty group that adds an entry to a dict keyed by text
NEW_KEY = "_key"
NO_DEFAULT = object()

SECTIONS = {
    "screening": "Intake screening (clinical protocol, section 1)",
    "dosing": "Dose calculation (section 2)",
    "scheduling": "Courses and scheduling (section 3)",
    "monitoring": "Monitoring during a session (section 4)",
    "instruments": "Rating scales (section 5)",
    "outcomes": "Measurement-based care (section 5)",
    "integration": "Integration therapy notes (section 6)",
    "messaging": "Secure messages (section 10)",
}
ROUTES = {"iv": "IV infusion", "im": "IM injection", "sublingual": "Sublingual lozenge", "esketamine": "Esketamine"}
CHOICES = {
    **ROUTES,
    "mg_per_kg": "By body weight (mg/kg)",
    "fixed_mg": "Fixed dose (mg)",
    "adjusted": "Adjusted body weight",
    "ideal": "Ideal body weight",
    "phq9": "PHQ-9",
    "madrs": "MADRS",
    "qids_sr16": "QIDS-SR16",
}
GROUPS = {
    "gate_defer": "Defer dosing when a pre-dose reading is beyond",
    "alert": "Alert the care team when a reading is beyond",
    "fasting": "Fasting before dosing",
    "routes": "Routes",
    "templates": "Course templates",
}
# Words for a setting, by its path with `*` for a dict key, or by its name alone.
LABELS = {
    "screening.validity_days": "A screening stays valid for",
    "screening.recent_cardiac_event_days": "Heart attack counts as recent within",
    "screening.recent_stroke_days": "Stroke or TIA counts as recent within",
    "screening.substance_use_active_days": "Substance use disorder counts as active within",
    "screening.substance_use_remission_min_days": "Remission shorter than this needs an override",
    "screening.bp_absolute_systolic_above": "Ineligible when systolic is above",
    "screening.bp_absolute_diastolic_above": "Ineligible when diastolic is above",
    "screening.bp_relative_systolic_above": "Override needed when systolic is above",
    "screening.bp_relative_diastolic_above": "Override needed when diastolic is above",
    "screening.bmi_relative_above": "Override needed when BMI is above",
    "screening.benzodiazepine_high_dose_above_mg_per_day": "High benzodiazepine dose above (diazepam equivalent)",
    "screening.min_failed_antidepressant_trials": "Failed antidepressant trials needed",
    "screening.older_adult_age": "Older adult from the age of",
    "screening.cssrs_lookback_days": "A C-SSRS screener counts for",
    "dosing.weight_min_kg": "Lowest weight accepted",
    "dosing.weight_max_kg": "Highest weight accepted",
    "dosing.height_min_cm": "Lowest height accepted",
    "dosing.height_max_cm": "Highest height accepted",
    "dosing.cm_per_inch": "Centimetres in an inch",
    "dosing.obese_bmi_at_or_above": "Dose on a corrected weight from a BMI of",
    "dosing.obese_weight_policy": "Corrected weight used",
    "dosing.ibw_base_male_kg": "Ideal body weight base, male",
    "dosing.ibw_base_female_kg": "Ideal body weight base, female",
    "dosing.ibw_kg_per_inch_over_base": "Ideal body weight added per inch over the base height",
    "dosing.ibw_base_height_in": "Base height of the ideal body weight",
    "dosing.adjusted_weight_factor": "Adjusted weight factor",
    "dosing.default_bag_volume_ml": "Infusion bag volume",
    "basis": "Dosed",
    "default_mg_per_kg": "Default dose",
    "min_mg_per_kg": "Lowest dose",
    "max_mg_per_kg": "Highest dose",
    "warn_above_mg_per_kg": "Warn above",
    "default_mg": "Default dose",
    "min_mg": "Lowest dose",
    "max_mg": "Highest dose",
    "allowed_mg": "Only these doses",
    "older_adult_first_dose_mg": "First dose for an older adult",
    "default_duration_min": "Default infusion time",
    "min_duration_min": "Shortest infusion time",
    "max_duration_min": "Longest infusion time",
    "hold_min": "Held in the mouth for",
    "override_above_mg": "A prescriber must override a dose above",
    "observation_min": "Observe after dosing for at least",
    "solids_hours": "No solid food for",
    "clear_liquids_hours": "No clear liquids for",
    "systolic_above": "Systolic above",
    "diastolic_above": "Diastolic above",
    "heart_rate_above": "Heart rate above",
    "heart_rate_below": "Heart rate below",
    "spo2_below": "SpO2 below",
    "scheduling.min_interval_hours": "Between the starts of two dosing sessions at least",
    "scheduling.max_sessions_rolling_7_days": "Dosing sessions in any 7 days at most",
    "scheduling.turnover_min": "Chair turnover after observation",
    "scheduling.integration_min_duration_min": "Shortest integration session",
    "scheduling.integration_max_duration_min": "Longest integration session",
    "label": "Name",
    "route": "Route",
    "sessions": "Dosing sessions",
    "sessions_per_week": "Sessions a week",
    "within_days": "Within",
    "integration_within_hours": "Integration session within",
    "max_sessions_rolling_7_days": "Sessions in any 7 days at most (empty: the general limit)",
    "phases": "Phases",
    "monitoring.gate_review_systolic_above": "A prescriber reviews a pre-dose systolic above",
    "monitoring.gate_review_diastolic_above": "A prescriber reviews a pre-dose diastolic above",
    "monitoring.vitals_every_min_while_dosing": "Vital signs while dosing every",
    "monitoring.vitals_every_min_after_dosing": "Vital signs after dosing every",
    "monitoring.cadss_at_min": "Dissociation scale (CADSS) at",
    "monitoring.rems_form_due_days": "Esketamine REMS form due within",
    "monitoring.rems_bp_at_min": "Esketamine blood pressure check at",
    "items": "Number of items",
    "item_min": "Lowest item score",
    "item_max": "Highest item score",
    "bands": "Severity bands",
    "instruments.phq9_suicidal_ideation_item_above": "PHQ-9 item 9 raises suicidal ideation above",
    "instruments.aldrete_discharge_min": "Aldrete score needed for discharge",
    "outcomes.baseline_instrument": "Baseline questionnaire of a course",
    "outcomes.response_drop_percent": "Response: the score fell by at least",
    "outcomes.remission_phq9_below": "Remission: PHQ-9 below",
    "outcomes.remission_madrs_at_or_below": "Remission: MADRS at or below",
    "outcomes.post_course_weekly_weeks": "After a course, weekly questionnaires for",
    "outcomes.post_course_weekly_interval_days": "During those weeks, a questionnaire every",
    "outcomes.post_course_interval_days": "Then a questionnaire every",
    "outcomes.relapse_rise_points": "Relapse watch: a rise above the lowest score of",
    "outcomes.relapse_phq9_threshold": "Relapse watch: PHQ-9 crosses",
    "outcomes.relapse_plan_review_days": "Relapse-prevention plan reviewed every",
    "outcomes.portal_questionnaire_refill_days": "The portal asks again once the last questionnaire is",
    "integration.phq9_nearest_window_days": "A note shows the PHQ-9 closest in time within",
    "integration.note_max_duration_min": "A note's duration is refused above",
    "integration.emdr_target_complete_sud_at_or_below": "An EMDR target is complete at a SUD of at most",
    "integration.emdr_target_complete_voc": "An EMDR target is complete at a VOC of",
}
# Columns of one line of a tuple setting, where the tuple's items are not records with named fields.
ROW_COLUMNS = {"phases": ("weeks", "sessions a week")}
UNIT_SUFFIXES = (
    ("_mg_per_kg", "mg/kg"), ("_mg_per_day", "mg/day"), ("_ml", "mL"), ("_mg", "mg"), ("_kg", "kg"), ("_cm", "cm"),
    ("_in", "inches"), ("_days", "days"), ("_hours", "hours"), ("_min", "minutes"), ("_percent", "%"),
    ("_weeks", "weeks"), ("_chars", "characters"),
)  # fmt: skip
# Units that the name's ending does not give, or gives wrongly ("item_min" is no number of minutes).
UNITS = {"systolic_above": "mmHg", "diastolic_above": "mmHg", "heart_rate_above": "beats/min",
         "heart_rate_below": "beats/min", "spo2_below": "%", "bp_absolute_systolic_above": "mmHg",
         "bp_absolute_diastolic_above": "mmHg", "bp_relative_systolic_above": "mmHg",
         "bp_relative_diastolic_above": "mmHg", "gate_review_systolic_above": "mmHg",
         "gate_review_diastolic_above": "mmHg", "bmi_relative_above": "kg/m²", "obese_bmi_at_or_above": "kg/m²",
         "ibw_kg_per_inch_over_base": "kg", "cm_per_inch": "cm", "older_adult_age": "years",
         "min_failed_antidepressant_trials": "trials", "max_sessions_rolling_7_days": "sessions",
         "sessions": "sessions", "sessions_per_week": "sessions", "items": "items", "item_min": "points",
         "item_max": "points", "aldrete_discharge_min": "points", "phq9_suicidal_ideation_item_above": "points",
         "remission_phq9_below": "points", "remission_madrs_at_or_below": "points", "relapse_rise_points": "points",
         "relapse_phq9_threshold": "points", "vitals_every_min_while_dosing": "minutes",
         "vitals_every_min_after_dosing": "minutes", "emdr_target_complete_sud_at_or_below": "points",
         "emdr_target_complete_voc": "points"}  # fmt: skip
WORDS = {"bp": "blood pressure", "bmi": "BMI", "ibw": "ideal body weight", "phq9": "PHQ-9", "gad7": "GAD-7",
         "qids": "QIDS", "sr16": "SR16", "madrs": "MADRS", "cadss6": "CADSS-6", "cssrs": "C-SSRS", "spo2": "SpO2",
         "rems": "REMS", "iv": "IV", "im": "IM", "min": "minimum", "max": "maximum", "emdr": "EMDR", "sud": "SUD",
         "voc": "VOC"}  # fmt: skip


@dataclass(frozen=True)
class Setting:
    """One value the form edits. `kind`: integer, decimal, text, choice, flag, list, rows or json."""

    path: str
    label: str
    unit: str
    kind: str
    required: bool
    default: Any = NO_DEFAULT
    choices: tuple[tuple[str, str], ...] = ()
    minimum: Decimal | None = None
    minimum_exclusive: bool = False
    maximum: Decimal | None = None
    columns: tuple[str, ...] = ()
    column_kinds: tuple[str, ...] = ()
    records: bool = False  # rows are records with named fields (else plain tuples)
    help: str = ""  # the model field's description, when it has one

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def rule(self) -> str:
        """What the setting accepts, in words."""
        if self.kind == "rows":
            return f"One per line: {', '.join(self.columns)}."
        if self.kind == "list" and self.column_kinds[:1] == ("text",):
            return "Words or phrases separated by commas."
        if self.kind == "list":
            return "Numbers separated by commas, e.g. 28, 56, 84."
        if self.kind == "json":
            return "Written as JSON."
        if self.kind not in {"integer", "decimal"}:
            return "" if self.required else "Optional."
        what = "A whole number" if self.kind == "integer" else "A number"
        if self.minimum is not None and self.maximum is not None:
            what += f" {'above' if self.minimum_exclusive else 'from'} {self.minimum} up to {self.maximum}"
        elif self.minimum is not None:
            what += f" above {self.minimum}" if self.minimum_exclusive else f", {self.minimum} or more"
        return what + ("." if self.required else "; leave empty for none.")


@dataclass
class Group:
    path: str
    title: str
    settings: list[Setting] = field(default_factory=list)
    adds_entry: bool = False  # the empty group of a dict keyed by text


@dataclass
class Section:
    path: str
    title: str
    groups: list[Group]


def humanize(name: str) -> str:
    words = [WORDS.get(word, word) for word in strip_unit(name).split("_") if word]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def unit_of(name: str) -> str:
    if name in UNITS:
        return UNITS[name]
    return next((unit for suffix, unit in UNIT_SUFFIXES if name.endswith(suffix)), "")


def strip_unit(name: str) -> str:
    suffix = next((s for s, _unit in UNIT_SUFFIXES if name.endswith(s)), "")
    return name[: -len(suffix)] if suffix else name


def pattern_of(path: str, keyed: frozenset[str]) -> str:
    """`dosing.routes.iv.min_mg` -> `dosing.routes.*.min_mg`: the words of a setting do not depend on the key."""
    parts = path.split(".")
    return ".".join("*" if i > 0 and ".".join(parts[:i]) in keyed else part for i, part in enumerate(parts))


def _label(path: str, info: FieldInfo | None, keyed: frozenset[str]) -> str:
    if info is not None and info.title:
        return str(info.title)
    name = path.rsplit(".", 1)[-1]
    return LABELS.get(pattern_of(path, keyed)) or LABELS.get(path) or LABELS.get(name) or humanize(name)


def _unwrap(annotation: Any) -> tuple[Any, bool, list[Any]]:
    """(the type, whether None is allowed, constraints) of an annotation such as `Annotated[int, Ge(1)] | None`."""
    optional = False
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation, optional, metadata
        elif origin is typing.Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        else:
            return annotation, optional, metadata


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["minimum"] = Decimal(str(item.ge))
        elif isinstance(item, annotated_types.Gt):
            bounds["minimum"], bounds["minimum_exclusive"] = Decimal(str(item.gt)), True
        elif isinstance(item, annotated_types.Le):
            bounds["maximum"] = Decimal(str(item.le))
    return bounds


def _scalar_kind(kind_type: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    if get_origin(kind_type) is Literal:
        return "choice", tuple((str(v), CHOICES.get(str(v), str(v))) for v in get_args(kind_type))
    if isinstance(kind_type, type) and issubclass(kind_type, Enum):
        return "choice", tuple((str(m.value), CHOICES.get(str(m.value), str(m.value))) for m in kind_type)
    if kind_type is bool:
        return "flag", ()
    if kind_type is int:
        return "integer", ()
    if kind_type in (Decimal, float):
        return "decimal", ()
    if kind_type is str:
        return "text", ()
    return "json", ()


def _is_model(kind_type: Any) -> bool:
    return isinstance(kind_type, type) and issubclass(kind_type, BaseModel)


def _setting(path: str, info: FieldInfo, default: Any, keyed: frozenset[str], *, optional_group: bool) -> Setting:
    kind_type, optional, metadata = _unwrap(info.annotation)
    metadata = [*metadata, *info.metadata]
    required = not (optional or optional_group)  # the form starts from the current values: empty means none
    name = path.rsplit(".", 1)[-1]
    common = {"path": path, "label": _label(path, info, keyed), "unit": unit_of(name), "default": default,
              "help": info.description or ""}  # fmt: skip
    if get_origin(kind_type) is tuple:
        item_type = _unwrap(get_args(kind_type)[0])[0]
        if _is_model(item_type):
            columns = tuple(item_type.model_fields)
            kinds = tuple(_scalar_kind(_unwrap(f.annotation)[0])[0] for f in item_type.model_fields.values())
            return Setting(**common, kind="rows", required=False, columns=columns, column_kinds=kinds, records=True)
        if get_origin(item_type) is tuple:
            kinds = tuple(_scalar_kind(_unwrap(a)[0])[0] for a in get_args(item_type))
            columns = ROW_COLUMNS.get(name, tuple(f"value {i + 1}" for i in range(len(kinds))))
            return Setting(**common, kind="rows", required=False, columns=columns, column_kinds=kinds)
        if _scalar_kind(item_type)[0] in {"integer", "decimal", "text"}:
            return Setting(**common, kind="list", required=False, column_kinds=(_scalar_kind(item_type)[0],))
        return Setting(**common, kind="json", required=required)
    kind, choices = _scalar_kind(kind_type)
    return Setting(**common, kind=kind, required=required, choices=choices, **_bounds(metadata))


def _key_title(key: str, value: Any) -> str:
    label = value.get("label") if isinstance(value, dict) else None
    return label if isinstance(label, str) else ROUTES.get(key, humanize(key))


def _groups(model: type[BaseModel], value: Any, default: Any, path: str, title: str, keyed: set[str],
            *, optional_group: bool = False) -> list[Group]:  # fmt: skip
    """The groups of `model` at `path`: its own scalar settings first, then its nested records."""
    own = Group(path, title, adds_entry=optional_group)
    nested: list[Group] = []
    for name, info in model.model_fields.items():
        sub_path = f"{path}.{name}"
        sub_value = value.get(name) if isinstance(value, dict) else None
        sub_default = default.get(name, NO_DEFAULT) if isinstance(default, dict) else NO_DEFAULT
        kind_type = _unwrap(info.annotation)[0]
        if _is_model(kind_type):
            sub_title = GROUPS.get(name) or _label(sub_path, info, frozenset(keyed))
            nested += _groups(kind_type, sub_value, sub_default, sub_path, sub_title, keyed)
        elif get_origin(kind_type) is dict and _is_model(_unwrap(get_args(kind_type)[1])[0]):
            nested += _dict_groups(kind_type, sub_value, sub_default, sub_path, name, info, keyed)
        else:
            own.settings.append(_setting(sub_path, info, sub_default, frozenset(keyed), optional_group=optional_group))
    return ([own] if own.settings else []) + nested


def _dict_groups(kind_type: Any, value: Any, default: Any, path: str, name: str, info: FieldInfo,
                 keyed: set[str]) -> list[Group]:  # fmt: skip
    key_type, item_annotation = get_args(kind_type)
    item = _unwrap(item_annotation)[0]
    keyed.add(path)
    value = value if isinstance(value, dict) else {}
    default = default if isinstance(default, dict) else {}
    heading = GROUPS.get(name) or _label(path, info, frozenset(keyed))
    if isinstance(key_type, type) and issubclass(key_type, Enum):
        keys = [str(member.value) for member in key_type]
    else:
        keys = list(value)
    groups: list[Group] = []
    for key in keys:
        entry = value.get(key, default.get(key))
        title = f"{heading}: {_key_title(key, entry)}"
        groups += _groups(item, entry, default.get(key, NO_DEFAULT), f"{path}.{key}", title, keyed)
    if key_type is str:
        key_label = "Short name (lower-case letters, digits and underscores, e.g. weekly_booster)"
        key_setting = Setting(f"{path}.{NEW}.{NEW_KEY}", key_label, "", "text", False)
        added = _groups(item, None, NO_DEFAULT, f"{path}.{NEW}", f"{heading}: add one", keyed, optional_group=True)
        added[0].settings.insert(0, key_setting)
        groups += added
    return groups


def sections(protocol_model: type[BaseModel], settings: dict[str, Any], defaults: dict[str, Any]) -> list[Section]:
    """The sections of the protocol `settings` (its JSON), with `defaults` (the default protocol's JSON)."""
    keyed: set[str] = set()
    result = []
    order = list(SECTIONS)
    names = sorted(protocol_model.model_fields, key=lambda n: order.index(n) if n in order else len(order))
    for name in names:
        info = protocol_model.model_fields[name]
        kind_type = _unwrap(info.annotation)[0]
        title = SECTIONS.get(name) or _label(name, info, frozenset())
        default = defaults.get(name, NO_DEFAULT)
        if _is_model(kind_type):
            groups = _groups(kind_type, settings.get(name), default, name, title, keyed)
        else:
            groups = [Group(name, title, [_setting(name, info, default, frozenset(), optional_group=False)])]
        result.append(Section(name, title, groups))
    return result


def all_settings(found: list[Section]) -> list[Setting]:
    return [s for section in found for group in section.groups for s in group.settings]
