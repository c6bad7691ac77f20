"""The documents in docs/ stay true: every protocol setting they name exists, every setting is documented, and every
file they point at is in the repository (or is one the document announces as coming)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from clinic.protocol import Protocol

DOCS = Path(settings.BASE_DIR) / "docs"
SECTIONS = ("instruments", "screening", "dosing", "scheduling", "monitoring", "outcomes", "reminders", "portal")
SETTING = re.compile(r"`((?:" + "|".join(SECTIONS) + r")\.[A-Za-z0-9_.<>*]+?)(?:\.…)?`")
# Files the architecture announces for work that is under way elsewhere.
ANNOUNCED = {"integration/outcomes.py", "integration/modalities.py", "sessions/services/"}
REPO_PATH = re.compile(r"`((?:clinic|intake|sessions|integration|portal|templates|static|tests|docs|scripts)/[^`\s]*)`")


def _resolve(node: Any, parts: list[str]) -> list[Any]:
    """The values at a dotted path, where `<route>`, `<name>` and `*` stand for every key at that level."""
    if not parts:
        return [node]
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict):
        return []
    if head in {"<route>", "<name>", "*"}:
        return [value for child in node.values() for value in _resolve(child, rest)]
    return _resolve(node[head], rest) if head in node else []


def _documented_settings() -> set[str]:
    return set(SETTING.findall((DOCS / "clinical-protocol.md").read_text()))


def test_every_setting_the_protocol_document_names_exists() -> None:
    data = Protocol().to_json()
    named = _documented_settings()
    assert len(named) > 40
    missing = sorted(path for path in named if not _resolve(data, path.split(".")))
    assert not missing, f"docs/clinical-protocol.md names settings that clinic/protocol.py lacks: {missing}"


def test_every_setting_of_the_protocol_is_documented() -> None:
    text = (DOCS / "clinical-protocol.md").read_text()
    data = Protocol().to_json()
    fields = [f"{section}.{name}" for section in SECTIONS for name in data[section]]
    route_fields = {name for route in data["dosing"]["routes"].values() for name in route} - {"basis"}
    undocumented = [f for f in fields if f"`{f}" not in text]
    documented = [name for name in route_fields if re.search(rf"[`.]{name}`", text)]
    undocumented += [f"dosing.routes.<route>.{name}" for name in sorted(route_fields - set(documented))]
    assert not undocumented, f"add these settings to docs/clinical-protocol.md: {undocumented}"


@pytest.mark.parametrize("document", ["architecture.md", "clinical-protocol.md"])
def test_the_files_a_document_points_at_exist(document: str) -> None:
    root = Path(settings.BASE_DIR)
    paths = {p.rstrip(".,") for p in REPO_PATH.findall((DOCS / document).read_text()) if not re.search(r"[<*]", p)}
    missing = sorted(p for p in paths - ANNOUNCED if not (root / p).exists())
    assert not missing, f"docs/{document} points at files that do not exist: {missing}"
