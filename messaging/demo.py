"""Demo data for `make run`: a conversation between the demo portal patient and their care team (a question, the
clinic's automatic reply, the nurse's answer, unread by the patient so the portal home shows the count)."""

from __future__ import annotations

from clinic.demo import DemoContext
from clinic.models import Role, User
from messaging import services
from messaging.models import Thread

SUBJECT = "Driving home after my session"
QUESTION = "Can I drive myself home after the next session, or does someone need to pick me up?"
ANSWER = "Someone needs to drive you home after every session. Please bring your escort; see you on Tuesday."


def seed(ctx: DemoContext) -> None:
    user = (
        User.objects.filter(role=Role.PATIENT, patient__site=ctx.site, is_active=True)
        .select_related("patient__site")
        .order_by("pk")
        .first()
    )
    if user is None or user.patient is None or Thread.objects.filter(patient=user.patient).exists():
        return
    sent = services.start_thread(by=user, patient=user.patient, subject=SUBJECT, body=QUESTION)
    nurse = ctx.staff["nurse"]
    services.open_thread(by=nurse, thread=sent.message.thread)
    services.send_message(by=nurse, thread=sent.message.thread, body=ANSWER)
