"""Things that happened in one app that another app acts on, without the first importing the second.

intake records questionnaires and may not import integration (docs/architecture.md, "Allowed imports"), yet the
relapse watch of integration must run whenever a questionnaire is recorded. So intake announces the event here and
integration registers a receiver in its AppConfig.ready(), the way apps register panels (clinic/panels.py):

    events.on_assessment_recorded.register(watch_relapse)            # integration/apps.py
    events.on_assessment_recorded.send_on_commit(AssessmentRecorded(...))  # intake, inside its transaction

Receivers run after the transaction that recorded the event commits, each in its own transaction: a receiver never
sees a record that was rolled back, and a receiver that fails cannot undo what was recorded (the patient's answers
are kept; Django logs the failure, `robust=True`). A receiver decides and audits through its own app's services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction


@dataclass(frozen=True)
class AssessmentRecorded:
    """A questionnaire was scored and stored (intake.services.record_assessment), from any path: staff page, API or
    portal. `recorded_by_id` is the user who entered it (the patient, in the portal)."""

    patient_id: int
    assessment_id: int
    instrument: str
    recorded_by_id: int | None


class Hook[E]:
    """Receivers of one kind of event, each registered once under its key (a re-run ready() replaces, never adds)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: dict[str, Callable[[E], object]] = {}

    def register(self, receiver: Callable[[E], object], *, key: str = "") -> None:
        self._receivers[key or f"{receiver.__module__}.{receiver.__qualname__}"] = receiver

    def unregister(self, receiver: Callable[[E], object], *, key: str = "") -> None:
        self._receivers.pop(key or f"{receiver.__module__}.{receiver.__qualname__}", None)

    def send_on_commit(self, event: E) -> None:
        """Call every receiver with `event` once the current transaction commits (at once outside one)."""
        for receiver in list(self._receivers.values()):
            transaction.on_commit(partial(receiver, event), robust=True)


on_assessment_recorded: Hook[AssessmentRecorded] = Hook("assessment_recorded")
