"""The expiry task runs twice safely; concurrent overrides of one screening leave exactly one override."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from clinic.errors import Conflict
from intake import tasks
from intake.models import Override, ScreeningStatus
from tests.conftest import World
from tests.intake.factories import noon, override, screen


@pytest.mark.django_db
def test_expire_task_runs_twice(world: World) -> None:
    old = screen(world.patient_a, by=world.nurse1, at=noon(200))
    assert tasks.expire_screenings.apply().get() == 1
    assert tasks.expire_screenings.apply().get() == 0
    old.refresh_from_db()
    assert old.status == ScreeningStatus.EXPIRED


def test_expire_task_is_scheduled() -> None:
    assert any(e["task"] == "intake.tasks.expire_screenings" for e in settings.CELERY_BEAT_SCHEDULE.values())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_overrides_leave_one(world: World, require_postgres: None) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(reason: str) -> None:
        try:
            barrier.wait(timeout=10)
            override(screening, world.prescriber1, reason)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(f"Rechecked BP at rest, attempt {n}.",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already_overridden", "ok"]
    assert Override.objects.filter(screening=screening).count() == 1
