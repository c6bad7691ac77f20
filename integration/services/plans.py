"""Relapse-prevention plans (clinical protocol §7): every change is a new revision, kept with its author and time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from clinic import audit
from clinic.errors import InvalidInput, NotAllowed
from clinic.models import Patient, User
from clinic.services import current_protocol, use_protocol
from integration.modalities import LIST_MAX, NARRATIVE_MAX
from integration.models import PLAN_SECTIONS, RelapsePlanRevision, RelapsePreventionPlan
from integration.permissions import can_read_relapse_plan, can_revise_relapse_plan
from integration.services._common import for_update, lock_patient, visible_patient

PLAN_FIELDS = frozenset({*PLAN_SECTIONS, "maintenance_criteria", "review_date"})
PLAN_ITEM_MAX = 500  # one warning sign, one person to call: a sentence or two


def _revisions(patient: Patient) -> Any:
    return RelapsePlanRevision.objects.filter(plan__patient=patient).select_related("author").order_by("-number")


def current_relapse_plan(by: User, patient: Patient | int) -> RelapsePlanRevision | None:
    """The newest revision of the patient's plan, or None; audited integration.relapseplan.view."""
    patient = visible_patient(by, patient, allowed=can_read_relapse_plan(by, _pk(patient)))
    revision: RelapsePlanRevision | None = _revisions(patient).first()
    audit.record(
        "integration.relapseplan.view",
        patient=patient,
        obj=revision,
        actor=by,
        details={"revision": revision.number if revision else None},
    )
    return revision


def relapse_plan_revisions(by: User, patient: Patient | int) -> list[RelapsePlanRevision]:
    """Every revision of the plan, newest first; audited integration.relapseplan.view."""
    patient = visible_patient(by, patient, allowed=can_read_relapse_plan(by, _pk(patient)))
    revisions = list(_revisions(patient))
    audit.record(
        "integration.relapseplan.view",
        patient=patient,
        actor=by,
        details={"revisions": [r.number for r in revisions]},
    )
    return revisions


def plan_defaults(patient: Patient) -> dict[str, Any]:
    """What a first plan starts with (clinical protocol §7): the maintenance criteria of §5 in the patient's words,
    with the protocol's numbers, and the review date the protocol's days from today (90)."""
    rules = current_protocol(patient.site).outcomes
    today = timezone.localdate(timezone.now(), timezone=ZoneInfo(patient.site.time_zone))
    criteria = (
        "After your course you fill in the mood questionnaire (PHQ-9) regularly. If your score rises "
        f"{rules.relapse_rise_points} points or more above your lowest score since the course, or reaches "
        f"{rules.relapse_phq9_threshold} or more when it was below {rules.relapse_phq9_threshold}, your care team "
        "talks with you about a booster session. Call the clinic sooner if your warning signs come back."
    )
    return {"maintenance_criteria": criteria, "review_date": today + dt.timedelta(days=rules.relapse_plan_review_days)}


def _pk(patient: Patient | int) -> int:
    return patient.pk if isinstance(patient, Patient) else patient


def _section(value: Any, name: str, errors: dict[str, list[str]]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        errors[name] = ["Give this section as a list of short entries."]
        return []
    if len(value) > LIST_MAX:
        errors[name] = [f"A section holds at most {LIST_MAX} entries."]
        return []
    entries = []
    for position, item in enumerate(value, start=1):
        if not isinstance(item, str):
            errors[name] = [f"Entry {position} must be text."]
            return []
        if len(item.strip()) > PLAN_ITEM_MAX:
            errors[name] = [f"Entry {position} is longer than {PLAN_ITEM_MAX} characters; shorten it."]
            return []
        if item.strip():
            entries.append(item.strip())
    return entries


def _review_date(value: Any, today: dt.date, default_days: int, errors: dict[str, list[str]]) -> dt.date:
    if value in (None, ""):
        return today + dt.timedelta(days=default_days)
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            errors["review_date"] = ["Give the review date as a date, e.g. 2026-09-30."]
            return today
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors["review_date"] = ["Give the review date as a date, e.g. 2026-09-30."]
        return today
    if value < today:
        errors["review_date"] = ["The review date cannot be in the past."]
    return value


def revise_relapse_plan(*, by: User, patient: Patient | int, data: Mapping[str, Any]) -> RelapsePlanRevision:
    """Save the plan as given as its next revision (a therapist or prescriber, with the patient). Sections not
    given are empty; the review date defaults to the protocol's days from today (90). Audited
    integration.relapseplan.revise with the names of the sections that changed."""
    patient = visible_patient(by, patient, allowed=can_read_relapse_plan(by, _pk(patient)))
    if not can_revise_relapse_plan(by):
        raise NotAllowed("Only therapists and prescribers revise relapse-prevention plans.")
    unknown = sorted(set(data) - PLAN_FIELDS)
    errors: dict[str, list[str]] = {name: ["This is not a part of the plan."] for name in unknown}
    sections = {name: _section(data.get(name), name, errors) for name in PLAN_SECTIONS}
    criteria = data.get("maintenance_criteria") or ""
    if not isinstance(criteria, str) or len(criteria.strip()) > NARRATIVE_MAX:
        errors["maintenance_criteria"] = [f"Write the maintenance criteria as text of at most {NARRATIVE_MAX} letters."]
    with transaction.atomic():
        patient = lock_patient(patient)
        version, protocol = use_protocol(patient.site)
        today = timezone.localdate(timezone.now(), timezone=ZoneInfo(patient.site.time_zone))
        review = _review_date(data.get("review_date"), today, protocol.outcomes.relapse_plan_review_days, errors)
        if errors:
            raise InvalidInput(errors)
        plan, _ = RelapsePreventionPlan.objects.get_or_create(patient=patient)
        plan = for_update(RelapsePreventionPlan.objects.all()).get(pk=plan.pk)
        previous: RelapsePlanRevision | None = plan.revisions.order_by("-number").first()
        revision = RelapsePlanRevision.objects.create(
            plan=plan,
            number=(previous.number + 1) if previous else 1,
            maintenance_criteria=criteria.strip() if isinstance(criteria, str) else "",
            review_date=review,
            author=by,
            created_at=timezone.now(),
            protocol_version=version,
            **sections,
        )
        changed = [
            name
            for name in (*PLAN_SECTIONS, "maintenance_criteria", "review_date")
            if previous is None or getattr(previous, name) != getattr(revision, name)
        ]
        audit.record(
            "integration.relapseplan.revise",
            patient=patient,
            obj=revision,
            actor=by,
            details={"revision": revision.number, "changed": changed},
        )
    return revision
