"""Background work of the core app. Tasks take ids, call a service and are safe to run twice."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from clinic.reports.tasks import render_report as render_report  # discovered with this module (autodiscover)

logger = logging.getLogger(__name__)


@shared_task(name="clinic.tasks.ping", acks_late=False)
def ping(payload: str) -> dict[str, Any]:
    """Round trip check: answers from the worker process with its host and pid."""
    return {"echo": payload, "host": socket.gethostname(), "pid": os.getpid()}


@shared_task(name="clinic.tasks.heartbeat", acks_late=False, ignore_result=True)
def heartbeat() -> str:
    """Beat runs this every minute; the staff footer and /healthz can tell whether background work is alive."""
    now = timezone.now().isoformat()
    cache.set("celery:last-heartbeat", now, timeout=None)
    return now
