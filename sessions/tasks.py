"""Background work of the sessions app. Tasks call a service and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from sessions import services


@shared_task(name="sessions.tasks.alert_rems_deadlines", acks_late=False, ignore_result=True)
def alert_rems_deadlines() -> int:
    """Beat runs this hourly: alert the care team (by email too) about REMS forms near their deadline, once each."""
    return services.alert_rems_deadlines()
