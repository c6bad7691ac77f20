"""Fixtures of the report tests (the helpers are in support.py, shared with the portal and browser tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.clinic.reports.support import Course, freeze_clock, make_course, record_queued, register_kinds
from tests.conftest import World
from tests.sessions.conftest import Clock


@pytest.fixture(autouse=True)
def report_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    register_kinds(monkeypatch)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture(autouse=True)
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return record_queued(monkeypatch)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return freeze_clock(monkeypatch)


@pytest.fixture
def course(world: World, clock: Clock) -> Course:
    return make_course(world, clock)
