"""Background work of integration therapy. Tasks take ids, call a service and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from integration import reminders


@shared_task(name="integration.tasks.plan_questionnaire_reminders", acks_late=False, ignore_result=True)
def plan_questionnaire_reminders() -> dict[str, int]:
    """Beat runs this every 15 minutes: open the questionnaires the cadence asks for now (their reminders are rows,
    sent by clinic.tasks.send_due_reminders) and close those no longer due. Safe to run twice."""
    planned = reminders.plan_questionnaires()
    return {"opened": planned.opened, "closed": planned.closed}
