"""The structured protocol form of the admin: one field per setting of clinic.protocol_fields, validated by the
form's fields first (the reason beside each box) and then by the protocol model itself (rules that span settings,
shown beside the setting or at the top of its group), and the differences between two versions in words."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from pydantic import ValidationError as PydanticValidationError

from clinic.protocol import DEFAULT_PROTOCOL, Protocol
from clinic.protocol_fields import NEW, NEW_KEY, NO_DEFAULT, Group, Section, Setting, all_settings, sections

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# No clinical setting comes near these; beyond them a typing slip would overflow dates and doses downstream.
CEILING = 100_000
DECIMAL_PLACES = 4
TEXT_LIMIT = 2_000
PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def default_settings() -> dict[str, Any]:
    return DEFAULT_PROTOCOL.to_json()


def sections_for(settings: dict[str, Any]) -> list[Section]:
    return sections(Protocol, settings, default_settings())


def value_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def form_value(setting: Setting, value: Any) -> Any:
    """A setting's JSON value as its form field shows it."""
    if setting.kind == "rows":
        rows = value or []
        lines = [[row.get(c) for c in setting.columns] if isinstance(row, dict) else list(row) for row in rows]
        return "\n".join(", ".join(_plain(v) for v in line) for line in lines)
    if setting.kind == "list":
        return ", ".join(_plain(v) for v in value or [])
    if setting.kind == "json":
        return "" if value is None else json.dumps(value)
    if setting.kind == "flag":
        return bool(value)
    return _plain(value)


def shown(setting: Setting, value: Any) -> str:
    """A setting's value in words, for the differences and the read-only view."""
    if value is None or value == [] or value == "":
        return "none"
    if setting.kind == "choice":
        return dict(setting.choices).get(str(value), str(value))
    if setting.kind == "rows":
        return "; ".join(form_value(setting, value).splitlines())
    if setting.kind == "flag":
        return "yes" if value else "no"
    text = str(form_value(setting, value))
    return f"{text} {setting.unit}" if setting.unit and setting.kind in {"integer", "decimal", "list"} else text


def _number(kind: str, text: str) -> int | str:
    """A typed number as JSON: int for whole numbers, the exact decimal as text."""
    if kind == "integer":
        if not re.fullmatch(r"-?\d{1,12}", text):
            raise ValueError(f"“{text}” is not a whole number")
        return int(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text}” is not a number") from None
    if not number.is_finite():
        raise ValueError(f"“{text}” is not a number")
    return str(number)


class RowsField(forms.CharField):
    """One record per line, its values separated by commas (severity bands, the phases of a course)."""

    def __init__(self, setting: Setting, **kwargs: Any) -> None:
        self.setting = setting
        super().__init__(widget=forms.Textarea(attrs={"rows": 4, "cols": 40}), **kwargs)

    def clean(self, value: Any) -> list[Any]:
        text = super().clean(value)
        rows: list[Any] = []
        columns, kinds = self.setting.columns, self.setting.column_kinds
        for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
            parts = [part.strip() for part in line.split(",")]
            if len(parts) != len(columns):
                raise forms.ValidationError(f"Line {number}: write {', '.join(columns)}, separated by commas.")
            try:
                values = [p if kind == "text" else _number(kind, p) for kind, p in zip(kinds, parts, strict=True)]
            except ValueError as exc:
                raise forms.ValidationError(f"Line {number}: {exc}.") from None
            rows.append(dict(zip(columns, values, strict=True)) if self.setting.records else values)
        return rows


class NumberListField(forms.CharField):
    def __init__(self, setting: Setting, **kwargs: Any) -> None:
        self.kind = setting.column_kinds[0]
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[Any]:
        text = super().clean(value)
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if self.kind == "text":  # a list of words or phrases (e.g. the crisis words of secure messages)
            return parts
        try:
            return [_number(self.kind, part) for part in parts]
        except ValueError as exc:
            raise forms.ValidationError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None


def _above(minimum: Decimal) -> Any:
    def check(value: Any) -> None:
        if value is not None and Decimal(value) <= minimum:
            raise forms.ValidationError(f"Enter a number above {minimum}.")

    return check


def field_for(setting: Setting) -> forms.Field:
    help_text = " ".join(part for part in (setting.help, setting.rule) if part)
    common: dict[str, Any] = {"label": setting.label, "required": setting.required, "help_text": help_text}
    common["error_messages"] = {"required": "Enter a value: this setting cannot be empty."}
    if setting.kind in {"integer", "decimal"}:
        common["error_messages"].update(
            invalid="Enter a whole number." if setting.kind == "integer" else "Enter a number.",
            min_value="Enter %(limit_value)s or more.",
            max_value="Enter %(limit_value)s or less.",
        )
    if setting.minimum is not None and setting.minimum_exclusive:
        common["validators"] = [_above(setting.minimum)]
    maximum = setting.maximum if setting.maximum is not None else Decimal(CEILING)
    minimum = setting.minimum if setting.minimum is not None else Decimal(-CEILING)
    if setting.kind == "integer":
        return forms.IntegerField(
            min_value=int(minimum) if not setting.minimum_exclusive else None,
            max_value=int(maximum),
            widget=forms.NumberInput(attrs={"class": "vIntegerField"}),
            **common,
        )
    if setting.kind == "decimal":
        common["error_messages"]["max_decimal_places"] = f"Use at most {DECIMAL_PLACES} decimal places."
        return forms.DecimalField(
            min_value=minimum if not setting.minimum_exclusive else None,
            max_value=maximum,
            decimal_places=DECIMAL_PLACES,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "vIntegerField"}),
            **common,
        )
    if setting.kind == "choice":
        choices = list(setting.choices) if setting.required else [("", "—"), *setting.choices]
        return forms.ChoiceField(choices=choices, **common)
    if setting.kind == "flag":
        return forms.BooleanField(**{**common, "required": False})
    if setting.kind == "rows":
        return RowsField(setting, max_length=TEXT_LIMIT, **common)
    if setting.kind == "list":
        return NumberListField(setting, max_length=TEXT_LIMIT, **common)
    if setting.kind == "json":
        return forms.JSONField(max_length=TEXT_LIMIT, **common)
    return forms.CharField(max_length=200, widget=forms.TextInput(attrs={"class": "vTextField"}), **common)


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[last] = value


def _json_value(setting: Setting, value: Any) -> Any:
    if value in ("", None) and setting.kind not in {"rows", "list", "flag"}:
        return None
    if setting.kind == "integer":
        return int(value)
    if setting.kind == "decimal":
        return str(value)
    return value


class ProtocolSettingsForm(forms.Form):
    """All the settings of a protocol, starting from `start` (a protocol's JSON); `protocol` once valid."""

    change_summary = forms.CharField(
        label="What changed and why",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        error_messages={"required": "Say what changed and why: the next reader of this version needs it."},
    )
    activate = forms.BooleanField(label="Make this version the site's active protocol at once", required=False)

    def __init__(self, *args: Any, start: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start = start
        self.sections = sections_for(start)
        self.settings = {s.path: s for s in all_settings(self.sections)}
        self.group_errors: dict[str, list[str]] = {}
        self.protocol: Protocol | None = None
        self.initial.setdefault("activate", True)
        for setting in self.settings.values():
            self.fields[setting.path] = field_for(setting)
            self.initial[setting.path] = form_value(setting, value_at(start, setting.path))

    def settings_json(self) -> dict[str, Any]:
        """The protocol typed in, as JSON; only for a valid form."""
        if self.protocol is None:
            raise ValueError("the protocol form is not valid")
        return self.protocol.to_json()

    def layout(self) -> Iterator[dict[str, Any]]:
        """Sections, their groups and their rows (setting, bound field, default in words), for the template."""
        for section in self.sections:
            yield {
                "section": section,
                "groups": [
                    {
                        "group": group,
                        "errors": self.group_errors.get(group.path, []),
                        "rows": [(s, self[s.path], defaults_of(s)) for s in group.settings],
                    }
                    for group in section.groups
                ],
            }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if any(name in self.settings for name in self.errors):
            return data  # the boxes first: the rules between settings only make sense on well-formed values
        tree: dict[str, Any] = {}
        added = self._added_entries()
        for path, setting in self.settings.items():
            if f".{NEW}." not in path:
                _set(tree, path, _json_value(setting, data.get(path)))
        for dict_path, key, values in added:
            _set(tree, f"{dict_path}.{key}", values)
        try:
            self.protocol = Protocol.model_validate(tree)
        except PydanticValidationError as exc:
            self._show(exc, {f"{d}.{k}": f"{d}.{NEW}" for d, k, _v in added})
        return data

    def _added_entries(self) -> list[tuple[str, str, dict[str, Any]]]:
        """The filled-in "add one" groups: (the dict's path, the new key, the entry's values)."""
        found = []
        for group in (g for section in self.sections for g in section.groups if g.adds_entry):
            dict_path = group.path.rsplit(".", 1)[0]
            key_path = f"{group.path}.{NEW_KEY}"
            key = (self.cleaned_data.get(key_path) or "").strip()
            values = {
                s.name: _json_value(s, self.cleaned_data.get(s.path))
                for s in group.settings
                if s.name != NEW_KEY and self.cleaned_data.get(s.path) not in (None, "", [], False)
            }
            if not key and not values:
                continue
            if not KEY_PATTERN.match(key):
                self.add_error(key_path, "Give it a short name of lower-case letters, digits and underscores.")
            elif isinstance(value_at(self.start, dict_path), dict) and key in value_at(self.start, dict_path):
                self.add_error(key_path, f"There is already one called {key}.")
            else:
                found.append((dict_path, key, values))
        return found

    def _show(self, exc: PydanticValidationError, renamed: dict[str, str]) -> None:
        """Put each refusal of the protocol model beside its setting, or at the top of the closest group."""
        groups = {g.path: g for section in self.sections for g in section.groups}
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            for new_path, slot in renamed.items():
                if path == new_path or path.startswith(f"{new_path}."):
                    path = slot + path[len(new_path) :]
            missing = error["type"] == "missing"
            message = "Enter a value for the new entry." if missing else _words(error["msg"], self.settings)
            if path in self.settings:
                if path not in self.errors:
                    self.add_error(path, message)
                continue
            while path and path not in groups and path not in self.settings:
                path = path.rpartition(".")[0]
            if path in self.settings:
                self.add_error(path, message)
            elif path in groups:
                self.group_errors.setdefault(path, []).append(message)
                self.add_error(None, f"{groups[path].title}: {message}")
            else:
                self.add_error(None, message)


def _words(message: str, settings: dict[str, Setting]) -> str:
    """The model's message with the code names of settings replaced by their labels."""
    for prefix in PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    words = {s.name: f"“{s.label}”" for s in settings.values()}
    for setting in settings.values():
        words.update({value: label[:1].lower() + label[1:] for value, label in setting.choices if "_" in value})
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(words, key=len, reverse=True)) + r")\b")
    message = pattern.sub(lambda match: words[match.group(1)], message)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@dataclass(frozen=True)
class Change:
    where: str
    label: str
    before: str
    after: str


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What differs between two protocols (their JSON), setting by setting, in words."""
    changes = []
    for section in sections_for(after):
        for group in section.groups:
            for setting in group.settings:
                if f".{NEW}." in setting.path:
                    continue
                old, new = value_at(before, setting.path), value_at(after, setting.path)
                if form_value(setting, old) != form_value(setting, new):
                    where = group.title if group.title == section.title else f"{section.title} · {group.title}"
                    changes.append(Change(where, setting.label, shown(setting, old), shown(setting, new)))
    return changes


def defaults_of(setting: Setting) -> str:
    return "" if setting.default is NO_DEFAULT else shown(setting, setting.default)


Shown = tuple[Setting, str, str]


def read_only_layout(settings: dict[str, Any]) -> list[tuple[Section, list[tuple[Group, list[Shown]]]]]:
    """A version's settings in words, section by section and group by group: (setting, value, default)."""
    return [
        (
            section,
            [
                (group, [(s, shown(s, value_at(settings, s.path)), defaults_of(s)) for s in group.settings])
                for group in section.groups
                if not group.adds_entry
            ],
        )
        for section in sections_for(settings)
    ]
