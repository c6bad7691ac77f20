"""Messaging's part of `seed_scale` (clinic/scale.py): for patients with a portal account, a conversation with their
care team (the patient's question, the clinic's automatic reply, the nurse's answer) with its read receipts, and now
and then a message with crisis words and its alert."""

from __future__ import annotations

import datetime as dt

from clinic.models import Notification, NotificationKind, NotificationSeverity, Role
from clinic.scale import PatientBatch, ScaleContext, js
from messaging.models import Message, MessageRead, Thread
from messaging.services import AUTOMATIC_REPLY

AFTER: tuple[str, ...] = ()
SHARE = 0.5
FLAGGED_SHARE = 0.02
QUESTION = "Can I drive myself home after the next session, or does someone need to pick me up?"
CRISIS = "I have been feeling like I want to die again this week."
ANSWER = "Someone needs to drive you home after every session. Please bring your escort; we can talk on Tuesday."


def seed_batch(ctx: ScaleContext, batch: PatientBatch) -> None:
    portal_users: dict[int, int] = batch.shared.get("clinic.portal_users", {})
    chosen = [p for n, p in enumerate(batch.patients) if p.id in portal_users and (n == 0 or ctx.chance(SHARE))]
    if not chosen:
        return
    thread_ids = iter(ctx.writer.ids(Thread, len(chosen)))
    message_ids = iter(ctx.writer.ids(Message, 3 * len(chosen)))
    threads, messages, reads, alerts = [], [], [], []
    for p in chosen:
        user, nurse = portal_users[p.id], p.staff(Role.NURSE)
        at = max(p.registered_at + dt.timedelta(days=3), ctx.now - dt.timedelta(days=30))
        flagged = ctx.chance(FLAGGED_SHARE)
        thread = next(thread_ids)
        threads.append((thread, p.id, "A question about my next session", user, at, at + dt.timedelta(hours=4)))
        asked, auto, answered = next(message_ids), next(message_ids), next(message_ids)
        words = ["want to die"] if flagged else []
        body = CRISIS if flagged else QUESTION
        messages += [
            (asked, thread, user, True, False, ctx.sealed(body), at, js(words)),
            (auto, thread, None, False, True, ctx.sealed(AUTOMATIC_REPLY), at, js([])),
            (answered, thread, nurse.id, False, False, ctx.sealed(ANSWER), at + dt.timedelta(hours=4), js([])),
        ]
        reads += [
            (asked, nurse.id, at + dt.timedelta(hours=3)),
            (auto, user, at),
            (answered, user, at + dt.timedelta(hours=5)),
        ]
        for message, actor in ((asked, None), (auto, None), (answered, nurse)):
            ctx.audit("messaging.message.create", at, actor=actor, patient_id=p.id, object_type="messaging.message",
                      object_id=message)  # fmt: skip
        if flagged:
            alerts.append((nurse.id, p.id, NotificationKind.SAFETY_ALERT, NotificationSeverity.CRITICAL,
                           "Safety alert: a secure message mentions want to die", "", "",
                           f"messaging.message.{asked}.crisis", at))  # fmt: skip
    ctx.writer.write(Thread, ("id", "patient", "subject", "started_by", "created_at", "last_message_at"), threads)
    ctx.writer.write(
        Message, ("id", "thread", "author", "from_patient", "automatic", "body", "sent_at", "crisis_words"), messages
    )
    ctx.writer.write(MessageRead, ("message", "reader", "read_at"), reads)
    ctx.writer.write(
        Notification,
        ("recipient", "patient", "kind", "severity", "title", "body", "link", "dedupe_key", "created_at"),
        alerts,
    )
