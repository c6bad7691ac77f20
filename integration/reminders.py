"""Questionnaire reminders (clinical protocol §5 "Cadence" and §8): the questionnaire the cadence asks of a patient is
announced when it is due (`questionnaire_due`), then nudged up to `reminders.questionnaire_nudges` times, every
`reminders.questionnaire_nudge_every_hours` (`questionnaire_nudge`), until it is answered. Each message carries a
one-time link that lands the signed-in patient on the questionnaire.

- **What is due** comes from the pure rule `integration.outcomes.next_due` over the patient's latest course, its
  occasions and their scores (integration/sources.py). `plan_questionnaires` (the beat task
  `integration.tasks.plan_questionnaire_reminders`) keeps one `QuestionnaireDue` open per patient for it: it opens
  one when its announcement time has come (`reminders.questionnaire_hours_before_session` before a session of the
  course; on its day after the course), closes one that is no longer due (the session passed unanswered, or was
  cancelled), and schedules the reminders about it (subject `integration.questionnairedue`).
- **Answered**: a recorded assessment on the instrument (clinic.events.on_assessment_recorded, from the portal, a
  staff page or the API) closes the open one and cancels its nudges (`questionnaire_answered`).
- **The link** is signed (django.core.signing, salted) and holds the questionnaire's id and a nonce: it works for
  `reminders.questionnaire_link_valid_hours`, for the patient it was sent to, once (`QuestionnaireLinkUse`, unique
  by nonce). A new one is made for every message, so a later nudge carries a fresh link.

Opting out of non-clinical messages stops the nudges, not the announcement (a questionnaire is part of the care).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.domain import lock_patient
from clinic.models import Patient, User
from clinic.reminders import registry
from clinic.reminders import services as reminders
from clinic.services import current_protocol
from integration import sources
from integration.models import QuestionnaireDue, QuestionnaireLinkUse
from integration.outcomes import DueReason, next_due

SUBJECT = "integration.questionnairedue"
DUE_KIND = "questionnaire_due"
NUDGE_KIND = "questionnaire_nudge"
LINK_SALT = "integration.questionnaire-link"


# --- The one-time link ------------------------------------------------------------------------------------------


def make_link(questionnaire: QuestionnaireDue) -> str:
    """A new one-time link to the questionnaire (absolute: it goes out by email or text message)."""
    token = signing.dumps({"q": questionnaire.pk, "n": secrets.token_urlsafe(9)}, salt=LINK_SALT, compress=True)
    return settings.CLINIC_BASE_URL + reverse("portal:questionnaire_link", args=[token])


LinkProblem = Literal["invalid", "expired", "used", "answered"]


@dataclass(frozen=True)
class LinkResult:
    """Where a followed link leads: the instrument to open, or why it does not work."""

    instrument: str = ""
    problem: LinkProblem | None = None


def use_link(*, by: User, token: str, now: dt.datetime | None = None) -> LinkResult:
    """Follow a questionnaire link as the signed-in patient `by`: valid, theirs, not expired, not used before (it is
    used now), and the questionnaire still open. A link for another patient reads as invalid (it says nothing
    about them)."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=None)
    except signing.BadSignature:
        return LinkResult(problem="invalid")
    if not isinstance(data, dict) or not isinstance(data.get("q"), int) or not isinstance(data.get("n"), str):
        return LinkResult(problem="invalid")
    questionnaire = QuestionnaireDue.objects.select_related("patient__site").filter(pk=data["q"]).first()
    if questionnaire is None or not by.is_patient_user or questionnaire.patient_id != by.patient_id:
        if questionnaire is not None:
            audit.note_refused(questionnaire.patient_id)  # the refusal's audit entry names whose link it was
        return LinkResult(problem="invalid")
    hours = current_protocol(questionnaire.patient.site).reminders.questionnaire_link_valid_hours
    try:
        signing.loads(token, salt=LINK_SALT, max_age=dt.timedelta(hours=hours))
    except signing.SignatureExpired:
        return LinkResult(problem="expired")
    with transaction.atomic():
        try:
            with transaction.atomic():
                QuestionnaireLinkUse.objects.create(nonce=data["n"], questionnaire=questionnaire, used_at=now)
        except IntegrityError:
            return LinkResult(problem="used")
        audit.record(
            "integration.questionnairelink.use",
            patient=questionnaire.patient,
            obj=questionnaire,
            actor=by,
            details={"instrument": questionnaire.instrument, "open": questionnaire.is_open},
        )
    if not questionnaire.is_open:
        return LinkResult(instrument=questionnaire.instrument, problem="answered")
    return LinkResult(instrument=questionnaire.instrument)


# --- The kinds ----------------------------------------------------------------------------------------------------


def questionnaire_context(subject_id: int) -> Mapping[str, Any] | None:
    """What a questionnaire message says: a fresh one-time link; None once the questionnaire is closed."""
    questionnaire = QuestionnaireDue.objects.select_related("patient__site").filter(pk=subject_id).first()
    if questionnaire is None or not questionnaire.is_open:
        return None
    site = questionnaire.patient.site
    return {"link": make_link(questionnaire), "site_name": site.name, "site_phone": site.phone}


SAMPLE = {
    "link": "http://localhost:8000/portal/questionnaires/link/eyJxIjoxLCJuIjoiYWJjIn0:1v2x3y:abcdefghij/",
    "site_name": "North Test Site",
    "site_phone": "555-0100",
}


def register() -> None:
    registry.register(registry.ReminderKind(
        name=DUE_KIND, label="Questionnaire due", audience="patient", clinical=True, subject_type=SUBJECT,
        email_template="reminders/questionnaire-due", sms_template="sms/questionnaire-due.txt",
        build_context=questionnaire_context, sample_context=SAMPLE,
    ))  # fmt: skip
    registry.register(registry.ReminderKind(
        name=NUDGE_KIND, label="Questionnaire still waiting", audience="patient", clinical=False,
        subject_type=SUBJECT, email_template="reminders/questionnaire-nudge",
        sms_template="sms/questionnaire-nudge.txt", build_context=questionnaire_context, sample_context=SAMPLE,
    ))  # fmt: skip


# --- Planning by the cadence ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    opened: int = 0
    closed: int = 0


def _announce_at(due_at: dt.datetime, reason: DueReason, hours_before_session: int) -> dt.datetime:
    return due_at - dt.timedelta(hours=hours_before_session) if reason == DueReason.SESSION else due_at


def _close(questionnaire: QuestionnaireDue, now: dt.datetime, *, why: str, assessment_id: int | None = None) -> None:
    questionnaire.closed_at = now
    questionnaire.assessment_id = assessment_id
    questionnaire.save(update_fields=["closed_at", "assessment"])
    reminders.cancel_for_subject(subject_type=SUBJECT, subject_id=questionnaire.pk)
    audit.record(
        "integration.questionnairedue.close",
        patient=questionnaire.patient_id,
        obj=questionnaire,
        details={"why": why, "instrument": questionnaire.instrument, "due_at": questionnaire.due_at},
    )


def _schedule(questionnaire: QuestionnaireDue, announce_at: dt.datetime, nudges: int, every_hours: int) -> None:
    patient = questionnaire.patient
    reminders.schedule_reminder(kind=DUE_KIND, subject_id=questionnaire.pk, patient=patient, due_at=announce_at)
    for number in range(1, nudges + 1):
        reminders.schedule_reminder(
            kind=NUDGE_KIND,
            subject_id=questionnaire.pk,
            patient=patient,
            due_at=announce_at + dt.timedelta(hours=every_hours * number),
            occurrence=number,
        )


def plan_for_patient(patient_id: int, now: dt.datetime | None = None) -> Planned:
    """Bring the patient's open questionnaire in line with the cadence (safe to run any number of times)."""
    now = now or timezone.now()
    opened = closed = 0
    with transaction.atomic():
        patient: Patient = lock_patient(Patient(pk=patient_id))
        protocol = current_protocol(patient.site)
        instrument = protocol.outcomes.baseline_instrument
        course = sources.latest_course(patient.pk, patient.site.time_zone)
        due = next_due(
            course=course,
            occasions=sources.course_occasions(course.course_id) if course else [],
            scored_at=[score.at for score in sources.scores(patient.pk, instrument)],
            now=now,
            rules=protocol.outcomes,
        )
        current = QuestionnaireDue.objects.filter(patient=patient, closed_at__isnull=True).first()
        if current is not None and (due is None or current.due_at != due.at or current.instrument != instrument):
            _close(current, now, why="no longer due")
            closed, current = 1, None
        timing = protocol.reminders
        if due is None or current is not None:
            return Planned(opened, closed)
        announce_at = _announce_at(due.at, due.reason, timing.questionnaire_hours_before_session)
        if announce_at > now:
            return Planned(opened, closed)
        if QuestionnaireDue.objects.filter(patient=patient, instrument=instrument, due_at=due.at).exists():
            return Planned(opened, closed)  # this due time was asked once already
        questionnaire = QuestionnaireDue.objects.create(
            patient=patient,
            instrument=instrument,
            due_at=due.at,
            reason=due.reason.value,
            course_id=course.course_id if course else None,
        )
        audit.record(
            "integration.questionnairedue.open",
            patient=patient,
            obj=questionnaire,
            details={"instrument": instrument, "due_at": due.at, "reason": due.reason.value},
        )
        _schedule(
            questionnaire,
            max(announce_at, now),
            timing.questionnaire_nudges,
            timing.questionnaire_nudge_every_hours,
        )
    return Planned(opened + 1, closed)


def plan_questionnaires(now: dt.datetime | None = None) -> Planned:
    """Plan every patient with a course (the beat task); returns how many questionnaires opened and closed."""
    opened = closed = 0
    for patient_id in sources.patients_with_courses():
        result = plan_for_patient(patient_id, now)
        opened, closed = opened + result.opened, closed + result.closed
    return Planned(opened, closed)


def questionnaire_answered(*, patient_id: int, assessment_id: int, instrument: str) -> bool:
    """An assessment was recorded: close the patient's open questionnaire on that instrument and cancel its nudges,
    then plan the next. Returns whether one was closed."""
    with transaction.atomic():
        lock_patient(Patient(pk=patient_id))
        current = QuestionnaireDue.objects.filter(
            patient_id=patient_id, instrument=instrument, closed_at__isnull=True
        ).first()
        if current is not None:
            _close(current, timezone.now(), why="answered", assessment_id=assessment_id)
    plan_for_patient(patient_id)
    return current is not None
