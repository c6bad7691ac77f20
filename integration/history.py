"""Progress across integration notes and changes across relapse-plan revisions, for the therapist's screens.

Pure Python (no Django). Clinical protocol §6 and §7 (docs/clinical-protocol.md): an EMDR target is followed from
session to session by its SUD and VOC until it is complete; IFS parts are followed by name across sessions with the
unburdening steps reached; a plan revision is read as what it added to and removed from each section.

Notes come in as `NoteRecord`s holding the structured fields that integration.modalities validated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NO_TARGET = "(no target named)"


@dataclass(frozen=True)
class NoteRecord:
    note_id: int
    started_at: dt.datetime
    modality: str
    structured: Mapping[str, Any]


def _key(name: str) -> str:
    """Names typed in different sessions match whatever their case and spacing."""
    return " ".join(name.split()).casefold()


def _in_order(notes: Sequence[NoteRecord], modality: str) -> list[NoteRecord]:
    return sorted((n for n in notes if n.modality == modality), key=lambda n: (n.started_at, n.note_id))


# --- EMDR: SUD and VOC per target -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmdrSession:
    note_id: int
    started_at: dt.datetime
    phase: str
    sud_before: int | None
    sud_after: int | None
    voc: int | None
    body_scan_clear: bool
    target_complete: bool


@dataclass(frozen=True)
class TargetProgress:
    target: str
    sessions: tuple[EmdrSession, ...]

    @property
    def complete(self) -> bool:
        """Whether the target's latest session completed it."""
        return self.sessions[-1].target_complete


def emdr_targets(notes: Sequence[NoteRecord]) -> list[TargetProgress]:
    """Each EMDR target with its sessions, oldest first; targets in the order they were first worked on."""
    grouped: dict[str, tuple[str, list[EmdrSession]]] = {}
    for note in _in_order(notes, "emdr"):
        fields = note.structured
        target = " ".join(str(fields.get("target") or "").split()) or NO_TARGET
        row = EmdrSession(
            note_id=note.note_id,
            started_at=note.started_at,
            phase=str(fields.get("phase") or ""),
            sud_before=fields.get("sud_before"),
            sud_after=fields.get("sud_after"),
            voc=fields.get("voc"),
            body_scan_clear=bool(fields.get("body_scan_clear")),
            target_complete=bool(fields.get("target_complete")),
        )
        grouped.setdefault(_key(target), (target, []))[1].append(row)
    return [TargetProgress(target, tuple(rows)) for target, rows in grouped.values()]


# --- IFS: parts across sessions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartSeen:
    note_id: int
    started_at: dt.datetime
    type: str
    body_location: str
    fears: str


@dataclass(frozen=True)
class PartProgress:
    name: str
    seen: tuple[PartSeen, ...]

    @property
    def type(self) -> str:
        """The part's type as last described (a protector may be understood differently later)."""
        return self.seen[-1].type


@dataclass(frozen=True)
class IfsSession:
    note_id: int
    started_at: dt.datetime
    parts: tuple[str, ...]
    self_energy: tuple[str, ...]
    permission_granted: bool
    unburdening_steps: tuple[str, ...]


@dataclass(frozen=True)
class IfsProgress:
    parts: tuple[PartProgress, ...]
    sessions: tuple[IfsSession, ...]


def ifs_parts(notes: Sequence[NoteRecord]) -> IfsProgress:
    """Each part by name with the sessions it came up in, and each IFS session's Self-energy, permission and
    unburdening steps, oldest first."""
    grouped: dict[str, tuple[str, list[PartSeen]]] = {}
    sessions = []
    for note in _in_order(notes, "ifs"):
        fields = note.structured
        names = []
        for part in fields.get("parts") or ():
            name = " ".join(str(part.get("name") or "").split())
            names.append(name)
            seen = PartSeen(
                note.note_id,
                note.started_at,
                str(part.get("type") or ""),
                str(part.get("body_location") or ""),
                str(part.get("fears") or ""),
            )
            grouped.setdefault(_key(name), (name, []))[1].append(seen)
        sessions.append(
            IfsSession(
                note_id=note.note_id,
                started_at=note.started_at,
                parts=tuple(names),
                self_energy=tuple(fields.get("self_energy") or ()),
                permission_granted=bool(fields.get("permission_granted")),
                unburdening_steps=tuple(fields.get("unburdening_steps") or ()),
            )
        )
    parts = tuple(PartProgress(name, tuple(seen)) for name, seen in grouped.values())
    return IfsProgress(parts, tuple(sessions))


# --- Relapse-prevention plan: what a revision changed ---------------------------------------------------------------


@dataclass(frozen=True)
class SectionChange:
    """One part of the plan a revision changed: entries added and removed for a list section, the text before and
    after for the others."""

    name: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    before: str = ""
    after: str = ""


def plan_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], fields: Sequence[str]
) -> list[SectionChange]:
    """What `after` changed in each of `fields` compared with `before` (None: the first revision, all of it is new),
    in the order of `fields`; unchanged fields are left out."""
    changes = []
    for name in fields:
        old = before.get(name) if before is not None else None
        new = after.get(name)
        if old == new:
            continue
        if isinstance(new, list | tuple) and isinstance(old, list | tuple | None):
            previous = list(old or ())
            added = tuple(str(item) for item in new if item not in previous)
            removed = tuple(str(item) for item in previous if item not in new)
            if added or removed:
                changes.append(SectionChange(name, added=added, removed=removed))
            continue
        changes.append(SectionChange(name, before=_text(old), after=_text(new)))
    return changes


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return str(value)
