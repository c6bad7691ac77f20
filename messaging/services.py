"""Secure messages (clinical protocol §10): the only code that starts threads, sends messages and records who read
them. Every message written and every message read is audited (`messaging.message.create`, `messaging.message.read`);
each new thread gets the clinic's automatic reply (not watched around the clock, 988, emergency services); a message
with one of the protocol's crisis words is flagged to the care team at once, as a critical safety alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from clinic import audit
from clinic.domain import locked, require
from clinic.errors import InvalidInput
from clinic.models import NotificationKind, NotificationSeverity, Patient, User
from clinic.notifications import notify_care_team
from clinic.scoping import patients_visible_to
from clinic.services import current_protocol
from messaging.models import Message, MessageRead, Thread
from messaging.permissions import can_message_as_staff, can_use_thread, is_own_patient
from messaging.rules import crisis_words_in, message_problem

SUBJECT_MAX_CHARS = Thread._meta.get_field("subject").max_length or 120
AUTOMATIC_REPLY = (
    "Thank you for your message. Your care team reads messages during clinic hours; messages are not watched around "
    "the clock. If you are in crisis or thinking about harming yourself, call or text 988 (Suicide & Crisis "
    "Lifeline) at any time, or call 911 or go to the nearest emergency department."
)
NOT_ALLOWED = "Only the patient and their clinicians can use these messages."


@dataclass(frozen=True)
class Sent:
    message: Message
    flagged: tuple[str, ...]
    """The crisis words found: the care team was alerted and the sender is shown the crisis resources."""
    automatic_reply: Message | None = None


@dataclass(frozen=True)
class ThreadRow:
    thread: Thread
    messages: int
    unread: int


def _checked_body(body: str, patient: Patient, field: str = "body") -> str:
    problem = message_problem(body, current_protocol(patient.site).messaging.message_max_chars)
    if problem:
        raise InvalidInput({field: problem})
    return body.strip()


def _write(thread: Thread, *, by: User, body: str, automatic: bool = False) -> Message:
    patient = thread.patient
    words = () if automatic else crisis_words_in(body, current_protocol(patient.site).messaging.crisis_words)
    message = Message.objects.create(
        thread=thread,
        author=None if automatic else by,
        from_patient=not automatic and is_own_patient(by, patient),
        automatic=automatic,
        body=body,
        crisis_words=list(words),
    )
    thread.last_message_at = message.sent_at
    thread.save(update_fields=["last_message_at"])
    audit.record(
        "messaging.message.create",
        patient=patient,
        obj=message,
        actor=by,
        details={"thread": thread.pk, "automatic": automatic, "chars": len(body), "crisis_words": list(words)},
    )
    if words:
        notify_care_team(
            patient,
            kind=NotificationKind.SAFETY_ALERT,
            severity=NotificationSeverity.CRITICAL,
            title=f"Safety alert ({patient.mrn}): a secure message mentions {', '.join(words)}",
            body="Read the message today, contact the patient and document the safety evaluation.",
            link=reverse("staff:messaging:thread", args=[patient.pk, thread.pk]),
            dedupe_key=f"messaging.message.{message.pk}.crisis",
        )
    return message


def start_thread(*, by: User, patient: Patient, subject: str, body: str) -> Sent:
    """A patient writes to their care team; the clinic's automatic reply follows at once."""
    require(is_own_patient(by, patient), "Only the patient can start a conversation with their care team.")
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput({"subject": "Give your message a subject."})
    if len(subject) > SUBJECT_MAX_CHARS:
        raise InvalidInput({"subject": f"A subject can be at most {SUBJECT_MAX_CHARS} characters long."})
    body = _checked_body(body, patient)
    with transaction.atomic():
        thread = Thread.objects.create(patient=patient, subject=subject, started_by=by)
        audit.record("messaging.thread.create", patient=patient, obj=thread, actor=by, details={"subject": subject})
        message = _write(thread, by=by, body=body)
        reply = _write(thread, by=by, body=AUTOMATIC_REPLY, automatic=True)
    return Sent(message, tuple(message.crisis_words), reply)


def send_message(*, by: User, thread: Thread, body: str) -> Sent:
    """A message in an existing thread, from the patient or one of their clinicians."""
    require(can_use_thread(by, thread.patient), NOT_ALLOWED)
    body = _checked_body(body, thread.patient)
    with transaction.atomic():
        thread = locked(Thread.objects.select_related("patient__site")).get(pk=thread.pk)
        message = _write(thread, by=by, body=body)
    return Sent(message, tuple(message.crisis_words))


def open_thread(*, by: User, thread: Thread, shown: Collection[int] | None = None) -> list[Message]:
    """The thread's messages, oldest first; those the reader had not read yet get their read receipt, each audited
    (`messaging.message.read`), and the opening itself is audited (`messaging.thread.view`). With `shown` (ids),
    only those messages were put in front of the reader (a page of a list): only they get a receipt."""
    require(can_use_thread(by, thread.patient), NOT_ALLOWED)
    patient = thread.patient
    with transaction.atomic():
        messages = list(thread.messages.select_related("author").prefetch_related("reads__reader"))
        already = set(MessageRead.objects.filter(message__thread=thread, reader=by).values_list("message", flat=True))
        for message in messages:
            if message.pk in already or message.author_id == by.pk:  # one's own message is no read receipt
                continue
            if shown is not None and message.pk not in shown:  # not on the reader's screen: not read
                continue
            MessageRead.objects.get_or_create(message=message, reader=by)
            audit.record(
                "messaging.message.read", patient=patient, obj=message, actor=by, details={"thread": thread.pk}
            )
        audit.record(
            "messaging.thread.view", patient=patient, obj=thread, actor=by, details={"messages": len(messages)}
        )
    return list(thread.messages.select_related("author").prefetch_related("reads__reader"))


def _unread_for(user: User) -> Q:
    return ~Q(Exists(MessageRead.objects.filter(message=OuterRef("pk"), reader=user)))


def threads_of(by: User, patient: Patient) -> list[ThreadRow]:
    """The patient's threads, newest first, with how many messages each holds and how many `by` has not read
    (audited `messaging.thread.list`)."""
    require(can_use_thread(by, patient), NOT_ALLOWED)
    threads = Thread.objects.filter(patient=patient).select_related("patient").annotate(total=Count("messages"))
    rows = [ThreadRow(thread, thread.total, unread_in(by, thread)) for thread in threads]
    audit.record("messaging.thread.list", patient=patient, actor=by, details={"threads": len(rows)})
    return rows


def _incoming(by: User, patient: Patient) -> Q:
    """Messages meant for `by`: for the patient, their care team's and the automatic ones; for staff, the patient's."""
    return Q(from_patient=False) if is_own_patient(by, patient) else Q(from_patient=True)


def unread_in(by: User, thread: Thread) -> int:
    return thread.messages.filter(_incoming(by, thread.patient)).filter(_unread_for(by)).count()


def unread_for_patient(by: User, patient: Patient) -> int:
    """How many messages from the care team the patient has not opened (the portal home's count)."""
    if not is_own_patient(by, patient):
        return 0
    return Message.objects.filter(thread__patient=patient, from_patient=False).filter(_unread_for(by)).count()


def staff_unread(user: User) -> QuerySet[Message]:
    """Patients' messages the clinician has not read, of the patients whose care team they are on (or of a patient
    without a care team yet, at their sites): the staff home's list. Scoped through clinic.scoping."""
    if not can_message_as_staff(user):
        return Message.objects.none()
    mine = patients_visible_to(user).filter(Q(care_team__user=user) | Q(care_team__isnull=True)).values("pk")
    return (
        Message.objects.filter(from_patient=True, thread__patient__in=mine)
        .filter(_unread_for(user))
        .select_related("thread__patient")
    )


@dataclass
class UnreadThread:
    thread: Thread
    unread: int
    latest: dt.datetime
    flagged: bool


def staff_unread_threads(user: User) -> list[UnreadThread]:
    """The threads with patient messages the clinician has not read, newest first, for the staff home."""
    rows: dict[int, UnreadThread] = {}
    for message in staff_unread(user).order_by("-sent_at"):
        row = rows.setdefault(message.thread_id, UnreadThread(message.thread, 0, message.sent_at, False))
        row.unread += 1
        row.flagged = row.flagged or message.flagged
    return list(rows.values())


def thread_for(by: User, patient: Patient, thread_pk: int) -> Thread:
    """The patient's thread `thread_pk` (Thread.DoesNotExist for another patient's: the page answers 404)."""
    require(can_use_thread(by, patient), NOT_ALLOWED)
    return Thread.objects.select_related("patient__site").get(pk=thread_pk, patient=patient)
