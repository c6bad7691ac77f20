"""Alerts as the staff pages show them: each with its acknowledgement form, and the staff home's list. What is
shown and decided is clinic/notifications.py; the views are clinic/notification_views.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clinic import audit, notifications
from clinic.forms import AcknowledgeForm
from clinic.http import AuthedRequest
from clinic.models import Notification, Site


@dataclass(frozen=True)
class AlertRow:
    """One alert as the pages show it, with its acknowledgement form (bound after a refusal)."""

    notification: Notification
    form: AcknowledgeForm
    acknowledged: str
    site: Site | None  # whose clock its times read on

    @classmethod
    def of(cls, notification: Notification, bound: AcknowledgeForm | None = None) -> AlertRow:
        prefix = f"ack{notification.pk}"
        if bound is not None and bound.prefix == prefix:
            form = bound
        else:
            form = AcknowledgeForm(prefix=prefix, note_required=notifications.note_required(notification))
        done = notifications.acknowledged_words(notification) if notification.acknowledged_at else ""
        site = notification.patient.site if notification.patient is not None else None
        return cls(notification, form, done, site)


def alert_rows(rows: Iterable[Notification], bound: AcknowledgeForm | None = None) -> list[AlertRow]:
    return [AlertRow.of(n, bound) for n in rows]


def home_alerts(request: AuthedRequest, limit: int = 10) -> dict[str, Any]:
    """The staff home's alerts: those needing action, highest severity first (audited when any are shown)."""
    mine = notifications.notifications_for(request.user)
    rows = list(notifications.needing_action(mine)[: limit + 1])
    if rows:
        audit.record("clinic.notification.list", details={"via": "home", "count": len(rows[:limit])})
    return {"alerts": alert_rows(rows[:limit]), "more_alerts": len(rows) > limit, "back": request.get_full_path()}
