"""The staff side of alerts: the inbox (unread, to acknowledge, all), opening the record an alert is about, and
acknowledging an alert for the care team. What each shows and decides is clinic/notifications.py.

An alert's forms sit in `templates/staff/notifications/_alert.html`, shown on the staff home and in the inbox; a
refused acknowledgement comes back on the inbox with the note as typed and the reason beside it.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from clinic import audit, notifications
from clinic.alerts import alert_rows
from clinic.forms import AcknowledgeForm
from clinic.http import AuthedRequest
from clinic.models import Notification, User
from clinic.scoping import get_in_scope
from clinic.views import StaffFormView, StaffView

FILTERS = {
    "unread": "Unread",
    "open": "To acknowledge",
    "all": "All alerts",
}
INBOX_PAGE_SIZE = 25


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def inbox_page(
    request: AuthedRequest, show: str, *, bound: AcknowledgeForm | None = None, back: str = "", status: int = 200
) -> HttpResponse:
    """The inbox with `show` (a key of FILTERS), 25 a page; `bound` is a refused acknowledgement form, `back` where
    the alerts' buttons return (this page by default)."""
    mine = notifications.notifications_for(request.user)
    if show == "unread":
        rows = notifications.unread(mine).order_by("-severity", "-created_at", "-pk")
    elif show == "open":
        rows = notifications.needing_action(mine)
    else:
        rows = mine.order_by("-created_at", "-pk")
    page = Paginator(rows, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    details = {"via": "inbox", "show": show, "count": len(page)}
    # An alert about a patient is a read of that patient's record (its title names them): one entry per patient
    # shown, so that the patient's audit log finds it; a page of alerts about no patient is one entry.
    if not audit.record_reads(
        "clinic.notification.list", [row.patient_id for row in page.object_list], details=details
    ):
        audit.record("clinic.notification.list", details=details)
    context = {
        "show": show,
        "filters": FILTERS,
        "page_obj": page,
        "alerts": alert_rows(page.object_list, bound),
        "back": back or request.get_full_path(),
    }
    return render(request, "staff/notifications/inbox.html", context, status=status)


class NotificationListView(StaffView):
    """The inbox: `?show=unread` (default), `open` (to acknowledge) or `all`."""

    request: AuthedRequest

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        show = request.GET.get("show", "unread")
        return inbox_page(self.request, show if show in FILTERS else "unread")


class NotificationMixin(StaffView):
    request: AuthedRequest

    def check_access(self, user: User) -> None:
        self.notification()
        super().check_access(user)

    def notification(self) -> Notification:
        """One of the requester's own notifications (404 for anyone else's)."""
        if not hasattr(self, "_notification"):
            mine = notifications.notifications_for(self.request.user)
            self._notification = get_in_scope(mine, self.kwargs["pk"], "No such alert.")
        return self._notification


class AcknowledgeView(NotificationMixin, StaffFormView[AcknowledgeForm]):
    """POST from the home or the inbox; back to where it came from with a message, or to the inbox (400) with the
    reason beside the note."""

    http_method_names = ["post"]

    def get_form(self, data: Any = None) -> AcknowledgeForm:
        notification = self.notification()
        required = notifications.note_required(notification)
        return AcknowledgeForm(data, prefix=f"ack{notification.pk}", note_required=required)

    def act(self, form: AcknowledgeForm) -> notifications.Acknowledgement:
        return notifications.acknowledge(
            by=self.request.user, notification=self.notification(), note=form.cleaned_data["note"]
        )

    def show_form(self, form: AcknowledgeForm, *, status: int = 200) -> HttpResponse:
        return inbox_page(self.request, "open", bound=form, back=self.success_url(None), status=status)

    def success_text(self, result: notifications.Acknowledgement) -> str:
        return "Alert acknowledged for the care team."

    def success_url(self, result: notifications.Acknowledgement | None) -> str:
        return _back(self.request, reverse("staff:alerts"))


class OpenNotificationView(NotificationMixin):
    """POST: mark the reader's row as read, then go to the record it is about (or back to the inbox)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        notification = notifications.mark_read(by=self.request.user, notification=self.notification())
        link = notification.link
        if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(link)
        return HttpResponseRedirect(_back(request, reverse("staff:alerts")))
