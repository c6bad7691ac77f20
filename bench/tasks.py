"""The benchmark's no-op task: what a Celery round trip costs with nothing to do (the reminders' reference)."""

from __future__ import annotations

from functools import cache

import redis
from celery import shared_task
from django.conf import settings

COUNTER = "bench:noop-done"


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@shared_task(name="bench.tasks.noop", ignore_result=True, acks_late=True)
def noop() -> None:
    _redis().incr(COUNTER)  # the one thing it does: count, so the harness knows when all are done
