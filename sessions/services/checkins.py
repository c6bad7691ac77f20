"""The patient's pre-visit check-in (docs/clinical-protocol.md §10): on the day of a dosing session, from the portal,
the patient says when they last ate and drank, who takes them home, and whether their medicines changed. The nurse's
check-in at the chair starts from it (`nurse_check_in_initial`); the nurse still confirms every fact
(sessions.services.lifecycle.check_in decides fasting and escort, as before).

The check-in opens `portal.check_in_opens_hours_before` before the session (sessions.preparation.check_in_open) and
closes when the session starts or the nurse checks the patient in; until then the patient may correct it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.domain import require, text
from clinic.errors import Conflict, InvalidInput
from clinic.models import NotificationKind, User
from clinic.notifications import notify_care_team
from clinic.services import current_protocol
from sessions.models import DosingSession, PreVisitCheckIn, SessionStatus
from sessions.preparation import check_in_open
from sessions.services.base import lock_session


@dataclass(frozen=True)
class PreVisitAnswers:
    last_meal_at: dt.datetime
    last_clear_drink_at: dt.datetime
    escort_name: str
    escort_phone: str = ""
    medication_changed: bool = False
    medication_changes: str = ""


def is_own_session(user: User, session: DosingSession) -> bool:
    return bool(user.is_active and user.is_patient_user and user.patient_id == session.patient_id)


def pre_visit_open(session: DosingSession, now: dt.datetime | None = None) -> bool:
    """May the patient check in for `session` now (or correct their check-in)?"""
    if session.status != SessionStatus.SCHEDULED:
        return False
    return check_in_open(session.start, now or timezone.now(), current_protocol(session.chair.site))


def pre_visit_of(session: DosingSession) -> PreVisitCheckIn | None:
    return PreVisitCheckIn.objects.filter(session=session).first()


def _check(answers: PreVisitAnswers, now: dt.datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if answers.last_meal_at > now:
        errors["last_meal_at"] = "This time has not come yet. Give the time you last ate."
    if answers.last_clear_drink_at > now:
        errors["last_clear_drink_at"] = "This time has not come yet. Give the time you last had a drink."
    if not text(answers.escort_name):
        errors["escort_name"] = "Tell us who will take you home. You may not drive after your treatment."
    if answers.medication_changed and not text(answers.medication_changes):
        errors["medication_changes"] = "Tell us which medicine changed, and how (started, stopped, new dose)."
    return errors


def record_pre_visit_check_in(*, by: User, session: DosingSession, answers: PreVisitAnswers) -> PreVisitCheckIn:
    """Record (or correct) the patient's own check-in for their session. Refused (409 `check_in_closed`) outside the
    window, and (400) with the reason beside each field for a time still to come, no escort, or a medicine change
    without words."""
    require(is_own_session(by, session), "Only the patient checks in for their own session here.")
    now = timezone.now()
    errors = _check(answers, now)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        session = lock_session(session)
        if not pre_visit_open(session, now):
            raise Conflict(
                "Check-in from home is open on the day of your treatment, until it starts. At the clinic, the nurse "
                "will check you in.",
                code="check_in_closed",
            )
        fields = {
            "last_meal_at": answers.last_meal_at,
            "last_clear_drink_at": answers.last_clear_drink_at,
            "escort_name": text(answers.escort_name),
            "escort_phone": text(answers.escort_phone),
            "medication_changed": answers.medication_changed,
            "medication_changes": text(answers.medication_changes) if answers.medication_changed else "",
            "updated_at": now,
        }
        record, created = PreVisitCheckIn.objects.update_or_create(
            session=session,
            defaults=fields,
            create_defaults={**fields, "patient_id": session.patient_id, "submitted_at": now, "submitted_by": by},
        )
        if answers.medication_changed:
            # The prescriber decides before dosing whether a new medicine matters (clinical protocol §1 and §4).
            notify_care_team(
                session.patient,
                kind=NotificationKind.INFO,
                title="Medicine change reported before today's treatment",
                body=text(answers.medication_changes),
                link=reverse("staff:sessions:session", args=[session.pk]),
                # One alert per change reported: the same answers sent again alert no one twice, a new change does.
                dedupe_key=f"sessions-previsit-medication-{session.pk}-{_fingerprint(answers.medication_changes)}",
            )
        audit.record(
            "sessions.previsitcheckin.create" if created else "sessions.previsitcheckin.update",
            patient=session.patient_id,
            obj=record,
            actor=by,
            details={
                "session": session.pk,
                "last_meal_at": answers.last_meal_at,
                "last_clear_drink_at": answers.last_clear_drink_at,
                "escort": bool(fields["escort_name"]),
                "medication_changed": answers.medication_changed,
            },
        )
    return record


def _fingerprint(changes: str) -> str:
    """The reported change as a short key, the same for the same words whatever the case and spacing."""
    return hashlib.sha256(" ".join(text(changes).lower().split()).encode()).hexdigest()[:16]


def _hours_since(moment: dt.datetime, now: dt.datetime) -> Decimal:
    """Whole quarter hours from `moment` to `now`, rounded down (never more fasting than there was)."""
    hours = Decimal((now - moment).total_seconds()) / Decimal(3600)
    return max(Decimal(0), (hours * 4).quantize(Decimal(1), rounding=ROUND_DOWN) / 4)


def nurse_check_in_initial(session: DosingSession, now: dt.datetime | None = None) -> dict[str, object]:
    """What the nurse's check-in form starts from: the fasting hours until now and the escort, from the patient's
    pre-visit check-in (empty without one). Not the escort's confirmation: the nurse confirms it in person."""
    record = pre_visit_of(session)
    if record is None:
        return {}
    now = now or timezone.now()
    return {
        "fasting_solids_hours": _hours_since(record.last_meal_at, now),
        "fasting_clear_liquids_hours": _hours_since(record.last_clear_drink_at, now),
        "escort_name": record.escort_name,
        "escort_phone": record.escort_phone,
    }
