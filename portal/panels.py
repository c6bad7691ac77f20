"""Sections the portal adds to its own home (clinic.panels, audience "portal"), beside those of the apps.

The order of the home's sections (`Panel.order`): 5 the next treatment and how to get ready (sessions), 7 unread
messages (the messages app registers its panel with this order), 10 questionnaires and forms due (intake), 20 the
upcoming sessions (sessions), 30 staying well: the plan (integration), 31 the progress chart (here), 90 documents
(clinic.reports), 91 the latest documents to download (here).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.safestring import mark_safe

from clinic import panels
from clinic.models import Patient, ReportStatus
from clinic.reports import panels as report_panels
from clinic.reports import queries as report_queries
from clinic.scoping import is_active_user
from integration import services as integration_services
from integration.charts import PATIENT_WORDING

MESSAGES_ORDER = 7  # the slot of the messages panel (registered by the messages app)


def progress_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    """The progress chart in the patient's words (the same chart as "My progress"), once there is a score."""
    user = request.user
    if not is_active_user(user):
        return None
    chart = integration_services.outcome_summary(user, patient, chart=PATIENT_WORDING).chart
    if chart is None or not chart.svg:
        return None
    return {"chart_svg": mark_safe(chart.svg)}  # noqa: S308 - clinic.charts escapes every text


def latest_documents_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    """The patient's latest ready PDFs, each one tap to download (portal/reports_views.py serves and audits it)."""
    jobs = [
        job
        for job in report_queries.recent_jobs(request.user, patient, portal=True, limit=10)
        if job.status == ReportStatus.READY
    ][:3]
    return {"rows": [report_panels.job_row(job) for job in jobs], "site": patient.site} if jobs else None


def register() -> None:
    panels.register(panels.Panel("progress", "portal", "portal/progress_panel.html", progress_panel, 31))
    panels.register(
        panels.Panel("latest_documents", "portal", "portal/reports/latest_panel.html", latest_documents_panel, 91)
    )
