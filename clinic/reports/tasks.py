"""The report task: on its own queue (`reports`), so that PDFs taking seconds each never hold up reminders.

Discovered through clinic/tasks.py. Safe to run twice (clinic.reports.services.make_report overwrites the job's
one file); with acks_late a render interrupted by a lost worker is delivered again and simply renders again.
"""

from __future__ import annotations

from celery import shared_task

from clinic.audit import audit_context
from clinic.reports import services

REPORTS_QUEUE = "reports"


@shared_task(name="clinic.reports.render_report", queue=REPORTS_QUEUE, ignore_result=True)
def render_report(job_id: int, request_id: str | None = None) -> str | None:
    """Render report job `job_id`; `request_id` ties the audit entries to the request that asked for it."""
    with audit_context(request_id=request_id):
        job = services.make_report(job_id)
    return job.status if job is not None else None
