"""Services of integration therapy: the only code that changes notes, relapse-prevention plans and maintenance
evaluations. One module per concern; the functions interfaces call are re-exported here."""

from integration.services.maintenance import (
    EvaluationResult,
    OutcomeView,
    evaluate_relapse_watch,
    maintenance_evaluations_for,
    open_maintenance_evaluation,
    outcome_summary,
    resolve_maintenance_evaluation,
)
from integration.services.notes import (
    InvalidNote,
    NoteResult,
    add_addendum,
    create_note,
    get_note_for,
    notes_for,
    sign_note,
    update_note,
)
from integration.services.plans import current_relapse_plan, relapse_plan_revisions, revise_relapse_plan

__all__ = [
    "EvaluationResult",
    "InvalidNote",
    "NoteResult",
    "OutcomeView",
    "add_addendum",
    "create_note",
    "current_relapse_plan",
    "evaluate_relapse_watch",
    "get_note_for",
    "maintenance_evaluations_for",
    "notes_for",
    "open_maintenance_evaluation",
    "outcome_summary",
    "relapse_plan_revisions",
    "resolve_maintenance_evaluation",
    "revise_relapse_plan",
    "sign_note",
    "update_note",
]
