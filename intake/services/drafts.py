"""Questionnaires in progress in the portal: the answers given so far, saved as the patient answers (so that closing
the tab loses nothing) and restored when they come back; the crisis response as soon as a risk answer appears
(clinical protocol §5), not only when the questionnaire is sent. `record_assessment` deletes the draft it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import audit
from clinic.domain import lock_patient, require
from clinic.errors import InvalidInput
from clinic.models import NotificationKind, NotificationSeverity, Patient, User
from clinic.notifications import notify_care_team
from clinic.services import current_protocol
from intake.instruments import CSSRS_QUESTIONS, Instrument, risk_flags_so_far
from intake.models import QuestionnaireDraft
from intake.permissions import can_enter_assessments, may_enter_for

Answered = dict[str, int | bool]


@dataclass(frozen=True)
class DraftSaved:
    draft: QuestionnaireDraft
    risk: bool
    """The answers so far raise a safety flag: the page shows the crisis resources at once."""
    alerted: bool
    """This save alerted the care team (the first time a risk answer appeared in this draft)."""


def _checked(instrument: Instrument, answered: Answered, patient: Patient) -> Answered:
    """The answers, each in range; an unknown question or a value out of range is refused naming it."""
    checked: Answered = {}
    if instrument is Instrument.CSSRS_SCREEN:
        for key, value in answered.items():
            if key not in CSSRS_QUESTIONS:
                raise InvalidInput({f"answers.{key}": "There is no such question."})
            if not isinstance(value, bool):
                raise InvalidInput({f"answers.{key}": "Answer yes or no."})
            checked[key] = value
        return checked
    scale = getattr(current_protocol(patient.site).instruments, instrument.value)
    for key, value in answered.items():
        if not key.isdigit() or not 1 <= int(key) <= scale.items:
            raise InvalidInput({f"answers.{key}": "There is no such question."})
        if isinstance(value, bool) or not isinstance(value, int) or not scale.item_min <= value <= scale.item_max:
            raise InvalidInput({f"answers.{key}": f"Choose an answer from {scale.item_min} to {scale.item_max}."})
        checked[key] = value
    return checked


def save_questionnaire_draft(*, by: User, patient: Patient, instrument: str, answered: Answered) -> DraftSaved:
    """Keep the answers given so far (`answered`: one-based item numbers as text, or the C-SSRS question codes, as
    intake.instruments.risk_flags_so_far reads them). The first save whose answers raise a safety flag alerts the
    care team at once (critical, as a sent questionnaire does); later saves of the same draft do not alert again."""
    require(can_enter_assessments(by), "Your role may not enter questionnaires.")
    require(may_enter_for(by, patient), "Patients can only fill in their own questionnaires.")
    try:
        chosen = Instrument(instrument)
    except ValueError:
        raise InvalidInput({"instrument": "There is no such questionnaire."}) from None
    answered = _checked(chosen, answered, patient)
    now = timezone.now()
    with transaction.atomic():
        patient = lock_patient(patient)
        protocol = current_protocol(patient.site)
        draft, _ = QuestionnaireDraft.objects.get_or_create(patient=patient, instrument=chosen.value)
        flags = list(risk_flags_so_far(chosen, answered, protocol.instruments))
        alert = bool(flags) and draft.alerted_at is None
        draft.answers, draft.risk_flags = answered, flags
        if alert:
            draft.alerted_at = now
        draft.save()
        audit.record(
            "intake.questionnairedraft.save",
            patient=patient,
            obj=draft,
            actor=by,
            details={"instrument": chosen.value, "answered": len(answered), "flags": flags, "alerted": alert},
        )
        if alert:
            notify_care_team(
                patient,
                kind=NotificationKind.SAFETY_ALERT,
                severity=NotificationSeverity.CRITICAL,
                title=f"Safety alert ({patient.mrn}): a risk answer in a {chosen.label} the patient has not sent yet",
                body="The patient gave a risk answer while filling in a questionnaire in the portal and was shown "
                "the crisis resources. Contact the patient today and document the safety evaluation.",
                link=reverse("staff:intake", args=[patient.pk]),
                dedupe_key=f"intake.questionnairedraft.{draft.pk}.{int(now.timestamp())}.safety",
            )
    return DraftSaved(draft, bool(flags), alert)


def questionnaire_draft(*, by: User, patient: Patient, instrument: str) -> QuestionnaireDraft | None:
    """The patient's questionnaire in progress, to pick up where they left off (audited when there is one)."""
    require(may_enter_for(by, patient), "Patients can only fill in their own questionnaires.")
    draft = QuestionnaireDraft.objects.filter(patient=patient, instrument=instrument).first()
    if draft is not None:
        audit.record(
            "intake.questionnairedraft.view",
            patient=patient,
            obj=draft,
            actor=by,
            details={"instrument": instrument, "answered": len(draft.answers)},
        )
    return draft


def drafts_in_progress(patient: Patient) -> set[str]:
    """The instruments the patient has started and not sent (for "continue where you left off" links)."""
    return set(QuestionnaireDraft.objects.filter(patient=patient).values_list("instrument", flat=True))
