"""Services of integration therapy: the only code that changes notes, relapse-prevention plans and maintenance
evaluations. One module per concern; the functions interfaces call are re-exported here."""

from integration.services.cadence import QuestionnaireDue, questionnaire_due
from integration.services.maintenance import (
    EvaluationResult,
    evaluate_relapse_watch,
    get_evaluation_for,
    maintenance_evaluations_for,
    open_maintenance_evaluation,
    resolve_maintenance_evaluation,
)
from integration.services.notes import (
    InvalidNote,
    NoteResult,
    add_addendum,
    create_note,
    drafts_of,
    get_note_for,
    notes_for,
    previous_note,
    readable_notes,
    sign_note,
    update_note,
)
from integration.services.outcomes import OutcomeChart, OutcomeView, outcome_summary
from integration.services.plans import (
    current_relapse_plan,
    plan_defaults,
    relapse_plan_revisions,
    revise_relapse_plan,
)
from integration.services.timeline import AppointmentEntry, SessionEntry, Timeline, timeline
from integration.services.worklist import CaseloadRow, caseload, open_evaluations_for_care_team

__all__ = [
    "AppointmentEntry",
    "CaseloadRow",
    "EvaluationResult",
    "InvalidNote",
    "NoteResult",
    "OutcomeChart",
    "OutcomeView",
    "QuestionnaireDue",
    "SessionEntry",
    "Timeline",
    "add_addendum",
    "caseload",
    "create_note",
    "current_relapse_plan",
    "drafts_of",
    "evaluate_relapse_watch",
    "get_evaluation_for",
    "get_note_for",
    "maintenance_evaluations_for",
    "notes_for",
    "open_evaluations_for_care_team",
    "open_maintenance_evaluation",
    "outcome_summary",
    "plan_defaults",
    "previous_note",
    "questionnaire_due",
    "readable_notes",
    "relapse_plan_revisions",
    "resolve_maintenance_evaluation",
    "revise_relapse_plan",
    "sign_note",
    "timeline",
    "update_note",
]
