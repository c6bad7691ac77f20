"""The Reminder in the Django admin: read-only (it changes through the services), with "Send again" for failed ones.

Registered from ClinicConfig.ready(): clinic/admin.py is the admin of the core records.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from clinic.admin_base import ReadOnlyModelAdmin
from clinic.errors import DomainError
from clinic.http import user_of
from clinic.reminders import services
from clinic.reminders.models import Reminder


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyModelAdmin):
    list_display = ("due_at", "kind", "channel", "status", "attempts", "patient", "recipient_user", "sent_at")
    list_filter = ("status", "kind", "channel", "due_at")
    search_fields = ("kind", "patient__mrn", "recipient_user__username", "provider_message_id", "last_error")
    date_hierarchy = "due_at"
    list_select_related = ("patient", "recipient_user")
    actions = ["send_again"]

    @admin.action(description="Send the selected failed reminders again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        sent_again, refused = 0, []
        for reminder in queryset:
            try:
                services.retry_reminder(by=user_of(request), reminder=reminder)
            except DomainError as exc:
                refused.append(f"#{reminder.pk}: {exc.message}")
            else:
                sent_again += 1
        if sent_again:
            messages.success(request, f"{sent_again} reminder(s) will be sent again within a minute.")
        for line in refused:
            messages.warning(request, line)
