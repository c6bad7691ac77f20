"""Status changes of clinical records, one way for every app (in the spirit of django-oscar's `Order.set_status`).

A model with a workflow derives from `StatusWorkflow` and names its transition table; its services then move it
with `record.set_status(new, by=..., reason=...)`, which refuses a step the table does not allow (Conflict
`invalid_transition`), saves the status, adds a row to the model's status history if it keeps one, and writes the
audit entry `<app>.<model>.status` with `{"from", "to", "reason"}`. Views and templates ask `may_become(new)` to
offer exactly the steps the service will accept.

    class Screening(StatusWorkflow):
        status = models.CharField(choices=ScreeningStatus.choices, ...)
        transitions = SCREENING_TRANSITIONS
        status_action = "intake.screening.status"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from django.utils import timezone

from clinic import audit
from clinic.errors import Conflict

if TYPE_CHECKING:
    from clinic.models import User


class StatusWorkflow(models.Model):
    """A record of one patient with a `status` whose changes follow `transitions`.

    - `transitions`: for each status, the statuses it may become (a closed status maps to the empty set);
    - `status_action`: the audit action of a change, `<app>.<model>.status`;
    - `status_history`: the related name of the model's status-change rows (fields `from_status`, `to_status`,
      `changed_at`, `changed_by`, `reason`), or "" when the audit entry is the record of the change;
    - `status_noun`: how a refusal names the record ("The session is ...").
    """

    transitions: ClassVar[Mapping[str, frozenset[str]]] = {}
    status_action: ClassVar[str] = ""
    status_history: ClassVar[str] = ""
    status_noun: ClassVar[str] = ""

    status: str
    patient_id: int

    class Meta:
        abstract = True

    def may_become(self, new: str) -> bool:
        """Whether the workflow allows the step from the current status to `new` (what set_status accepts)."""
        return new in self.transitions.get(self.status, frozenset())

    def check_transition(self, new: str) -> None:
        """Conflict `invalid_transition` unless the current status may become `new`."""
        if self.may_become(new):
            return
        old = self.status
        noun = self.status_noun or str(self._meta.verbose_name)
        following = sorted(self.transitions.get(old, frozenset()))
        if following:
            message = (
                f"The {noun} is {self._status_label(old)}; it cannot become {self._status_label(new)} now "
                f"(next: {', '.join(self._status_label(s) for s in following)})."
            )
        else:
            message = f"The {noun} is {self._status_label(old)} and cannot change any more."
        raise Conflict(message, code="invalid_transition", details={"status": old, "requested": new})

    def set_status(self, new: str, *, by: User | None, reason: str = "", at: dt.datetime | None = None) -> None:
        """Move this record to `new`: validated, saved, kept in the status history and audited.

        Call inside `transaction.atomic()` with the row locked (clinic.domain.locked); `by` None is the system.
        """
        self.check_transition(new)
        old = self.status
        self.status = new
        changed = ["status", *self._auto_now_fields()]
        self.save(update_fields=changed)
        if self.status_history:
            history: Any = getattr(self, self.status_history)
            history.create(
                from_status=old, to_status=new, changed_at=at or timezone.now(), changed_by=by, reason=reason
            )
        audit.record(
            self.status_action,
            patient=self.patient_id,
            obj=self,
            actor=by,
            details={"from": old, "to": new, "reason": reason},
        )

    def _status_label(self, value: str) -> str:
        labels = dict(getattr(self._meta.get_field("status"), "flatchoices", ()))
        return str(labels.get(value, value)).lower()

    def _auto_now_fields(self) -> list[str]:
        return [f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)]
