"""What the sessions service modules share: locking a session, auditing one step of it, the statuses in which each
step is allowed, and the input conversions every step needs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from clinic import audit
from clinic.domain import locked
from clinic.errors import InvalidInput
from clinic.models import User
from clinic.protocol import Protocol, Route
from intake.instruments import AnswerError, score
from sessions.dosing import ROUTE_LABELS
from sessions.models import DosingSession, SessionStatus, VitalPhase

MINUTE = dt.timedelta(minutes=1)
# The reading a vital sign is in each status (before, during or after dosing); vitals are recorded only then.
PHASE_BY_STATUS = {
    SessionStatus.CHECKED_IN: VitalPhase.PRE,
    SessionStatus.DOSING: VitalPhase.DURING,
    SessionStatus.MONITORING: VitalPhase.POST,
}
IN_PROGRESS_STATUSES = (SessionStatus.CHECKED_IN, SessionStatus.DOSING, SessionStatus.MONITORING)
ADVERSE_EVENT_STATUSES = (*IN_PROGRESS_STATUSES, SessionStatus.DISCHARGED)
DISSOCIATION_STATUSES = (SessionStatus.DOSING, SessionStatus.MONITORING)


def lock_session(session: DosingSession) -> DosingSession:
    """The session's row, locked, with its patient, site, chair and course loaded (their rows stay unlocked)."""
    related = DosingSession.objects.select_related("patient__site", "chair__site", "course")
    return locked(related).get(pk=session.pk)


def audit_step(action: str, session: DosingSession, obj: Any, by: User | None, **details: Any) -> None:
    """Audit one step of a session's life: the record made, who, and the session it belongs to."""
    audit.record(action, patient=session.patient_id, obj=obj, actor=by, details={"session": session.pk, **details})


def plain(value: Any) -> Any:
    """JSON for a record: Decimals as exact strings, tuples as lists, enums as their values."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def route_of(value: str | None, field: str = "route") -> Route:
    try:
        return Route(value or "")
    except ValueError:
        known = ", ".join(f"the {label}" for label in ROUTE_LABELS.values())
        raise InvalidInput({field: f"Choose the route: {known}."}) from None


def instrument_total(
    instrument: str, answers: Any, protocol: Protocol, field: str, *, name_the_item: bool = False
) -> int:
    """The instrument's total (intake.instruments); bad answers are InvalidInput on `field`, or with `name_the_item`
    on the item itself (`items[3]` for the fourth)."""
    try:
        total = score(instrument, list(answers), protocol.instruments).total
    except AnswerError as exc:
        raise InvalidInput({exc.item.replace("answers", field, 1) if name_the_item else field: exc.message}) from None
    except TypeError as exc:
        raise InvalidInput({field: str(exc)}) from None
    assert total is not None  # noqa: S101 - a numeric instrument always has a total
    return total
