from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from clinic import sms
from clinic.models import Patient
from clinic.reminders import services
from clinic.reminders.models import Reminder
from tests.clinic.reminders import kinds


@pytest.fixture(autouse=True)
def test_kinds() -> None:
    kinds.register()


@pytest.fixture
def sms_outbox() -> Iterator[list[sms.TextMessage]]:
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def visit(
    patient: Patient, subject_id: int = 1, *, kind: str = "test_visit_48h", starts_in_hours: float = 72
) -> Reminder:
    """The reminder of a visit booked to start in `starts_in_hours` (pending, due at start less the lead time)."""
    starts_at = timezone.now() + timedelta(hours=starts_in_hours)
    reminder = services.schedule_reminder(kind=kind, subject_id=subject_id, patient=patient, starts_at=starts_at)
    assert reminder is not None
    return reminder


def make_due(reminder: Reminder, at: datetime | None = None) -> Reminder:
    """Pretend its time has come (the lead time passed) without waiting."""
    at = at or timezone.now() - timedelta(minutes=1)
    Reminder.objects.filter(pk=reminder.pk).update(due_at=at, next_attempt_at=at)
    reminder.refresh_from_db()
    return reminder
