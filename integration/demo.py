"""Demo records of integration therapy (IntegrationConfig.seed_demo, after intake and sessions), so that `make run`
shows the demo therapist with notes to read and a draft to sign, and a patient with a relapse-prevention plan, a
progress chart and a maintenance evaluation waiting for the prescriber.

One demo patient gets a whole course in the past, recorded through the services at the times it happened: intake,
a standard induction of six IV infusions with their questionnaires, an integration session after each with its note
(EMDR on one target until it is complete, then IFS with parts, then ART, whose note is still a draft), the course
completed, scores after it that rise again (the relapse watch opens an evaluation once the seeding commits), and two
revisions of the plan. The services read "now" from django.utils.timezone.now, so the clock is moved for the
seeding (`_clock`); seed_demo refuses to run in production. The patient gets a portal login (`patient4`).

Synthetic and obviously fake; a patient who already has notes is left alone, so seeding twice creates nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

from django.apps import apps
from django.utils import timezone

from clinic import audit
from clinic import services as clinic_services
from clinic.demo import DEMO_PASSWORD, DemoContext
from clinic.domain import site_zone
from clinic.models import CareTeamMember, Chair, Patient, Role, User
from intake import services as intake_services
from integration import services
from integration.models import IntegrationNote
from sessions import services as session_services

PORTAL_USERNAME = "patient4"
COURSE_DAYS_AGO = 60
PHQ9_BEFORE_SESSIONS = (16, 14, 12, 10, 8, 6)
GAD7_BEFORE_SESSIONS = (12, 11, 9, 8, 6, 5)
# (days ago, PHQ-9, GAD-7 or None) after the course: the lowest is 4, the latest 6 above it (clinical protocol §5).
AFTER_COURSE = ((35, 4, 4), (28, 5, None), (21, 6, 5), (14, 7, None), (7, 8, 6), (2, 10, 7))
TARGET = "A fictional car accident on a rainy road"
EMDR_SESSIONS: tuple[dict[str, Any], ...] = (
    {"phase": "assessment", "voc": 2, "sud_before": 8, "sud_after": 7, "bilateral_sets": 6, "body_scan_clear": False},
    {
        "phase": "desensitisation",
        "voc": 4,
        "sud_before": 7,
        "sud_after": 3,
        "bilateral_sets": 18,
        "body_scan_clear": False,
    },
    {"phase": "body_scan", "voc": 7, "sud_before": 2, "sud_after": 0, "bilateral_sets": 12, "body_scan_clear": True},
)
CRITIC = {"name": "The Critic", "type": "manager", "body_location": "shoulders", "fears": "that mistakes are punished"}
IFS_SESSIONS: tuple[dict[str, Any], ...] = (
    {
        "parts": [
            CRITIC,
            {"name": "The Numb One", "type": "firefighter", "body_location": "stomach", "fears": "being overwhelmed"},
        ],
        "feel_toward": "Curious, a little wary",
        "self_energy": ["curious", "calm"],
        "permission_granted": False,
        "unburdening_steps": [],
        "updated_roles": "",
    },
    {
        "parts": [
            CRITIC,
            {"name": "Little One", "type": "exile", "body_location": "throat", "fears": "being left alone"},
        ],
        "feel_toward": "Compassion",
        "self_energy": ["curious", "calm", "compassionate"],
        "permission_granted": True,
        "unburdening_steps": ["witness", "retrieve"],
        "updated_roles": "The Critic may rest while Self listens.",
    },
)
ART_SESSION = {
    "scene": "A fictional house with an empty hallway",
    "scene_private": False,
    "sud_before": 6,
    "sud_after": 1,
    "sensations": ["tight throat", "heavy arms"],
    "image_replacement_completed": True,
    "eye_movement_sets": 10,
}
PLAN = {
    "warning_signs": ["Sleeping badly for three nights or more", "Cancelling plans with friends"],
    "coping_strategies": ["A walk around the block", "The breathing exercise from our sessions"],
    "distractions": ["The public library", "Calling a fictional cousin, Robin"],
    "people_to_ask": ["Robin (cousin), 555-0123", "A fictional neighbour, Sam"],
    "professionals": ["The clinic, 555-0100"],
    "safe_environment": ["Ask Robin to keep the spare medication"],
}


class _Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.now = at

    def __call__(self) -> dt.datetime:
        return self.now


@contextmanager
def _clock(at: dt.datetime) -> Iterator[_Clock]:
    """Run the services at `at` (move it with `clock.now = ...`): they stamp their records with timezone.now()."""
    clock = _Clock(at)
    with mock.patch.object(timezone, "now", clock):
        yield clock


def _answers(total: int, items: int) -> list[int]:
    """`items` answers of 0-3 adding up to `total`, the last (PHQ-9 item 9, self-harm) kept at 0."""
    answers = [0] * items
    for index in range(items - 1):
        answers[index] = min(3, total - sum(answers))
    return answers


def _questionnaires(patient: Patient, nurse: User, at: dt.datetime, phq9: int, gad7: int | None) -> None:
    record = intake_services.record_assessment
    record(by=nurse, patient=patient, instrument="phq9", answers=_answers(phq9, 9), administered_at=at)
    if gad7 is not None:
        record(by=nurse, patient=patient, instrument="gad7", answers=_answers(gad7, 7), administered_at=at)


def _the_patient(ctx: DemoContext) -> Patient | None:
    """The first demo patient the other apps left untouched (stage `new`, no portal login yet)."""
    portal = set(User.objects.filter(role=Role.PATIENT).values_list("patient_id", flat=True))
    return next((p for p, stage in ctx.patients if stage == "new" and p.pk not in portal), None)


def _dose_and_discharge(clock: _Clock, staff: dict[str, User], session: Any, number: int) -> None:
    nurse = staff["nurse"]
    session_services.check_in(
        by=nurse,
        session=session,
        fasting_solids_hours=Decimal("9"),
        fasting_clear_liquids_hours=Decimal("3"),
        escort_confirmed=True,
        escort_name="Robin Testperson",
    )
    session_services.record_vitals(by=nurse, session=session, systolic=124, diastolic=78, heart_rate=70, spo2=98)
    session_services.start_dosing(by=nurse, session=session, lot_number=f"DEMO-LOT-{number:03d}")
    clock.now += dt.timedelta(minutes=10)
    session_services.record_vitals(by=nurse, session=session, systolic=138, diastolic=86, heart_rate=82, spo2=97)
    if number == 2:
        session_services.record_adverse_event(
            by=nurse,
            session=session,
            kind="nausea_vomiting",
            severity="mild",
            action_taken="Ondansetron 4 mg by mouth; settled within 15 minutes.",
        )
    clock.now += dt.timedelta(minutes=30)
    session_services.record_dissociation(
        by=nurse, session=session, items=[2, 1, 1, 2, 1, 0] if number < 4 else [1, 1, 0, 1, 0, 0]
    )
    session_services.end_dosing(by=nurse, session=session)
    clock.now += dt.timedelta(minutes=35)
    session_services.discharge_session(
        by=nurse,
        session=session,
        aldrete=[2, 2, 2, 2, 2],
        escort_confirmed=True,
        escort_name="Robin Testperson",
        instructions_given=True,
        no_driving_acknowledged=True,
    )


def _structured(number: int) -> tuple[str, dict[str, Any]]:
    if number <= len(EMDR_SESSIONS):
        fields = {
            "target": TARGET,
            "worst_image": "Headlights through the rain",
            "negative_cognition": "I am in danger",
            "positive_cognition": "It is over; I am safe now",
            "emotions": ["fear"],
            "body_location": "chest",
            **EMDR_SESSIONS[number - 1],
        }
        return "emdr", fields
    if number <= len(EMDR_SESSIONS) + len(IFS_SESSIONS):
        return "ifs", IFS_SESSIONS[number - len(EMDR_SESSIONS) - 1]
    return "art", ART_SESSION


def _integration_session(
    clock: _Clock, staff: dict[str, User], patient: Patient, session: Any, number: int, tz: dt.tzinfo
) -> IntegrationNote:
    next_day = session.start.astimezone(tz).date() + dt.timedelta(days=1)
    start = dt.datetime.combine(next_day, dt.time(10), tzinfo=tz)
    appointment = session_services.book_integration_appointment(
        by=staff["frontdesk"],
        patient=patient,
        therapist=staff["therapist"],
        start=start,
        duration_min=60,
        dosing_session=session,
        room="Integration room",
    ).appointment
    clock.now = start + dt.timedelta(minutes=65)
    modality, fields = _structured(number)
    data = {
        "modality": modality,
        "appointment": appointment.pk,
        "duration_min": 60,
        "narrative": f"Synthetic demo narrative of integration session {number}: what came up after the infusion, "
        "and how the patient made sense of it.",
        "plan": "Continue next session; practise the grounding exercise daily.",
        modality: fields,
    }
    return services.create_note(by=staff["therapist"], patient=patient, data=data).note


def _course(clock: _Clock, ctx: DemoContext, patient: Patient, chair: Chair, first: dt.datetime) -> Sequence[Any]:
    tz = site_zone(patient.site)
    course = session_services.book_course(
        by=ctx.staff["frontdesk"],
        patient=patient,
        template="standard_induction",
        start_date=first.date(),
        weekdays=[first.weekday(), (first.weekday() + 3) % 7],
        local_time=first.time(),
        chair=chair,
        supervising_clinician=ctx.staff["prescriber"],
    )
    notes = []
    for number, session in enumerate(course.sessions.order_by("start"), start=1):
        clock.now = session.start - dt.timedelta(minutes=45)
        _questionnaires(
            patient, ctx.staff["nurse"], clock.now, PHQ9_BEFORE_SESSIONS[number - 1], GAD7_BEFORE_SESSIONS[number - 1]
        )
        clock.now = session.start
        _dose_and_discharge(clock, ctx.staff, session, number)
        notes.append(_integration_session(clock, ctx.staff, patient, session, number, tz))
        if number < 6:
            services.sign_note(by=ctx.staff["therapist"], note=notes[-1])  # the last one stays a draft to sign
        if number == 5:
            services.revise_relapse_plan(
                by=ctx.staff["therapist"],
                patient=patient,
                data={**PLAN, "maintenance_criteria": services.plan_defaults(patient)["maintenance_criteria"]},
            )
    return notes


def _portal_login(ctx: DemoContext, patient: Patient) -> None:
    if not User.objects.filter(username=PORTAL_USERNAME, patient=patient).exists():
        user = User(
            username=PORTAL_USERNAME,
            role=Role.PATIENT,
            patient=patient,
            first_name=patient.given_name,
            last_name=patient.family_name,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        audit.record("clinic.user.create", obj=user, patient=patient, details={"via": "seed_demo"})
    ctx.logins.append((PORTAL_USERNAME, DEMO_PASSWORD, f"patient portal ({patient.full_name}: plan and progress)"))


def seed(ctx: DemoContext) -> None:
    seeded = Patient.objects.filter(user__username=PORTAL_USERNAME).first()
    if seeded is not None:  # seeded before
        _portal_login(ctx, seeded)
        return
    patient = _the_patient(ctx)
    chair = Chair.objects.filter(site=ctx.site, is_active=True).order_by("name").first()
    if patient is None or chair is None or IntegrationNote.objects.filter(patient=patient).exists():
        return
    if not CareTeamMember.objects.filter(patient=patient, user=ctx.staff["therapist"]).exists():
        clinic_services.add_care_team_member(by=None, patient=patient, member=ctx.staff["therapist"])
    tz = site_zone(patient.site)
    today = timezone.now().astimezone(tz).date()
    first = dt.datetime.combine(today - dt.timedelta(days=COURSE_DAYS_AGO), dt.time(9), tzinfo=tz)
    with _clock(first - dt.timedelta(days=3)) as clock:
        apps.get_app_config("intake").seed_demo(DemoContext(ctx.site, ctx.staff, [(patient, "cleared")]))  # type: ignore[attr-defined]
        _course(clock, ctx, patient, chair, first)
        for days_ago, phq9, gad7 in AFTER_COURSE:
            clock.now = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(18), tzinfo=tz)
            _questionnaires(patient, ctx.staff["nurse"], clock.now, phq9, gad7)
            if days_ago == 21:
                services.revise_relapse_plan(
                    by=ctx.staff["prescriber"],
                    patient=patient,
                    data={
                        **PLAN,
                        "warning_signs": [*PLAN["warning_signs"], "Losing interest in cooking"],
                        "maintenance_criteria": services.plan_defaults(patient)["maintenance_criteria"],
                    },
                )
    _portal_login(ctx, patient)
