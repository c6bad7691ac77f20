"""Background work of intake. Tasks call a service and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from intake import services


@shared_task(name="intake.tasks.expire_screenings", acks_late=False, ignore_result=True)
def expire_screenings() -> int:
    """Mark screenings past the protocol's validity as expired (beat runs it hourly). The check before dosing
    does not depend on it: `is_cleared_for_dosing` computes expiry from the dates itself."""
    return services.expire_stale_screenings()
