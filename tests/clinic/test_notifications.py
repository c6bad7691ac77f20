from __future__ import annotations

import pytest

from clinic.models import AuditEvent, Notification, NotificationKind
from clinic.notifications import notify_care_team
from tests.conftest import World


@pytest.mark.django_db
def test_care_team_is_notified_once_per_dedupe_key(world: World) -> None:
    first = notify_care_team(
        world.patient_a, kind=NotificationKind.SAFETY_ALERT, title="Safety check needed", dedupe_key="phq9:1"
    )
    again = notify_care_team(
        world.patient_a, kind=NotificationKind.SAFETY_ALERT, title="Safety check needed", dedupe_key="phq9:1"
    )
    assert [n.recipient for n in first] == [world.therapist1]
    assert again == []
    assert Notification.objects.count() == 1
    assert AuditEvent.objects.filter(action="clinic.notification.create").count() == 1


@pytest.mark.django_db
def test_without_a_care_team_the_site_clinicians_are_notified(world: World) -> None:
    notes = notify_care_team(world.patient_b, kind=NotificationKind.SAFETY_ALERT, title="Safety check needed")
    assert {n.recipient for n in notes} == {world.nurse2}
