"""Integration's part of `seed_scale` (clinic/scale.py): a note for every integration session that took place (signed
after two days, with the PHQ-9 nearest in time and now and then an addendum), relapse-prevention plans in one or two
revisions after a completed course, and maintenance evaluations opened by a rising PHQ-9.

It reads what sessions and intake left in `batch.shared` (ids and times; it never imports them). Free text is
written encrypted (clinic.encryption), one token per distinct text; the structured part of a note is what
integration.modalities makes of a typical entry.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from typing import Any

from clinic.models import Role
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.scale import PatientBatch, ScaleContext, ScalePatient, js
from integration.modalities import Modality, validate_structured
from integration.models import (
    EvaluationTrigger,
    IntegrationNote,
    MaintenanceEvaluation,
    NoteAddendum,
    QuestionnaireDue,
    QuestionnaireDueReason,
    QuestionnaireLinkUse,
    RelapsePlanRevision,
    RelapsePreventionPlan,
)

AFTER = ("intake", "treatment_sessions")
DAY = dt.timedelta(days=1)
PHQ9_WINDOW = dt.timedelta(days=14)
NARRATIVES = (
    "Reviewed the experience of the last infusion; the patient described a sense of distance from old worries.",
    "Worked with images that came up during dosing; grief for a parent emerged and was held with care.",
    "Patient reports better sleep and more energy; explored what they want to keep doing differently.",
    "Processed fear that arose near the end of the session; grounding exercises helped.",
    "Explored a memory of school that returned during dosing; linked it to the inner critic.",
    "Patient felt flat after the session; normalised the after-effects and planned gentle activity.",
    "Talked through relationship patterns the patient noticed; homework: one honest conversation.",
    "Patient brought a drawing of the session; we used it to name the parts that showed up.",
)
PLANS = (
    "Continue the course; journal daily; next integration session after the following infusion.",
    "Practise the grounding exercise twice a day; call the clinic if low mood returns.",
    "Keep the walking routine; review sleep diary next time.",
    "Share the safety plan with a friend; revisit the protector part next session.",
)
STRUCTURED = {
    Modality.EMDR: {"phase": "desensitisation", "target": "The accident", "worst_image": "Headlights",
                    "negative_cognition": "I am not safe", "positive_cognition": "It is over; I am safe now",
                    "voc": 5, "emotions": ["fear"], "sud_before": 7, "sud_after": 3, "body_location": "chest",
                    "bilateral_sets": 12, "body_scan_clear": False},
    Modality.ART: {"scene": "A storm that calms over a lake", "scene_private": False, "sud_before": 8,
                   "sud_after": 2, "sensations": ["tight chest"], "image_replacement_completed": True,
                   "eye_movement_sets": 14},
    Modality.IFS: {"parts": [{"name": "The critic", "type": "manager", "body_location": "shoulders",
                              "fears": "Failing again"}], "feel_toward": "Curious", "self_energy": ["curious", "calm"],
                   "permission_granted": True, "unburdening_steps": ["witness"], "updated_roles": "Advisor"},
    Modality.GENERAL: {},
}  # fmt: skip
SECTIONS = {
    "warning_signs": ["Sleeping past noon", "Skipping meals", "Not answering friends"],
    "coping_strategies": ["Walk for 20 minutes", "Breathing exercise", "Write in the journal"],
    "distractions": ["Call a friend", "Visit the library"],
    "people_to_ask": ["Sam Testperson (friend), 555-0199"],
    "professionals": ["KAP Clinic, 555-0100", "Crisis line 988"],
    "safe_environment": ["Medicines kept by a friend"],
}
ADDENDUM = "Correction: the next integration session is after the following infusion, not before."
OUTCOMES = ("booster_booked", "plan_changed", "no_action")


def _structured(ctx: ScaleContext) -> dict[Modality, Any]:
    valid = {}
    for modality, data in STRUCTURED.items():
        result, errors = validate_structured(modality, data, DEFAULT_PROTOCOL.integration)
        assert not errors, errors  # noqa: S101 - the templates above are valid by construction
        valid[modality] = ctx.sealed_json(result)
    return valid


def seed_batch(ctx: ScaleContext, batch: PatientBatch) -> None:
    structured = ctx.state.get("integration.structured") or ctx.state.setdefault(
        "integration.structured", _structured(ctx)
    )
    patients = {p.id: p for p in batch.patients}
    phq9: dict[int, list[tuple[dt.datetime, int, int]]] = defaultdict(list)
    for assessment_id, patient_id, at, total in batch.shared.get("intake.phq9", ()):
        phq9[patient_id].append((at, assessment_id, total))
    _notes(ctx, batch, patients, phq9, structured)
    _plans(ctx, batch, patients)
    _evaluations(ctx, batch, patients, phq9)
    _questionnaires(ctx, batch, phq9)


def _nearest(rows: list[tuple[dt.datetime, int, int]], at: dt.datetime) -> tuple[dt.datetime, int, int] | None:
    i = bisect.bisect_left(rows, (at,))
    near = [r for r in rows[max(0, i - 1) : i + 1] if abs(r[0] - at) <= PHQ9_WINDOW]
    return min(near, key=lambda r: abs(r[0] - at)) if near else None


def _notes(
    ctx: ScaleContext,
    batch: PatientBatch,
    patients: dict[int, ScalePatient],
    phq9: dict[int, list[tuple[dt.datetime, int, int]]],
    structured: dict[Modality, Any],
) -> None:
    held = [a for a in batch.shared.get("treatment_sessions.appointments", ()) if a[6] == "completed"]
    ids = ctx.writer.ids(IntegrationNote, len(held))
    rows, addenda = [], []
    modalities = list(Modality)
    for pk, (appointment_id, patient_id, therapist_id, session_id, start, end, _) in zip(ids, held, strict=True):
        p = patients[patient_id]
        therapist = next(m for m in p.site.staff[Role.THERAPIST] if m.id == therapist_id)
        signed = end + 2 * DAY < ctx.now
        signed_at = end + DAY / 3 if signed else None
        near = _nearest(phq9[patient_id], start)
        modality = modalities[pk % len(modalities)]
        rows.append((
            pk, patient_id, session_id, appointment_id, therapist_id, start, 60, modality.value,
            ctx.sealed(NARRATIVES[pk % len(NARRATIVES)]), ctx.sealed(PLANS[pk % len(PLANS)]), structured[modality],
            "signed" if signed else "draft", signed_at, therapist_id if signed else None,
            near[1] if near else None, near[2] if near else None, near[0] if near else None,
            p.site.protocol_version_id, end, signed_at or end,
        ))  # fmt: skip
        ctx.audit("integration.note.create", end, actor=therapist, patient_id=patient_id,
                  object_type="integration.integrationnote", object_id=pk)  # fmt: skip
        if signed_at is not None:
            ctx.audit("integration.note.sign", signed_at, actor=therapist, patient_id=patient_id,
                      object_type="integration.integrationnote", object_id=pk)  # fmt: skip
            if ctx.chance(0.04) and signed_at + 3 * DAY < ctx.now:
                addenda.append((pk, ctx.sealed(ADDENDUM), therapist_id, signed_at + 3 * DAY))
    ctx.writer.write(IntegrationNote, (
        "id", "patient", "dosing_session", "appointment", "author", "started_at", "duration_min", "modality",
        "narrative", "plan", "structured", "status", "signed_at", "signed_by", "phq9_assessment", "phq9_total",
        "phq9_administered_at", "protocol_version", "created_at", "updated_at",
    ), rows)  # fmt: skip
    ctx.writer.write(NoteAddendum, ("note", "text", "author", "created_at"), addenda)


def _plans(ctx: ScaleContext, batch: PatientBatch, patients: dict[int, ScalePatient]) -> None:
    """A plan for most patients a week after their first completed course; revised three months later."""
    plans, revisions, seen = [], [], set()
    sections = [ctx.sealed_json(SECTIONS[name]) for name in SECTIONS]
    criteria = ctx.sealed("A booster if the PHQ-9 rises by 5 or more from its lowest, or above 10.")
    for _course_id, patient_id, last_day, status in batch.shared.get("treatment_sessions.courses", ()):
        created = dt.datetime.combine(last_day, dt.time(16), tzinfo=dt.UTC) + 7 * DAY
        if status != "completed" or patient_id in seen or created >= ctx.now or not ctx.chance(0.6):
            continue
        seen.add(patient_id)
        p = patients[patient_id]
        therapist = p.staff(Role.THERAPIST)
        plan_id = ctx.writer.ids(RelapsePreventionPlan, 1)[0]
        plans.append((plan_id, patient_id, created))
        for number, at in enumerate((created, created + 90 * DAY), start=1):
            if at >= ctx.now or (number == 2 and not ctx.chance(0.4)):
                break
            revisions.append((plan_id, number, *sections, criteria, (at + 90 * DAY).date(), therapist.id, at,
                              p.site.protocol_version_id))  # fmt: skip
            ctx.audit("integration.relapseplan.revise", at, actor=therapist, patient_id=patient_id,
                      object_type="integration.relapsepreventionplan", object_id=plan_id)  # fmt: skip
    ctx.writer.write(RelapsePreventionPlan, ("id", "patient", "created_at"), plans)
    ctx.writer.write(RelapsePlanRevision, ("plan", "number", *SECTIONS, "maintenance_criteria", "review_date",
                                           "author", "created_at", "protocol_version"), revisions)  # fmt: skip


def _evaluations(
    ctx: ScaleContext,
    batch: PatientBatch,
    patients: dict[int, ScalePatient],
    phq9: dict[int, list[tuple[dt.datetime, int, int]]],
) -> None:
    """One patient in ten whose PHQ-9 rose after a completed course: an evaluation, resolved after two weeks."""
    rows, seen = [], set()
    for course_id, patient_id, last_day, status in batch.shared.get("treatment_sessions.courses", ()):
        if status != "completed" or patient_id in seen or not ctx.chance(0.1):
            continue
        after = [r for r in phq9[patient_id] if r[0].date() > last_day + dt.timedelta(days=30)]
        if not after:
            continue
        seen.add(patient_id)
        at, assessment_id, total = after[0]
        prescriber = patients[patient_id].staff(Role.PRESCRIBER)
        resolved = at + 14 * DAY < ctx.now
        outcome = OUTCOMES[patient_id % len(OUTCOMES)] if resolved else ""
        pk = ctx.writer.ids(MaintenanceEvaluation, 1)[0]
        rows.append((
            pk, patient_id, course_id, EvaluationTrigger.RISE_FROM_NADIR.value, assessment_id,
            js({"total": total, "nadir": max(total - 5, 0)}), at, None,
            "resolved" if resolved else "open", outcome, "Discussed at the team meeting." if resolved else "",
            at + 14 * DAY if resolved else None, prescriber.id if resolved else None,
            patients[patient_id].site.protocol_version_id,
        ))  # fmt: skip
        ctx.audit("integration.evaluation.open", at, actor=None, patient_id=patient_id,
                  object_type="integration.maintenanceevaluation", object_id=pk)  # fmt: skip
    ctx.writer.write(MaintenanceEvaluation, (
        "id", "patient", "course", "trigger", "trigger_assessment", "trigger_details", "opened_at", "opened_by",
        "status", "outcome", "reason", "resolved_at", "resolved_by", "protocol_version",
    ), rows)  # fmt: skip


def _questionnaires(
    ctx: ScaleContext, batch: PatientBatch, phq9: dict[int, list[tuple[dt.datetime, int, int]]]
) -> None:
    """The questionnaires the cadence asked for after a completed course (integration/reminders.py): each PHQ-9
    after it answered one announced a day earlier, two in three through the message's one-time link."""
    rows, uses, seen = [], [], set()
    for course_id, patient_id, last_day, status in batch.shared.get("treatment_sessions.courses", ()):
        if status != "completed" or patient_id in seen:
            continue
        seen.add(patient_id)
        after = [r for r in phq9[patient_id] if r[0].date() > last_day]
        ids = ctx.writer.ids(QuestionnaireDue, len(after)) if after else []
        for pk, (at, assessment_id, _total) in zip(ids, after, strict=True):
            rows.append((pk, patient_id, "phq9", at - DAY, QuestionnaireDueReason.POST_COURSE_WEEKLY.value,
                         course_id, at - DAY, at, assessment_id))  # fmt: skip
            if pk % 3:
                uses.append((f"scale-{pk}", pk, at - dt.timedelta(minutes=5)))
    ctx.writer.write(QuestionnaireDue, ("id", "patient", "instrument", "due_at", "reason", "course_id",
                                        "created_at", "closed_at", "assessment"), rows)  # fmt: skip
    ctx.writer.write(QuestionnaireLinkUse, ("nonce", "questionnaire", "used_at"), uses)
