"""Staff screens of secure messages, under /staff/messages/ (namespace staff:messaging): a patient's threads and one
thread with its read receipts and the reply form. Reading a thread marks its messages read (audited)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinic.http import AuthedRequest
from clinic.models import User
from clinic.services import current_protocol
from clinic.views import PatientFormView, PatientScopedView
from messaging import services
from messaging.forms import ReplyForm
from messaging.models import Thread
from messaging.permissions import can_message_as_staff

DENIED = "Only the patient's clinicians read and answer their messages."


class MessagingPage(PatientScopedView):
    clinical = True
    request: AuthedRequest

    def check_access(self, user: User) -> None:
        """A patient's messages do not exist for whoever may not read them (404, as an unseen patient)."""
        if not can_message_as_staff(user, self.get_patient()):
            raise Http404(DENIED)
        super().check_access(user)

    def get_thread(self) -> Thread:
        if not hasattr(self, "_thread"):
            try:
                self._thread = services.thread_for(self.request.user, self.get_patient(), self.kwargs["thread_pk"])
            except Thread.DoesNotExist:
                raise Http404("No such conversation.") from None
        return self._thread


class ThreadListView(MessagingPage):
    def get(self, request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient = self.get_patient()
        rows = services.threads_of(request.user, patient)
        return render(request, "staff/messaging/threads.html", {"patient": patient, "rows": rows})


class ThreadView(MessagingPage, PatientFormView[ReplyForm]):
    """One conversation: every message with who read it and when, and the reply form."""

    success_message = "Your reply is sent."
    denied_message = DENIED

    def allowed(self, user: User) -> bool:
        return can_message_as_staff(user, self.get_patient())

    def get_form(self, data: Any = None) -> ReplyForm:
        limit = current_protocol(self.get_patient().site).messaging.message_max_chars
        return ReplyForm(data, max_chars=limit)

    def show_form(self, form: ReplyForm, *, status: int = 200) -> HttpResponse:
        patient, thread = self.get_patient(), self.get_thread()
        messages = services.open_thread(by=self.request.user, thread=thread)
        context = {
            "patient": patient,
            "thread": thread,
            # each message with its read receipts, the author's own left out
            "messages_in_thread": [(m, [r for r in m.reads.all() if r.reader_id != m.author_id]) for m in messages],
            "form": form,
            "site": patient.site,
        }
        return render(self.request, "staff/messaging/thread.html", context, status=status)

    def act(self, form: ReplyForm) -> services.Sent:
        return services.send_message(by=self.request.user, thread=self.get_thread(), body=form.cleaned_data["body"])

    def success_url(self, result: services.Sent) -> str:
        return reverse("staff:messaging:thread", args=[self.get_patient().pk, self.get_thread().pk]) + "#reply"
