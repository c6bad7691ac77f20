"""Sessions' part of `seed_scale` (clinic/scale.py): courses, dosing sessions with their whole day (status history,
check-in, vitals, review acknowledgements, dose, CADSS-6, adverse events, discharge, REMS form), integration
appointments, and the reminders of both.

Sessions take the next free chair and slot of the site's day (8 chairs, five slots 2.5 hours apart, weekdays), so
no chair is ever double-booked, and a patient's sessions follow the course template's days. A session's status
follows the clock: done (mostly discharged) before now, under way at now, scheduled after. Doses are calculated by
sessions.dosing with the default protocol. For integration it leaves, in `batch.shared`:
`treatment_sessions.sessions` (id, patient id, start, status, course id), `treatment_sessions.appointments` (id,
patient id, therapist id, dosing session id, start, end, status) and `treatment_sessions.courses` (id, patient id,
last day, status).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from clinic.models import Role
from clinic.protocol import DEFAULT_PROTOCOL, Route
from clinic.reminders.models import Reminder
from clinic.reports.models import ReportJob
from clinic.scale import PatientBatch, ScaleContext, ScalePatient, ScaleSite, js
from sessions.dosing import DoseRequest, calculate_dose
from sessions.models import (
    AdverseEvent,
    AppointmentRequest,
    CheckIn,
    Discharge,
    DissociationScore,
    DoseRecord,
    DosingSession,
    IntegrationAppointment,
    PreVisitCheckIn,
    RemsSubmission,
    ReviewAcknowledgement,
    SessionStatusChange,
    TreatmentCourse,
    VitalSign,
)
from sessions.monitoring import Vitals, pre_dose_gate
from sessions.scheduling import chair_block_minutes
from sessions.services.base import plain

AFTER = ("intake",)
MINUTE = dt.timedelta(minutes=1)
SLOTS = (dt.time(7, 30), dt.time(10), dt.time(12, 30), dt.time(15), dt.time(17, 30))
APPOINTMENT_SLOTS = (dt.time(9), dt.time(10, 30), dt.time(13), dt.time(14, 30), dt.time(16))
# Course templates with the days of their sessions from a Monday or Tuesday start, and how often each is chosen.
COURSES = {
    "standard_induction": ((0, 3, 7, 10, 14, 17), 0.85),
    "intensive_retreat": ((0, 2, 4, 7, 9, 11), 0.10),
    "esketamine_induction": ((0, 3, 7, 10, 14, 17, 21, 24, 28, 35, 42, 49), 0.05),
}
TEMPLATES = DEFAULT_PROTOCOL.scheduling.templates
PAST_OUTCOMES = (("discharged", 0.92), ("cancelled", 0.04), ("no_show", 0.02), ("deferred", 0.02))
PATHS = {
    "scheduled": ("scheduled",),
    "cancelled": ("scheduled", "cancelled"),
    "no_show": ("scheduled", "no_show"),
    "checked_in": ("scheduled", "checked_in"),
    "deferred": ("scheduled", "checked_in", "deferred"),
    "dosing": ("scheduled", "checked_in", "dosing"),
    "monitoring": ("scheduled", "checked_in", "dosing", "monitoring"),
    "discharged": ("scheduled", "checked_in", "dosing", "monitoring", "discharged"),
}
PRE, REVIEW, DEFER = Vitals(122, 78, 72, 98, 14), Vitals(152, 88, 76, 98, 14), Vitals(186, 112, 96, 97, 16)
DURING, AFTERWARDS = Vitals(134, 84, 80, 97, 14), Vitals(126, 80, 74, 98, 14)
GATES = {v: pre_dose_gate(v, DEFAULT_PROTOCOL.monitoring) for v in (PRE, REVIEW, DEFER)}
ALDRETE = js([2, 2, 2, 2, 2])
CADSS = js([1, 1, 0, 1, 0, 1])


@dataclass
class Planned:
    course_id: int
    patient: ScalePatient
    route: str
    chair_id: int
    start: dt.datetime
    block_end: dt.datetime
    dosing_min: int
    status: str = "scheduled"
    id: int = 0


@cache
def _dose(route: str, weight: Decimal, height: Decimal, sex: str) -> tuple[Any, ...]:
    request = DoseRequest(route=route, weight_kg=weight, height_cm=height, sex_at_birth=sex)  # type: ignore[arg-type]
    r = calculate_dose(request, DEFAULT_PROTOCOL)
    return (js(plain(asdict(request))), js(plain(asdict(r))), r.dose_mg, r.mg_per_kg, r.dosing_weight_kg,
            r.weight_basis or "", r.duration_min, r.rate_mg_per_min, r.pump_rate_ml_per_h, r.draw_volume_ml,
            js(list(r.warnings)), r.requires_override, js(list(r.override_reasons)))  # fmt: skip


# A minimal one-page PDF (the stored file of the synthetic course summaries).
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
REPORT_SHARE = 0.3  # completed courses whose summary someone printed


def prepare(ctx: ScaleContext) -> None:
    """On --append, the chairs' and therapists' slots already taken."""
    chairs = [c for s in ctx.sites for c in s.chair_ids]
    therapists = [m.id for s in ctx.sites for m in s.staff[Role.THERAPIST]]
    ctx.state["treatment_sessions.taken"] = set(
        DosingSession.objects.filter(chair_id__in=chairs).values_list("chair_id", "start")
    ) | set(IntegrationAppointment.objects.filter(therapist_id__in=therapists).values_list("therapist_id", "start"))
    ctx.state["treatment_sessions.next"] = defaultdict(int)
    # Completed courses get a ready course summary; they all point at one small stored PDF (rendering 100,000
    # documents is the reports benchmark's business, not seeding's), so downloads in the benchmark are real reads.
    name = default_storage.save(f"reports/scale-{secrets.token_urlsafe(16)}.pdf", ContentFile(SAMPLE_PDF))
    ctx.state["treatment_sessions.report_file"] = (name, len(SAMPLE_PDF), hashlib.sha256(SAMPLE_PDF).hexdigest())


def _slot(
    ctx: ScaleContext,
    site: ScaleSite,
    day: dt.date,
    kind: str,
    holders: list[int],
    times: tuple[dt.time, ...],
    patient_id: int,
) -> tuple[int, dt.datetime]:
    """The next free (holder, start) of the site's day (a chair, or a therapist), moving on to the next weekday
    when the day is full; never a start the patient already has one of this kind at (two sessions moved to the same
    next weekday would book the patient twice at once: the database refuses it)."""
    taken, following = ctx.state["treatment_sessions.taken"], ctx.state["treatment_sessions.next"]
    patients = ctx.state.setdefault("treatment_sessions.patient_starts", defaultdict(set))
    mine = patients[(kind, patient_id)]
    while True:
        day += dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)
        n = following[(kind, site.index, day)]
        skipped = None
        while n < len(holders) * len(times):
            holder, start = holders[n % len(holders)], ctx.local(site, day, times[n // len(holders)])
            n += 1
            if (holder, start) in taken:
                continue
            if start in mine:  # left free for the next patient
                skipped = n - 1 if skipped is None else skipped
                continue
            following[(kind, site.index, day)] = n if skipped is None else skipped
            taken.add((holder, start))  # the pointer may come back past it for the slot left free
            mine.add(start)
            return holder, start
        following[(kind, site.index, day)] = n if skipped is None else skipped
        day += dt.timedelta(days=1)


def _courses(ctx: ScaleContext, p: ScalePatient) -> list[tuple[str, dt.date, tuple[int, ...]]]:
    if p.first_course_on is None:
        return []
    if p.profile == "chart":
        days = COURSES["standard_induction"][0]
        return [("standard_induction", p.first_course_on, days),
                ("standard_induction", p.first_course_on + dt.timedelta(days=56), days)]  # fmt: skip
    draw, template = ctx.rng.random(), "standard_induction"
    for name, (_, share) in COURSES.items():
        if draw < share:
            template = name
            break
        draw -= share
    first = p.first_course_on
    if template == "intensive_retreat":
        first -= dt.timedelta(days=first.weekday())  # three a week: Monday, Wednesday, Friday
    return [(template, first, COURSES[template][0])] + [("maintenance", day, (0,)) for day in p.booster_days]


def _status(ctx: ScaleContext, s: Planned) -> str:
    if s.start > ctx.now:
        return "cancelled" if ctx.chance(0.03) else "scheduled"
    if s.block_end <= ctx.now:
        if s.patient.profile == "chart":
            return "discharged"  # the showcase chart has all its sessions and notes
        draw = ctx.rng.random()
        for status, share in PAST_OUTCOMES:
            if draw < share:
                return status
            draw -= share
        return "discharged"
    elapsed = (ctx.now - s.start) / MINUTE
    return "checked_in" if elapsed < 10 else "dosing" if elapsed < 10 + s.dosing_min else "monitoring"


def seed_batch(ctx: ScaleContext, batch: PatientBatch) -> None:
    phq9: dict[int, list[tuple[int, dt.datetime, int]]] = defaultdict(list)
    for assessment_id, patient_id, at, total in batch.shared.get("intake.phq9", ()):
        phq9[patient_id].append((assessment_id, at, total))
    course_rows, planned, shared_courses, report_rows = [], [], [], []
    for p in batch.patients:
        for template, first_day, offsets in _courses(ctx, p):
            course_id = ctx.writer.ids(TreatmentCourse, 1)[0]
            route = TEMPLATES[template].route.value
            dosing_min = DEFAULT_PROTOCOL.dosing.routes[Route(route)].default_duration_min or 0
            block = chair_block_minutes(route, None, DEFAULT_PROTOCOL) * MINUTE
            sessions = []
            for offset in offsets:
                chair, start = _slot(ctx, p.site, first_day + dt.timedelta(days=offset), "chair", p.site.chair_ids,
                                     SLOTS, p.id)  # fmt: skip
                sessions.append(Planned(course_id, p, route, chair, start, start + block, dosing_min))
            for s in sessions:
                s.status = _status(ctx, s)
            planned += sessions
            booked = sessions[0].start - dt.timedelta(days=5)
            ended = all(s.block_end <= ctx.now for s in sessions)
            dosed = any(s.status in PATHS["monitoring"][2:] or s.status == "discharged" for s in sessions)
            status = "completed" if ended else "active" if dosed else "planned"
            before = [row for row in phq9[p.id] if row[1] <= booked]
            baseline = before[-1] if before else None
            course_rows.append((
                course_id, p.id, template, TEMPLATES[template].label, route, status, first_day,
                sessions[-1].start.date() if ended else None, js(sorted({s.start.weekday() for s in sessions})),
                sessions[0].start.astimezone(p.site.zone).time(), "phq9" if baseline else "",
                baseline[2] if baseline else None, baseline[1] if baseline else None, p.site.protocol_version_id,
                p.staff(Role.FRONT_DESK).id, booked, "",
            ))  # fmt: skip
            shared_courses.append((course_id, p.id, sessions[-1].start.date(), status))
            if status == "completed" and ctx.chance(REPORT_SHARE):
                report_rows.append(_course_summary(ctx, p, course_id, template, sessions[-1].block_end))
    ctx.writer.write(TreatmentCourse, (
        "id", "patient", "template", "template_label", "route", "status", "start_date", "end_date", "weekdays",
        "local_time", "baseline_instrument", "baseline_total", "baseline_recorded_at", "protocol_version",
        "created_by", "created_at", "stopped_reason",
    ), course_rows)  # fmt: skip
    ctx.writer.write(ReportJob, REPORT_COLUMNS, report_rows)
    _sessions(ctx, planned)
    _appointments(ctx, batch, planned)
    batch.shared["treatment_sessions.sessions"] = [(s.id, s.patient.id, s.start, s.status, s.course_id)
                                                   for s in planned]  # fmt: skip
    batch.shared["treatment_sessions.courses"] = shared_courses


REPORT_COLUMNS = ("patient", "kind", "parameters", "subject", "request_key", "status", "error", "file_token", "file",
                  "size_bytes", "sha256", "protocol_version", "attempts", "requested_by", "created_at", "ready_at",
                  "updated_at")  # fmt: skip


def _course_summary(
    ctx: ScaleContext, p: ScalePatient, course_id: int, template: str, ended: dt.datetime
) -> tuple[Any, ...]:
    name, size, sha256 = ctx.state["treatment_sessions.report_file"]
    asked = ended + dt.timedelta(days=1)
    return (p.id, "course_summary", js({"course": course_id}), TEMPLATES[template].label,
            f"course_summary:course={course_id}", "ready", "", secrets.token_urlsafe(24), name, size, sha256, "",
            1, p.staff(Role.PRESCRIBER).id, asked, asked + dt.timedelta(seconds=5),
            asked + dt.timedelta(seconds=5))  # fmt: skip


def _sessions(ctx: ScaleContext, planned: list[Planned]) -> None:
    rows: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    for s, pk in zip(planned, ctx.writer.ids(DosingSession, len(planned)), strict=True):
        s.id = pk
        p, site = s.patient, s.patient.site
        version, nurse, prescriber = site.protocol_version_id, p.staff(Role.NURSE), p.staff(Role.PRESCRIBER)
        booked = s.start - dt.timedelta(days=5)
        rows[DosingSession].append((pk, s.course_id, p.id, s.chair_id, prescriber.id, s.route, None, s.start,
                                    s.block_end, s.status, version, p.staff(Role.FRONT_DESK).id, booked,
                                    booked))  # fmt: skip
        ctx.audit("sessions.dosingsession.create", booked, actor=p.staff(Role.FRONT_DESK), patient_id=p.id,
                  object_type="treatment_sessions.dosingsession", object_id=pk)  # fmt: skip
        path = PATHS[s.status]
        times = {"scheduled": booked, "checked_in": s.start - 10 * MINUTE, "dosing": s.start,
                 "monitoring": s.start + s.dosing_min * MINUTE, "discharged": s.block_end - 15 * MINUTE,
                 "cancelled": min(s.start - MINUTE * 60 * 24, ctx.now), "no_show": s.start + 30 * MINUTE,
                 "deferred": s.start}  # fmt: skip
        previous = ""
        for step in path:
            rows[SessionStatusChange].append((pk, previous, step, times[step], nurse.id, ""))
            previous = step
        channel = "sms" if p.id % 7 == 0 else "email"
        _reminder(ctx, rows, "dosing_session_48h", "treatment_sessions.dosingsession", pk, p.id, s.start, channel,
                  s.status == "cancelled")  # fmt: skip
        if "checked_in" in path:
            _session_day(ctx, rows, s, times)
        # About 3 in 10 of a portal user's open or cancelled sessions, and always the batch's first one (so that a
        # small seed has the table too).
        asked = ctx.chance(0.3) or not rows[AppointmentRequest]
        if p.portal_user_id is not None and s.status in {"cancelled", "scheduled"} and asked:
            _change_request(ctx, rows, s, booked)
    for model, model_rows in rows.items():
        ctx.writer.write(model, COLUMNS[model], model_rows)


def _change_request(ctx: ScaleContext, rows: dict[Any, list[tuple[Any, ...]]], s: Planned, booked: dt.datetime) -> None:
    """A patient's request from the portal: a cancelled session was cancelled at their request; a scheduled one
    has a request waiting in the front desk's queue."""
    p, asked = s.patient, booked + dt.timedelta(days=1)
    done = s.status == "cancelled"
    desk = p.staff(Role.FRONT_DESK).id if done else None
    kind, status, preferred = ("cancel", "confirmed", "") if done else ("reschedule", "open", "Any weekday morning")
    decided = asked + dt.timedelta(hours=3) if done else None
    rows[AppointmentRequest].append(
        (p.id, s.id, kind, "A family matter that day.", preferred, False, status, asked, p.portal_user_id, decided,
         desk, "")
    )  # fmt: skip


COLUMNS: dict[Any, tuple[str, ...]] = {
    AppointmentRequest: ("patient", "dosing_session", "kind", "reason", "preferred_times", "inside_notice", "status",
                         "created_at", "created_by", "decided_at", "decided_by", "decision_note"),
    DosingSession: ("id", "course", "patient", "chair", "supervising_clinician", "route", "planned_duration_min",
                    "start", "block_end", "status", "protocol_version", "booked_by", "created_at", "updated_at"),
    SessionStatusChange: ("session", "from_status", "to_status", "changed_at", "changed_by", "reason"),
    PreVisitCheckIn: ("session", "patient", "last_meal_at", "last_clear_drink_at", "escort_name", "escort_phone",
                      "medication_changed", "medication_changes", "submitted_at", "updated_at", "submitted_by"),
    CheckIn: ("session", "checked_in_at", "checked_in_by", "fasting_solids_hours", "fasting_clear_liquids_hours",
              "fasting", "fasting_reasons", "escort_confirmed", "escort_name", "escort_phone", "protocol_version"),
    VitalSign: ("id", "session", "recorded_at", "phase", "systolic", "diastolic", "heart_rate", "spo2",
                "respiratory_rate", "gate", "gate_reasons", "alerts", "recorded_by", "protocol_version",
                "created_at"),
    ReviewAcknowledgement: ("session", "vital_sign", "covers_fasting", "reviewed_reasons", "reason",
                            "acknowledged_by", "acknowledged_at"),
    DoseRecord: ("session", "protocol_version", "route", "inputs", "result", "dose_mg", "mg_per_kg",
                 "dosing_weight_kg", "weight_basis", "duration_min", "rate_mg_per_min", "pump_rate_ml_per_h",
                 "draw_volume_ml", "warnings", "requires_override", "override_reasons", "lot_number",
                 "administered_by", "started_at", "ended_at", "override_reason", "override_by", "stopped_early",
                 "stop_reason"),
    DissociationScore: ("session", "items", "total", "minutes_after_dosing_start", "recorded_by", "recorded_at",
                        "protocol_version"),
    AdverseEvent: ("session", "occurred_at", "kind", "severity", "action_taken", "notes", "recorded_by",
                   "created_at"),
    Discharge: ("session", "discharged_at", "discharged_by", "aldrete_items", "aldrete_total", "observation_min",
                "escort_confirmed", "escort_name", "instructions_given", "no_driving_acknowledged", "notes",
                "protocol_version"),
    RemsSubmission: ("session", "reference", "note", "form", "due_on", "submitted_at", "submitted_by",
                     "protocol_version"),
    IntegrationAppointment: ("id", "patient", "therapist", "dosing_session", "chair", "room", "start", "end",
                             "status", "booked_by", "created_at"),
    Reminder: ("delivery_key", "kind", "channel", "patient", "subject_type", "subject_id", "subject_starts_at",
               "occurrence", "due_at", "next_attempt_at", "status", "skip_reason", "attempts", "last_error",
               "handed_over_at", "provider_message_id", "sent_at", "created_at", "updated_at"),
}  # fmt: skip


def _vitals(
    ctx: ScaleContext, rows: dict[Any, list[tuple[Any, ...]]], s: Planned, at: dt.datetime, phase: str, v: Vitals
) -> int:
    pk = ctx.writer.ids(VitalSign, 1)[0]
    gate = GATES.get(v) if phase == "pre" else None
    rows[VitalSign].append((pk, s.id, at, phase, v.systolic, v.diastolic, v.heart_rate, v.spo2, v.respiratory_rate,
                            gate.decision if gate else "", js(list(gate.reasons)) if gate else "[]", "[]",
                            s.patient.staff(Role.NURSE).id, s.patient.site.protocol_version_id, at))  # fmt: skip
    return pk


def _session_day(
    ctx: ScaleContext, rows: dict[Any, list[tuple[Any, ...]]], s: Planned, times: dict[str, dt.datetime]
) -> None:
    """What was recorded in the chair, as far as the session got."""
    p, version = s.patient, s.patient.site.protocol_version_id
    nurse, prescriber = p.staff(Role.NURSE), p.staff(Role.PRESCRIBER)
    arrived = times["checked_in"]
    rows[CheckIn].append((s.id, arrived, nurse.id, Decimal(ctx.rng.randint(8, 14)), Decimal(ctx.rng.randint(2, 5)),
                          "ok", "[]", True, "Escort Testperson", "", version))  # fmt: skip
    ctx.audit("sessions.checkin.create", arrived, actor=nurse, patient_id=p.id,
              object_type="treatment_sessions.dosingsession", object_id=s.id)  # fmt: skip
    if p.portal_user_id is not None and ctx.chance(0.5):  # checked in from home that morning (the portal)
        home = s.start - 3 * MINUTE * 60
        meal, drink = s.start - 10 * MINUTE * 60, s.start - 150 * MINUTE
        rows[PreVisitCheckIn].append(
            (
                s.id,
                p.id,
                meal,
                drink,
                "Escort Testperson",
                "555-0100",
                False,
                ctx.sealed(""),
                home,
                home,
                p.portal_user_id,
            )
        )
    pre = DEFER if s.status == "deferred" else REVIEW if ctx.chance(0.03) else PRE
    reading = _vitals(ctx, rows, s, arrived + 5 * MINUTE, "pre", pre)
    if s.status in {"checked_in", "deferred"}:
        return
    if pre is REVIEW:
        rows[ReviewAcknowledgement].append((s.id, reading, False, js(list(GATES[REVIEW].reasons)),
                                            "Known controlled hypertension; proceeding with closer checks.",
                                            prescriber.id, arrived + 8 * MINUTE))  # fmt: skip
    ended = s.start + max(s.dosing_min, 5) * MINUTE
    request, result, *dose = _dose(s.route, p.weight_kg, p.height_cm, p.sex_at_birth)
    override = dose[-2]
    rows[DoseRecord].append((s.id, version, s.route, request, result, *dose, f"LOT-SCALE-{s.start.year}", nurse.id,
                             s.start, ended, "Reviewed: within the prescriber's plan." if override else "",
                             prescriber.id if override else None, False, ""))  # fmt: skip
    ctx.audit("sessions.doserecord.create", s.start, actor=nurse, patient_id=p.id,
              object_type="treatment_sessions.dosingsession", object_id=s.id)  # fmt: skip
    _vitals(ctx, rows, s, s.start + 20 * MINUTE, "during", DURING)
    if s.route == Route.ESKETAMINE:
        rows[DissociationScore].append((s.id, CADSS, 4, 40, nurse.id, s.start + 40 * MINUTE, version))
    if ctx.chance(0.05):
        rows[AdverseEvent].append((s.id, s.start + 25 * MINUTE, "nausea_vomiting", "mild",
                                   ctx.sealed("Ondansetron 4 mg given; settled within 15 minutes."), ctx.sealed(""),
                                   nurse.id,
                                   s.start + 25 * MINUTE))  # fmt: skip
    if s.status == "dosing":
        return
    _vitals(ctx, rows, s, ended + 15 * MINUTE, "post", AFTERWARDS)
    if s.status != "discharged":
        return
    left = times["discharged"]
    rows[Discharge].append((s.id, left, nurse.id, ALDRETE, 10, (left - ended) // MINUTE, True, "Escort Testperson",
                            True, True, "", version))  # fmt: skip
    ctx.audit("sessions.discharge.create", left, actor=nurse, patient_id=p.id,
              object_type="treatment_sessions.dosingsession", object_id=s.id)  # fmt: skip
    if s.route == Route.ESKETAMINE and left + dt.timedelta(days=2) < ctx.now:
        form = js({"dose_mg": str(dose[0]), "lot_number": f"LOT-SCALE-{s.start.year}", "bp_pre_dose": "122/78"})
        rows[RemsSubmission].append((s.id, f"REMS-TEST-{s.id}", "", form, s.start.date() + dt.timedelta(days=7),
                                     left + dt.timedelta(days=2), prescriber.id, version))  # fmt: skip


def _reminder(
    ctx: ScaleContext,
    rows: dict[Any, list[tuple[Any, ...]]],
    kind: str,
    subject_type: str,
    subject_id: int,
    patient_id: int,
    starts_at: dt.datetime,
    channel: str,
    cancelled: bool,
) -> None:
    hours = 48 if kind == "dosing_session_48h" else 24
    due = starts_at - dt.timedelta(hours=hours)
    key = uuid.uuid4()
    if cancelled:
        status, sent = "cancelled", None
    else:
        status, sent = ("sent", due + MINUTE) if due < ctx.now else ("pending", None)
    rows[Reminder].append((key, kind, channel, patient_id, subject_type, subject_id, starts_at, 1, due, due, status,
                           "", 1 if sent else 0, "", sent, f"<reminder-{key.hex}@clinic.invalid>" if sent else "",
                           sent, due - dt.timedelta(days=3), sent or due))  # fmt: skip


def _appointments(ctx: ScaleContext, batch: PatientBatch, planned: list[Planned]) -> None:
    """Integration sessions the day after the first, third and last dosing session of a course (after every one
    for the showcase patient), with the patient's therapist or another at the site."""
    rows: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    shared = []
    by_course: dict[int, list[Planned]] = defaultdict(list)
    for s in planned:
        by_course[s.course_id].append(s)
    for sessions in by_course.values():
        p = sessions[0].patient
        chosen = sessions if p.profile == "chart" else [sessions[i] for i in sorted({0, 2, len(sessions) - 1})
                                                        if i < len(sessions)]  # fmt: skip
        therapists = [m.id for m in p.site.staff[Role.THERAPIST]]
        for s in chosen:
            therapist, start = _slot(ctx, p.site, s.start.date() + dt.timedelta(days=1), "therapist", therapists,
                                     APPOINTMENT_SLOTS, p.id)  # fmt: skip
            end = start + 60 * MINUTE
            if start > ctx.now:
                status = "scheduled"
            elif s.status != "discharged":
                status = "cancelled"
            else:
                missed = p.profile != "chart" and ctx.chance(0.04)
                status = "no_show" if missed else "completed" if end <= ctx.now else "scheduled"
            pk = ctx.writer.ids(IntegrationAppointment, 1)[0]
            booked = s.start - dt.timedelta(days=4)
            rows[IntegrationAppointment].append((pk, p.id, therapist, s.id, None, "Integration room", start, end,
                                                 status, p.staff(Role.FRONT_DESK).id, booked))  # fmt: skip
            ctx.audit("sessions.integrationappointment.create", booked, actor=p.staff(Role.FRONT_DESK),
                      patient_id=p.id, object_type="treatment_sessions.integrationappointment",
                      object_id=pk)  # fmt: skip
            _reminder(ctx, rows, "integration_24h", "treatment_sessions.integrationappointment", pk, p.id, start,
                      "email", status == "cancelled")  # fmt: skip
            shared.append((pk, p.id, therapist, s.id, start, end, status))
    for model, model_rows in rows.items():
        ctx.writer.write(model, COLUMNS[model], model_rows)
    batch.shared["treatment_sessions.appointments"] = shared
