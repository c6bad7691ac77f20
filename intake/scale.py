"""Intake's part of `seed_scale` (clinic/scale.py): questionnaires, screenings with their overrides, consent,
medical clearance, health questionnaires, and the safety tasks and care-team alerts that risky answers raise.

Scores, severities, flags and screening findings come from the rule modules themselves (intake.instruments,
intake.rules) with the default protocol, computed once per answer pattern and reused. It leaves the batch's
PHQ-9 scores in `batch.shared["intake.phq9"]`: (assessment id, patient id, administered at, total), oldest first.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clinic.models import Notification, NotificationKind, NotificationSeverity, Role
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.scale import PatientBatch, ScaleContext, ScalePatient, js
from intake.consent import CURRENT_CONSENT_VERSION, consent_sha256
from intake.instruments import Flag, score
from intake.models import (
    Assessment,
    Consent,
    HealthQuestionnaire,
    MedicalClearance,
    Override,
    QuestionnaireDraft,
    SafetyTask,
    Screening,
    ScreeningStatus,
)
from intake.rules import Medication, ScreeningFacts, evaluate_screening

AFTER: tuple[str, ...] = ()
DAY = dt.timedelta(days=1)

# Answer patterns from severe to well, so that a course's scores fall as treatment goes on.
PHQ9 = ([3, 3, 2, 3, 2, 2, 2, 2, 0], [2, 2, 2, 2, 2, 1, 2, 1, 0], [2, 2, 1, 2, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 0, 1, 1, 0, 1, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0, 0])  # fmt: skip
PHQ9_AT_RISK = [2, 2, 2, 2, 1, 2, 1, 1, 1]  # item 9 answered: a safety task and an alert
GAD7 = ([3, 2, 2, 2, 1, 2, 2], [2, 2, 1, 2, 1, 1, 1], [1, 1, 1, 1, 0, 1, 0], [0, 1, 0, 0, 0, 1, 0])
QIDS = ([2, 1, 0, 2, 2, 1, 1, 0, 2, 2, 1, 1, 1, 2, 1, 1], [1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0])
CSSRS_NONE = dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months"), False)
SEEN_AT_RISK = 0.02  # share of PHQ-9s whose item 9 is answered
CLEARANCE_NOTE = "History, medications and screening vitals reviewed; no contraindication to ketamine."
OVERRIDE_REASON = "Reviewed with the patient (controlled hypertension): acceptable with the usual monitoring."


@dataclass(frozen=True)
class Scored:
    instrument: str
    answers: str
    total: int | None
    severity: str
    flags: str
    at_risk: bool


def _scored(instrument: str, answers: Any) -> Scored:
    result = score(instrument, answers, DEFAULT_PROTOCOL.instruments)
    flags = [str(flag) for flag in result.flags]
    return Scored(instrument, js(answers), result.total, result.severity or "", js(flags),
                  Flag.SUICIDAL_IDEATION.value in flags)  # fmt: skip


PHQ9_SCORED = [_scored("phq9", a) for a in PHQ9]
PHQ9_RISK_SCORED = _scored("phq9", PHQ9_AT_RISK)
GAD7_SCORED = [_scored("gad7", a) for a in GAD7]
QIDS_SCORED = [_scored("qids_sr16", a) for a in QIDS]
CSSRS_SCORED = _scored("cssrs_screen", CSSRS_NONE)


@dataclass(frozen=True)
class Decided:
    facts: ScreeningFacts
    decision: str
    findings: str


def _decided(**changes: Any) -> Decided:
    facts = ScreeningFacts(
        age=40, height_cm=Decimal("170"), weight_kg=Decimal("75"), systolic=124, diastolic=78, heart_rate=72,
        medications=(Medication("Sertraline", "antidepressant"),), failed_antidepressant_trials=3, cssrs_risk="none",
    )  # fmt: skip
    facts = ScreeningFacts(**{**facts.__dict__, **changes})
    outcome = evaluate_screening(facts, dt.date(2026, 1, 5), DEFAULT_PROTOCOL)
    findings = [{"code": f.code.value, "kind": f.kind.value, "message": f.message, "rule": f.rule}
                for f in outcome.findings]  # fmt: skip
    return Decided(facts, outcome.decision.value, js(findings))


ELIGIBLE = _decided()
NEEDS_OVERRIDE = _decided(systolic=152, diastolic=88, history=frozenset({"hypertension_controlled"}))
INELIGIBLE = _decided(history=frozenset({"psychosis_current"}))
# The relative findings the prescriber's override names (every one of them, as the service requires).
OVERRIDE_ADDRESSES = js([f["code"] for f in json.loads(NEEDS_OVERRIDE.findings) if f["kind"] == "relative"])
VALIDITY = dt.timedelta(days=DEFAULT_PROTOCOL.screening.validity_days)

ASSESSMENT_COLUMNS = ("id", "patient", "instrument", "answers", "total", "severity", "flags", "administered_at",
                      "source", "entered_by", "protocol_version", "created_at")  # fmt: skip
SCREENING_COLUMNS = (
    "id", "patient", "protocol_version", "screened_at", "screened_by", "age_at_screening", "height_cm", "weight_kg",
    "systolic", "diastolic", "heart_rate", "history", "medications", "substance_use", "pregnant_or_breastfeeding",
    "failed_antidepressant_trials", "cssrs_assessment", "cssrs_risk", "decision", "findings", "status",
    "decided_at", "expires_at", "created_at",
)  # fmt: skip
MEDICATIONS = js([{"name": "Sertraline", "category": "antidepressant", "diazepam_equivalent_mg_per_day": None}])
HQ_MEDICATIONS = js([{"name": "Sertraline", "category": "antidepressant", "dose": "100 mg daily"}])
NO_SUBSTANCE_USE = js({"status": "none", "remission_since": None})


def _schedule(ctx: ScaleContext, p: ScalePatient) -> list[tuple[dt.datetime, Scored]]:
    """Which questionnaires the patient filled in, and when: at intake, weekly in a course, monthly after it."""
    intake = p.registered_at + DAY * ctx.rng.uniform(0.5, 4)
    plan = [(intake, PHQ9_SCORED[ctx.rng.randint(0, 1)]), (intake, GAD7_SCORED[0]), (intake, CSSRS_SCORED)]
    if p.first_course_on is not None:
        start = dt.datetime.combine(p.first_course_on, dt.time(14), tzinfo=dt.UTC)
        weekly = 14 if p.profile == "chart" else 3
        plan += [(start + DAY * 7 * w, PHQ9_SCORED[min(w, 3)]) for w in range(weekly)]
        plan += [(start, GAD7_SCORED[1]), (start + DAY * 18, GAD7_SCORED[2]), (start, QIDS_SCORED[0])]
        plan += [(start + DAY * 30 * m, PHQ9_SCORED[3 + (m % 3)]) for m in range(1, 5)]
        if p.profile == "chart":
            plan += [(start + DAY * 10 * k, GAD7_SCORED[k % 4]) for k in range(1, 7)]
            plan += [(start + DAY * 20 * k, QIDS_SCORED[1]) for k in range(1, 4)]
            plan += [(start + DAY * 30 * k, CSSRS_SCORED) for k in range(1, 4)]
    plan = [(at, s) for at, s in plan if at < ctx.now]
    return plan[:30] if p.profile == "chart" else plan


def seed_batch(ctx: ScaleContext, batch: PatientBatch) -> None:
    rows, phq9, tasks = [], [], []
    screening_rows: list[tuple[Any, ...]] = []
    overrides: list[tuple[Any, ...]] = []
    consents: list[tuple[Any, ...]] = []
    clearances: list[tuple[Any, ...]] = []
    questionnaires = []
    plans = [(p, _schedule(ctx, p)) for p in batch.patients]
    ids = iter(ctx.writer.ids(Assessment, sum(len(plan) for _, plan in plans)))
    for p, plan in plans:
        nurse, version = p.staff(Role.NURSE), p.site.protocol_version_id
        cssrs_id = None
        for at, scored in plan:
            if scored.instrument == "phq9" and ctx.chance(SEEN_AT_RISK):
                scored = PHQ9_RISK_SCORED
            pk = next(ids)
            source = "portal" if (pk % 3 == 0) else "clinic"
            rows.append((pk, p.id, scored.instrument, scored.answers, scored.total, scored.severity, scored.flags, at,
                         source, nurse.id, version, at))  # fmt: skip
            ctx.audit("intake.assessment.create", at, actor=nurse, patient_id=p.id, object_type="intake.assessment",
                      object_id=pk)  # fmt: skip
            if scored.instrument == "phq9":
                phq9.append((pk, p.id, at, scored.total))
            if scored.instrument == "cssrs_screen" and cssrs_id is None:
                cssrs_id = pk
            if scored.at_risk:
                tasks.append((p, pk, at))
        if p.profile != "new" and plan:
            _screen(ctx, p, plan[0][0] + DAY, cssrs_id, screening_rows, overrides, consents, clearances)
        if ctx.chance(0.8):
            questionnaires.append(
                (p.id, HQ_MEDICATIONS, NO_SUBSTANCE_USE, p.registered_at + DAY, js([]), False, ctx.sealed(""))
            )
    ctx.writer.write(Assessment, ASSESSMENT_COLUMNS, rows)
    ctx.writer.write(Screening, SCREENING_COLUMNS, screening_rows)
    ctx.writer.write(Override, ("screening", "prescriber", "reason", "created_at", "addressed_findings"), overrides)
    ctx.writer.write(Consent, ("id", "patient", "document_version", "text_sha256", "signed_name", "signed_at", "method",
                               "witnessed_by", "recorded_by"), consents)  # fmt: skip
    ctx.writer.write(MedicalClearance, ("id", "patient", "prescriber", "note", "cleared_at"), clearances)
    ctx.writer.write(HealthQuestionnaire, ("patient", "medications", "substance_use", "submitted_at", "history",
                                           "pregnant_or_breastfeeding", "notes"), questionnaires)  # fmt: skip
    _safety(ctx, tasks)
    _drafts(ctx, batch)
    batch.shared["intake.phq9"] = sorted(phq9, key=lambda row: row[2])


def _screen(
    ctx: ScaleContext,
    p: ScalePatient,
    at: dt.datetime,
    cssrs_id: int | None,
    screenings: list[tuple[Any, ...]],
    overrides: list[tuple[Any, ...]],
    consents: list[tuple[Any, ...]],
    clearances: list[tuple[Any, ...]],
) -> None:
    """A decided screening; for patients who go on to treatment, cleared (overridden if it needed it), with consent
    and clearance. Renewed before each booster, since a screening holds for 180 days."""
    nurse, prescriber = p.staff(Role.NURSE), p.staff(Role.PRESCRIBER)
    times = [at] + [dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC) - DAY * 7 for day in p.booster_days]
    ids = ctx.writer.ids(Screening, len(times))
    for n, (pk, when) in enumerate(zip(ids, times, strict=True)):
        if when >= ctx.now:
            break
        kind = INELIGIBLE if p.profile == "ineligible" else (NEEDS_OVERRIDE if pk % 4 == 0 else ELIGIBLE)
        superseded = n + 1 < len(times) and times[n + 1] < ctx.now
        expired = superseded or when + VALIDITY < ctx.now
        status = ScreeningStatus.EXPIRED if expired else ScreeningStatus.DECIDED
        if kind is NEEDS_OVERRIDE and not expired:
            status = ScreeningStatus.OVERRIDDEN
        f = kind.facts
        age = when.year - p.date_of_birth.year
        screenings.append((
            pk, p.id, p.site.protocol_version_id, when, nurse.id, age, p.height_cm, p.weight_kg, f.systolic,
            f.diastolic, f.heart_rate, js(sorted(f.history)), MEDICATIONS, NO_SUBSTANCE_USE, False,
            f.failed_antidepressant_trials, cssrs_id, "none" if cssrs_id else "", kind.decision, kind.findings, status,
            when, when + VALIDITY, when,
        ))  # fmt: skip
        for action in ("intake.screening.create", "intake.screening.decide"):
            ctx.audit(action, when, actor=nurse, patient_id=p.id, object_type="intake.screening", object_id=pk)
        if kind is NEEDS_OVERRIDE:
            overrides.append((pk, prescriber.id, OVERRIDE_REASON, when + DAY / 24, OVERRIDE_ADDRESSES))
            ctx.audit("intake.screening.override", when + DAY / 24, actor=prescriber, patient_id=p.id,
                      object_type="intake.screening", object_id=pk)  # fmt: skip
        if kind is INELIGIBLE or n > 0:
            continue
        consent_id, clearance_id = ctx.writer.ids(Consent, 1)[0], ctx.writer.ids(MedicalClearance, 1)[0]
        consents.append((consent_id, p.id, CURRENT_CONSENT_VERSION, CONSENT_SHA, f"{p.given_name} {p.family_name}",
                         when + DAY / 12, "witnessed", nurse.id, nurse.id))  # fmt: skip
        clearances.append((clearance_id, p.id, prescriber.id, ctx.sealed(CLEARANCE_NOTE), when + DAY / 6))
        ctx.audit("intake.consent.create", when + DAY / 12, actor=nurse, patient_id=p.id,
                  object_type="intake.consent", object_id=consent_id)  # fmt: skip
        ctx.audit("intake.medicalclearance.create", when + DAY / 6, actor=prescriber, patient_id=p.id,
                  object_type="intake.medicalclearance", object_id=clearance_id)  # fmt: skip


CONSENT_SHA = consent_sha256(CURRENT_CONSENT_VERSION)


def _safety(ctx: ScaleContext, tasks: Sequence[tuple[ScalePatient, int, dt.datetime]]) -> None:
    """A safety task per risky answer, resolved a day later unless recent, and an alert to the prescriber."""
    ids = ctx.writer.ids(SafetyTask, len(tasks))
    rows: list[tuple[Any, ...]] = []
    alerts: list[tuple[Any, ...]] = []
    for pk, (p, assessment_id, at) in zip(ids, tasks, strict=True):
        prescriber = p.staff(Role.PRESCRIBER)
        resolved = at + DAY < ctx.now
        rows.append((pk, p.id, assessment_id, "PHQ-9 item 9 answered above 0", "resolved" if resolved else "open",
                     at, prescriber.id if resolved else None, at + DAY if resolved else None,
                     ctx.sealed("Called the patient; safety plan reviewed." if resolved else "")))  # fmt: skip
        alerts.append((prescriber.id, p.id, NotificationKind.SAFETY_ALERT, NotificationSeverity.CRITICAL,
                       "New safety alert", "A patient's answers need a call back today.", f"/staff/patients/{p.id}/",
                       f"safety-task-{pk}", at, at + DAY / 4 if resolved else None, at,
                       at + DAY if resolved else None, prescriber.id if resolved else None,
                       "Called the patient; safety plan reviewed." if resolved else ""))  # fmt: skip
        ctx.audit("intake.safetytask.create", at, actor=None, patient_id=p.id, object_type="intake.safetytask",
                  object_id=pk)  # fmt: skip
    ctx.writer.write(SafetyTask, ("id", "patient", "assessment", "reason", "status", "created_at", "resolved_by",
                                  "resolved_at", "note"), rows)  # fmt: skip
    ctx.writer.write(Notification, ("recipient", "patient", "kind", "severity", "title", "body", "link", "dedupe_key",
                                    "created_at", "read_at", "delivered_at", "acknowledged_at", "acknowledged_by",
                                    "acknowledgement_note"), alerts)  # fmt: skip


def _drafts(ctx: ScaleContext, batch: PatientBatch) -> None:
    """A few patients left a PHQ-9 half answered in the portal (questionnaires in progress)."""
    rows = []
    for n, p in enumerate(batch.patients):
        if n == 0 or ctx.chance(0.05):
            at = ctx.now - DAY
            rows.append((p.id, "phq9", js({"1": 1, "2": 2, "3": 1}), js([]), None, at, at))
    ctx.writer.write(
        QuestionnaireDraft,
        ("patient", "instrument", "answers", "risk_flags", "alerted_at", "started_at", "updated_at"),
        rows,
    )
