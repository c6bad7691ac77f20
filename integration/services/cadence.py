"""When the patient's next questionnaire is due by the cadence of clinical protocol §5 ("Cadence": before every dosing
session and at every integration session during a course; after it, weekly, then every 14 days). The rule is
integration.outcomes.next_due; this module gathers its facts (the latest course, its sessions and integration
appointments, the scores) and says whether the portal shows it yet. A read for the portal home and the API's
`GET /api/v1/me/`, which audit the page or answer they are part of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic.models import Patient, User
from clinic.services import current_protocol
from integration import sources
from integration.outcomes import Due, DueReason, Occasion, next_due

NOT_HELD = frozenset({"cancelled", "no_show"})

REASONS = {
    DueReason.SESSION: "before your session",
    DueReason.POST_COURSE_WEEKLY: "your weekly check-in after your treatment",
    DueReason.POST_COURSE_INTERVAL: "your check-in every two weeks after your treatment",
}


@dataclass(frozen=True)
class QuestionnaireDue:
    instrument: str
    """The protocol's baseline instrument (`outcomes.baseline_instrument`), e.g. "phq9"."""
    due: Due
    shown: bool
    """Whether the portal lists it already (`outcomes.portal_due_shown_hours_before` before it is due)."""
    overdue: bool

    @property
    def reason(self) -> str:
        return self.due.reason.value

    @property
    def reason_words(self) -> str:
        return REASONS[self.due.reason]


def _occasions(by: User, patient: Patient, course_id: int, ended_at: dt.datetime | None) -> list[Occasion]:
    """The course's dosing sessions and the integration sessions that belong to it (linked to one of its sessions,
    or held between its first session and its end), that took place or are still ahead."""
    sessions = [s for s in sources.dosing_sessions(by, patient) if s.course_id == course_id]
    occasions = [Occasion(s.start, s.end or s.start) for s in sessions]
    if not sessions:
        return occasions
    ids = {s.session_id for s in sessions}
    first = sessions[0].start
    for appointment in sources.appointments(by, patient):
        if appointment.status in NOT_HELD:
            continue
        during = appointment.start >= first and (ended_at is None or appointment.start <= ended_at)
        if appointment.dosing_session_id in ids or during:
            occasions.append(Occasion(appointment.start, appointment.end))
    return occasions


def questionnaire_due(by: User, patient: Patient, now: dt.datetime) -> QuestionnaireDue | None:
    """The next questionnaire due by the cadence, or None (no course, nothing ahead). `by` reads the sessions as
    any page does (the patient themselves in the portal)."""
    protocol = current_protocol(patient.site)
    rules = protocol.outcomes
    course = sources.latest_course(patient.pk, patient.site.time_zone)
    if course is None:
        return None
    occasions = _occasions(by, patient, course.course_id, course.ended_since)
    scored_at = [score.at for score in sources.scores(patient.pk, rules.baseline_instrument)]
    due = next_due(course=course, occasions=occasions, scored_at=scored_at, now=now, rules=rules)
    if due is None:
        return None
    shown = due.at - dt.timedelta(hours=rules.portal_due_shown_hours_before) <= now
    return QuestionnaireDue(rules.baseline_instrument, due, shown, due.overdue(now))
