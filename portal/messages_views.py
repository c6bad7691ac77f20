"""The patient's secure messages with their care team (messaging/services.py): their conversations, a new one, and
one conversation with the reply form. The patient is always the signed-in user's own record; a thread of another
patient answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinic.http import AuthedRequest
from clinic.scoping import note_refused
from clinic.services import current_protocol
from messaging import services
from messaging.forms import NewThreadForm, ReplyForm
from messaging.models import Thread
from portal.views import PortalFormView, PortalView


def _limit(view: PortalView) -> int:
    return current_protocol(view.get_patient().site).messaging.message_max_chars


class MessagesView(PortalFormView[NewThreadForm]):
    """The list of conversations and the form to start one."""

    template_name = "portal/messages/list.html"
    success_message = "Your message is sent to your care team."
    request: AuthedRequest

    def get_form(self, data: Any = None) -> NewThreadForm:
        return NewThreadForm(data, max_chars=_limit(self))

    def show_form(self, form: NewThreadForm, *, status: int = 200) -> HttpResponse:
        patient = self.get_patient()
        context = {"patient": patient, "rows": services.threads_of(self.request.user, patient), "form": form}
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: NewThreadForm) -> services.Sent:
        data = form.cleaned_data
        return services.start_thread(
            by=self.request.user, patient=self.get_patient(), subject=data["subject"], body=data["body"]
        )

    def success_url(self, result: services.Sent) -> str:
        return reverse("portal:message_thread", args=[result.message.thread_id])


class ThreadView(PortalFormView[ReplyForm]):
    """One conversation, oldest message first, and the reply form; crisis resources at once after a message that
    used crisis words."""

    template_name = "portal/messages/thread.html"
    success_message = "Your message is sent to your care team."
    request: AuthedRequest

    def get_thread(self) -> Thread:
        if not hasattr(self, "_thread"):
            try:
                self._thread = services.thread_for(self.request.user, self.get_patient(), self.kwargs["pk"])
            except Thread.DoesNotExist:
                note_refused(Thread, self.kwargs["pk"])  # another patient's thread: the refusal names them
                raise Http404("No such conversation.") from None
        return self._thread

    def get_form(self, data: Any = None) -> ReplyForm:
        return ReplyForm(data, max_chars=_limit(self))

    def show_form(self, form: ReplyForm, *, status: int = 200) -> HttpResponse:
        thread = self.get_thread()
        messages = services.open_thread(by=self.request.user, thread=thread)
        mine = [m for m in messages if m.from_patient]
        context = {
            "patient": self.get_patient(),
            "thread": thread,
            "messages_in_thread": messages,
            "form": form,
            "risk": bool(mine and mine[-1].flagged),
        }
        return render(self.request, self.template_name, context, status=status)

    def act(self, form: ReplyForm) -> services.Sent:
        return services.send_message(by=self.request.user, thread=self.get_thread(), body=form.cleaned_data["body"])

    def success_url(self, result: services.Sent) -> str:
        return reverse("portal:message_thread", args=[self.get_thread().pk])
