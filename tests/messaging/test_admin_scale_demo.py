"""Messaging's demo data (idempotent), its read-only admin, and its part of seed_scale."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from clinic.demo import DemoContext
from clinic.models import Role
from messaging import services
from messaging.apps import MessagingConfig
from messaging.models import Message, Thread
from tests.conftest import World
from tests.factories import staff


@pytest.mark.django_db
def test_demo_data_is_a_conversation_seeded_once(world: World) -> None:
    nurse = staff(Role.NURSE, world.site1, username="demo.nurse")
    ctx = DemoContext(world.site1, {"nurse": nurse})
    config = apps.get_app_config("messaging")
    assert isinstance(config, MessagingConfig)
    config.seed_demo(ctx)
    config.seed_demo(ctx)
    thread = Thread.objects.get(patient=world.patient_a)
    assert [m.automatic for m in thread.messages.all()] == [False, True, False]
    assert services.unread_for_patient(world.patient_a_user, world.patient_a) == 2


@pytest.mark.django_db
def test_the_admin_shows_messages_read_only(world: World) -> None:
    sent = services.start_thread(by=world.patient_a_user, patient=world.patient_a, subject="Admin", body="Hello")
    admin_user = world.admin1
    admin_user.is_staff = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    listing = client.get("/admin/messaging/message/")
    assert listing.status_code == 200
    assert "Admin" in listing.content.decode()
    change = client.post(f"/admin/messaging/message/{sent.message.pk}/change/", {"body": "edited"})
    assert change.status_code in (302, 403) or "edited" not in Message.objects.get(pk=sent.message.pk).body
    assert Message.objects.get(pk=sent.message.pk).body == "Hello"
    assert client.get("/admin/messaging/message/add/").status_code == 403
