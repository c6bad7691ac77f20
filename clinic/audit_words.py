"""Audit action codes (`app.object.verb`) in words, for the audit log in the admin and its CSV export.

Each code the application writes reads as a sentence fragment that follows the person's name ("Nia Nurse viewed
a dosing session in the admin"). A code without words of its own is put together from its verb and object, and
one that does not even look like a code is shown as it is: the log never hides an entry it cannot describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Whole codes whose words do not follow from the verb and the object.
PHRASES = {
    "clinic.access.denied": "was refused access to a record",
    "clinic.auditevent.export": "exported the audit log",
    "clinic.auditevent.list": "looked through the audit log",
    "clinic.encryption.rotate": "re-encrypted the stored notes with a new key",
    "clinic.careteam.add": "added someone to the care team",
    "clinic.careteam.remove": "removed someone from the care team",
    "clinic.careteam.update": "changed the primary contact on the care team",
    "clinic.patient.create": "registered the patient",
    "clinic.patient.update": "changed the patient's details",
    "clinic.patient.view": "viewed the patient's record",
    "clinic.patient.list": "listed patients",
    "clinic.user.login": "signed in",
    "clinic.user.logout": "signed out",
    "clinic.user.login_failed": "failed to sign in",
    "clinic.user.password_change": "changed a password",
    "clinic.apitoken.create": "created an API token",
    "clinic.apitoken.revoke": "revoked an API token",
    "clinic.backup.create": "made a backup",
    "clinic.backup.restore": "restored a backup",
    "clinic.breakglass.open": "opened a record in an emergency (break-glass)",
    "clinic.breakglass.end": "ended emergency access (break-glass)",
    "clinic.user.create": "created a user account",
    "clinic.invitation.send": "invited the patient to the portal",
    "clinic.invitation.deliver": "emailed a portal invitation",
    "clinic.invitation.open": "opened a portal invitation link",
    "clinic.invitation.accept": "set up their portal account from an invitation",
    "clinic.invitation.resend": "sent a new portal invitation link",
    "clinic.user.update": "changed a user account",
    "clinic.user.locked_out": "was locked out after failed sign-ins",
    "clinic.user.unlock": "lifted a sign-in lockout",
    "clinic.user.mfa_enrol": "set up two-step sign-in",
    "clinic.user.mfa_remove": "turned off two-step sign-in",
    "clinic.user.mfa_reset": "reset someone's two-step sign-in",
    "clinic.user.mfa_recovery_codes": "made new recovery codes",
    "clinic.user.mfa_recovery_code_used": "signed in with a recovery code",
    "clinic.user.session_end": "signed out a device",
    "clinic.user.sessions_end": "signed out of other devices",
    "clinic.notification.create": "sent a notification",
    "clinic.notification.open": "opened an alert from its email",
    "clinic.patient.reminder_preferences": "changed the patient's reminder preferences",
    "clinic.reminder.create": "scheduled a reminder",
    "clinic.reminder.reschedule": "moved a reminder",
    "clinic.reminder.cancel": "cancelled a reminder",
    "clinic.reminder.skip": "skipped a reminder",
    "clinic.reminder.defer": "held a reminder back",
    "clinic.reminder.send": "sent a reminder",
    "clinic.reminder.fail": "recorded a failed reminder",
    "clinic.reminder.retry": "asked for a reminder to be sent again",
    "clinic.reminder.list": "listed the patient's reminders",
    "clinic.reminder.failed_list": "looked through the failed reminders",
    "clinic.report.request": "asked for a PDF report",
    "clinic.report.ready": "finished a PDF report",
    "clinic.report.fail": "recorded a report that could not be made",
    "clinic.report.download": "downloaded a PDF report",
    "clinic.report.view": "looked at a PDF report's progress",
    "clinic.report.retry": "asked for a report to be made again",
    "clinic.report.failed_list": "looked through the reports that could not be made",
    "clinic.notification.acknowledge": "acknowledged an alert for the care team",
    "clinic.notification.read": "opened an alert",
    "clinic.notification.list": "looked through their alerts",
    "clinic.tasks.heartbeat": "ran the scheduled health check",
    "intake.clearance.view": "checked whether the patient is cleared for dosing",
    "intake.patient.view": "opened the patient's intake",
    "intake.screening.decide": "decided a screening",
    "intake.screening.override": "overrode a screening decision",
    "intake.screeningform.view": "opened the screening form",
    "intake.worklist.view": "opened the intake worklist",
    "intake.questionnairedraft.save": "saved the answers of a questionnaire in progress",
    "intake.questionnairedraft.view": "reopened a questionnaire in progress",
    "integration.note.addendum": "added an addendum to a note",
    "integration.outcomes.view": "viewed the patient's outcomes",
    "integration.relapseplan.revise": "revised the relapse-prevention plan",
    "intake.tasks.expire_screenings": "expired screenings past their validity",
    "portal.patient.view": "opened their portal",
    "portal.me.view": "read their own record through the API",
    "messaging.thread.create": "started a conversation with the care team",
    "messaging.thread.view": "opened a conversation",
    "messaging.thread.list": "listed the patient's conversations",
    "messaging.message.create": "sent a secure message",
    "messaging.message.read": "read a secure message",
    "sessions.checkin.escort": "confirmed the escort",
    "sessions.appointmentrequest.create": "asked to move or cancel a session",
    "sessions.appointmentrequest.confirm": "did what a patient asked (moved or cancelled a session)",
    "sessions.appointmentrequest.decline": "declined a patient's request to move or cancel a session",
    "sessions.appointmentrequest.list": "looked through the patients' requests to change sessions",
    "sessions.appointmentrequest.view": "opened a patient's request to change a session",
    "sessions.previsitcheckin.create": "checked in from home before a treatment",
    "sessions.previsitcheckin.update": "changed their check-in from home",
    "sessions.booking.view": "opened a booking page for the patient",
    "sessions.dosingsession.monitor": "watched a dosing session's readings",
    "sessions.remssubmission.due_list": "looked through the REMS forms due",
    "sessions.doserecord.end": "ended dosing",
    "sessions.doserecord.override": "overrode a dose limit",
    "sessions.treatmentcourse.baseline": "recorded the course's baseline score",
}

VERBS = {
    "view": "viewed",
    "list": "listed",
    "create": "recorded",
    "update": "changed",
    "add": "added",
    "remove": "removed",
    "delete": "deleted",
    "book": "booked",
    "reschedule": "rescheduled",
    "close": "closed",
    "use": "followed",
    "cancel": "cancelled",
    "defer": "deferred",
    "stop": "stopped",
    "complete": "completed",
    "activate": "activated",
    "override": "overrode",
    "export": "exported",
    "sign": "signed",
    "open": "opened",
    "resolve": "resolved",
    "revise": "revised",
    "calendar": "downloaded the calendar entry of",
}

# Objects whose model name does not read as words; everything else is the model name itself.
OBJECTS = {
    "adverseevent": "adverse event",
    "careteammember": "care team member",
    "checkin": "check-in",
    "dissociationscore": "dissociation score",
    "doserecord": "dose",
    "dosingsession": "dosing session",
    "healthquestionnaire": "health questionnaire",
    "integrationappointment": "integration appointment",
    "maintenanceevaluation": "maintenance evaluation",
    "relapseplan": "relapse-prevention plan",
    "integrationnote": "integration note",
    "medicalclearance": "medical clearance",
    "previsitcheckin": "pre-visit check-in",
    "appointmentrequest": "request to change an appointment",
    "portalinvitation": "portal invitation",
    "protocolversion": "protocol version",
    "remssubmission": "REMS form",
    "reviewacknowledgement": "review of readings",
    "safetytask": "safety task",
    "sessionstatuschange": "session status change",
    "treatmentcourse": "treatment course",
    "vitalsign": "vital sign",
    "questionnairedue": "questionnaire reminder",
    "questionnairelink": "questionnaire link",
    "auditevent": "audit entry",
}
PLURALS = {"vital sign": "vital signs", "dose": "doses", "check-in": "check-ins", "patient": "patients"}
SINGLE = frozenset({"consent"})  # "the consent": one per patient and version, not "a consent"

VIA = {"admin": " in the admin", "api": " through the API"}
APP_VIA = {"portal": " in the portal"}


def _object_words(name: str) -> str:
    return OBJECTS.get(name, name.replace("_", " "))


def _with_article(words: str) -> str:
    if words in SINGLE:
        return f"the {words}"
    return f"an {words}" if words[0] in "aeiou" else f"a {words}"


def _plural(words: str) -> str:
    return PLURALS.get(words, words if words.endswith("s") else f"{words}s")


def _composed(obj: str, verb: str, details: Mapping[str, Any]) -> str:
    words = _object_words(obj)
    if verb == "list":
        return f"listed {_plural(words)}"
    if verb == "status" and details.get("to"):
        return f"moved {_with_article(words)} to {str(details['to']).replace('_', ' ')}"
    if verb == "status":
        return f"changed the status of {_with_article(words)}"
    if verb in VERBS:
        return f"{VERBS[verb]} {_with_article(words)}"
    return f"{verb.replace('_', ' ')}: {obj}"


def describe(action: str, details: Mapping[str, Any] | None = None) -> str:
    """`action` as a sentence fragment, e.g. "viewed a dosing session in the admin"."""
    details = details or {}
    parts = action.split(".")
    if len(parts) != 3 or not all(parts):
        return action
    app, obj, verb = parts
    app = "sessions" if app == "treatment_sessions" else app
    phrase = PHRASES.get(f"{app}.{obj}.{verb}") or _composed(obj, verb, details)
    return phrase + VIA.get(str(details.get("via", "")), APP_VIA.get(app, ""))
