"""Intake's sections on the staff patient page and the portal home (registered in IntakeConfig.ready)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from clinic import panels
from clinic.models import Patient
from clinic.services import current_protocol
from intake import services
from intake.consent import CURRENT_CONSENT_VERSION
from intake.models import Assessment, Consent, HealthQuestionnaire
from intake.questionnaires import PATIENT_INSTRUMENTS, QUESTIONNAIRES
from intake.summary import decision_style, latest_scores, open_safety_tasks


def staff_panel(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    screening = services.latest_screening(patient)
    return {
        "clearance": services.is_cleared_for_dosing(patient, timezone.now()),
        "screening": screening,
        "decision": decision_style(screening.decision) if screening else None,
        "scores": latest_scores(patient),
        "open_safety_tasks": open_safety_tasks(patient).count(),
        "intake_url": reverse("staff:intake", args=[patient.pk]),
        "site": patient.site,
    }


def portal_todo(patient: Patient, at: dt.datetime) -> dict[str, Any]:
    """What the patient still has to do before treatment, and what they did recently: the portal home's section
    and the thank-you page after a questionnaire show the same list."""
    refill_days = current_protocol(patient.site).outcomes.portal_questionnaire_refill_days
    since = at - dt.timedelta(days=refill_days)
    recent = set(
        Assessment.objects.filter(patient=patient, administered_at__gte=since).values_list("instrument", flat=True)
    )
    todo: dict[str, Any] = {
        "to_fill": [
            {"questionnaire": QUESTIONNAIRES[i], "url": reverse("portal:questionnaire", args=[i.value])}
            for i in PATIENT_INSTRUMENTS
            if i.value not in recent
        ],
        "filled": [QUESTIONNAIRES[i] for i in PATIENT_INSTRUMENTS if i.value in recent],
        "health_done": HealthQuestionnaire.objects.filter(patient=patient).exists(),
        "consent_signed": Consent.objects.filter(patient=patient, document_version=CURRENT_CONSENT_VERSION).first(),
        "site": patient.site,
    }
    todo["anything_due"] = bool(todo["to_fill"]) or not todo["health_done"] or todo["consent_signed"] is None
    return todo


def portal_panel(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return portal_todo(patient, timezone.now())


def register() -> None:
    panels.register(
        panels.Panel(key="intake", audience="staff", template="staff/intake/panel.html", build=staff_panel, order=10)
    )
    panels.register(
        panels.Panel(key="intake", audience="portal", template="portal/intake_panel.html", build=portal_panel, order=10)
    )
