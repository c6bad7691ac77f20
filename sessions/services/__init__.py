"""Dosing-session services: the only code that books, runs and closes dosing sessions, courses and integration
appointments. Callers import this package (`from sessions import services`); each concern is one module:

- availability: who and what is busy when (overlaps of both tables), the spacing rules, the clearance a booking needs;
- booking: one dosing session booked, cancelled, or marked a no-show;
- courses: a whole course booked from a protocol template, stopped, activated by its first dose, completed;
- lifecycle: check-in (and its corrections), vital signs, a prescriber's review, end of dosing (an early stop),
  deferral, discharge and what it still needs;
- dose: the dose calculated for the dose panel, what starting dosing still needs, and dosing started;
- observations: adverse events and CADSS-6 dissociation ratings;
- rems: the esketamine REMS Patient Monitoring Form;
- integration: integration-therapy appointments on the same calendar;
- checkins: the patient's pre-visit check-in from the portal, from which the nurse's check-in form starts (import
  `sessions.services.checkins`);
- requests: patients' requests to move or cancel a session and the front desk's answer (import
  `sessions.services.requests`);
- base: what those modules share (locking a session, auditing a step, the statuses each step needs).
Who may do what is sessions/permissions.py; the reads behind the screens are sessions/queries.py.

Each service checks the actor's role, opens a transaction, locks what it changes, applies the pure rules
(sessions/dosing.py, sessions/monitoring.py, sessions/scheduling.py) with the site's active protocol version (stored
on every record a decision made), writes the audit entry and returns. Refusals are domain errors with a human
message: NotAllowed (403), InvalidInput (400, per field) or Conflict (409, with a stable code):

- booking: not_cleared, chair_conflict, patient_conflict, interval_too_short, weekly_limit (therapist_conflict for
  integration appointments);
- the session's life: invalid_transition for a step out of order; at the start of dosing vitals_required,
  gate_defer, review_unacknowledged, no_escort, dose_override_required; at discharge aldrete_too_low,
  observation_too_short, no_escort.

Double bookings: bookings of one patient are serialized by a lock on the Patient row (so the 48 h interval and the
rolling-7-day limit cannot both pass for two concurrent bookings); a chair shared by several patients is guarded by
the PostgreSQL exclusion constraints of sessions.models, whose violation becomes chair_conflict / patient_conflict.
On SQLite every write transaction holds the database's write lock from its start, and the overlap queries give the
same answers.

Why integration appointments live here, and integration therapy does not: an integration appointment takes the
same patient's time and often the same chair as a dosing session, so booking either one must check both tables
(dosing sessions and integration appointments) under one patient lock; split across two apps, each app would have
to read the other's tables inside its own lock. What happens in and after an integration session (therapy notes,
relapse-prevention plans, outcome measures) belongs to the integration app: its models refer to dosing sessions and
appointments by id, with string foreign keys (`models.ForeignKey("treatment_sessions.IntegrationAppointment", ...)`)
so that it never imports sessions' models, and it books or reads appointments through these services and
sessions.queries.
"""

from clinic.domain import local_day, site_zone
from sessions.services.availability import Problem, patient_starts_around, rolling_week_limit, spacing_violations
from sessions.services.base import (
    ADVERSE_EVENT_STATUSES,
    DISSOCIATION_STATUSES,
    IN_PROGRESS_STATUSES,
    PHASE_BY_STATUS,
)
from sessions.services.booking import (
    Booking,
    book_dosing_session,
    cancel_session,
    mark_no_show,
    reschedule_dosing_session,
)
from sessions.services.courses import book_course, complete_course, stop_course
from sessions.services.dose import (
    INPUT_NAMES,
    calculate,
    input_sentence,
    preview_dose,
    start_checklist_for,
    start_dosing,
)
from sessions.services.integration import (
    IntegrationBooking,
    book_integration_appointment,
    cancel_integration_appointment,
    complete_integration_appointment,
)
from sessions.services.lifecycle import (
    CHECK_IN_FACTS,
    CheckInCorrection,
    PendingReview,
    acknowledge_review,
    check_in,
    check_in_correctable,
    correct_check_in,
    defer_session,
    discharge_checklist_for,
    discharge_session,
    end_dosing,
    latest_pre_dose_reading,
    pending_review,
    record_vitals,
)
from sessions.services.observations import record_adverse_event, record_dissociation
from sessions.services.rems import (
    alert_rems_deadlines,
    not_esketamine,
    rems_form_body,
    rems_form_of,
    rems_record,
    rems_status_of,
    rems_submission_of,
    require_esketamine,
    submit_rems_form,
)

__all__ = [
    "ADVERSE_EVENT_STATUSES",
    "CHECK_IN_FACTS",
    "DISSOCIATION_STATUSES",
    "INPUT_NAMES",
    "IN_PROGRESS_STATUSES",
    "PHASE_BY_STATUS",
    "Booking",
    "CheckInCorrection",
    "IntegrationBooking",
    "PendingReview",
    "Problem",
    "acknowledge_review",
    "alert_rems_deadlines",
    "book_course",
    "book_dosing_session",
    "book_integration_appointment",
    "calculate",
    "cancel_integration_appointment",
    "cancel_session",
    "check_in",
    "check_in_correctable",
    "complete_course",
    "complete_integration_appointment",
    "correct_check_in",
    "defer_session",
    "discharge_checklist_for",
    "discharge_session",
    "end_dosing",
    "input_sentence",
    "latest_pre_dose_reading",
    "local_day",
    "mark_no_show",
    "not_esketamine",
    "patient_starts_around",
    "pending_review",
    "preview_dose",
    "record_adverse_event",
    "record_dissociation",
    "record_vitals",
    "rems_form_body",
    "rems_form_of",
    "rems_record",
    "rems_status_of",
    "rems_submission_of",
    "require_esketamine",
    "reschedule_dosing_session",
    "rolling_week_limit",
    "site_zone",
    "spacing_violations",
    "start_checklist_for",
    "start_dosing",
    "stop_course",
    "submit_rems_form",
]
