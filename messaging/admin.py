from __future__ import annotations

from django.contrib import admin

from clinic.admin_base import ReadOnlyModelAdmin
from messaging.models import Message, MessageRead, Thread

PATIENT_SEARCH = ("patient__mrn", "patient__family_name", "patient__given_name")


@admin.register(Thread)
class ThreadAdmin(ReadOnlyModelAdmin):
    list_display = ("last_message_at", "patient", "subject", "started_by", "created_at")
    list_filter = ("patient__site", "created_at", "last_message_at")
    search_fields = (*PATIENT_SEARCH, "subject")
    date_hierarchy = "last_message_at"
    list_select_related = ("patient", "started_by")


@admin.register(Message)
class MessageAdmin(ReadOnlyModelAdmin):
    list_display = ("sent_at", "thread", "author", "from_patient", "automatic", "crisis_words")
    list_filter = ("from_patient", "automatic", "thread__patient__site", "sent_at")
    search_fields = ("thread__patient__mrn", "thread__patient__family_name", "thread__subject")
    date_hierarchy = "sent_at"
    list_select_related = ("thread__patient", "author")


@admin.register(MessageRead)
class MessageReadAdmin(ReadOnlyModelAdmin):
    patient_lookup = "message__thread__patient"
    list_display = ("read_at", "message", "reader")
    list_filter = ("read_at", "message__thread__patient__site")
    search_fields = ("reader__username", "message__thread__patient__mrn")
    date_hierarchy = "read_at"
    list_select_related = ("message", "reader")
