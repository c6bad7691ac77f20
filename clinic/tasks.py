"""Background work of the core app. Tasks take ids, call a service and are safe to run twice."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from clinic.reminders import delivery
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


@shared_task(name="clinic.tasks.send_due_reminders", acks_late=False, ignore_result=True)
def send_due_reminders() -> int:
    """Beat runs this every minute: claim the reminders that are due and queue a send task for each batch of
    `REMINDER_SEND_BATCH` of them (one task per reminder spent more on the task than on the reminder).

    A send task that is lost (broker down, worker killed) costs nothing: the claims' lease runs out and the next
    pass claims the reminders again. A late one expires in the broker, and would do nothing anyway: its claims are
    no longer the reminders'.
    """
    claimed = delivery.claim_due().claimed
    size = settings.REMINDERS.send_batch_size
    for start in range(0, len(claimed), size):
        batch = [[reminder_id, token] for reminder_id, token in claimed[start : start + size]]
        send_reminders.apply_async((batch,), expires=settings.REMINDERS.lease_seconds)
    return len(claimed)


@shared_task(name="clinic.tasks.send_reminders", ignore_result=True)
def send_reminders(claims: list[list[Any]]) -> dict[str, int]:
    """Send a batch of claimed reminders, each exactly once (clinic/reminders/delivery.py); safe to run twice."""
    return delivery.deliver_batch([(int(reminder_id), str(token)) for reminder_id, token in claims])


@shared_task(name="clinic.tasks.send_reminder", ignore_result=True)
def send_reminder(reminder_id: int, claim_token: str) -> str:
    """Send one claimed reminder; kept for the messages an earlier version queued one per reminder."""
    return delivery.deliver(reminder_id, claim_token)


@shared_task(name="clinic.tasks.send_portal_invitation", ignore_result=True)
def send_portal_invitation(invitation_id: int, salt: str) -> bool:
    """Email a portal invitation's link (clinic/invitations.py). Safe to run twice: a sent, used or replaced
    invitation is not sent again. The salt is not the link's secret: that needs SECRET_KEY too."""
    from clinic import invitations

    return invitations.deliver(invitation_id, salt)
