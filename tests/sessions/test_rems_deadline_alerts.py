"""A REMS Patient Monitoring Form near its deadline alerts the care team, once, and the alert is emailed at once by
the reminders machinery, saying nothing clinical (the beat task `sessions.tasks.alert_rems_deadlines`)."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.models import Notification, NotificationSeverity
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.reminders import delivery, staff_alerts
from clinic.reminders.models import Reminder
from clinic.services import active_protocol_version, publish_protocol_version
from sessions import services, tasks
from tests.sessions.conftest import Clinic, Clock, ny
from tests.sessions.test_rems import run_esketamine, submit

pytestmark = pytest.mark.django_db


def _with_emails(clinic: Clinic) -> None:
    for user in (clinic.nurse, clinic.prescriber):
        user.email = f"{user.username}@example.invalid"
        user.save()


def test_a_form_due_within_the_protocols_days_alerts_the_team_once_by_email(
    clinic: Clinic, clock: Clock, mailoutbox: list[Any]
) -> None:
    _with_emails(clinic)
    session = run_esketamine(clinic, clock)  # discharged May 4: due on May 11
    clock.set(ny(2026, 5, 8, 12))
    assert services.alert_rems_deadlines() == 0  # three days left: not yet
    clock.set(ny(2026, 5, 9, 9))
    assert tasks.alert_rems_deadlines() == 1
    alerts = Notification.objects.filter(patient=clinic.patient, dedupe_key=f"sessions.remsform.{session.pk}.deadline")
    assert {a.recipient for a in alerts} == {clinic.nurse, clinic.prescriber}
    assert {a.severity for a in alerts} == {NotificationSeverity.WARNING}
    assert "May 11, 2026" in alerts[0].title
    assert Reminder.objects.filter(kind=staff_alerts.KIND).count() == 2
    assert services.alert_rems_deadlines() == 0  # once per form
    delivery.run_pass()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([clinic.nurse.email, clinic.prescriber.email])
    for message in mailoutbox:
        assert message.subject == "New care-team alert in KAP Clinic"
        text = message.body + str(message.alternatives)
        for word in ("esketamine", "REMS", clinic.patient.mrn, clinic.patient.family_name):
            assert word not in text


def test_a_submitted_form_alerts_nobody(clinic: Clinic, clock: Clock) -> None:
    session = run_esketamine(clinic, clock)
    clock.advance(hours=1)
    assert submit(clinic.nurse, session, reference="REMS-2026-0001").status_code == 201
    clock.set(ny(2026, 5, 12, 9))  # even past its day
    assert services.alert_rems_deadlines() == 0
    assert not Notification.objects.exists()


def test_a_form_the_protocol_gives_long_is_still_alerted_near_its_day(clinic: Clinic, clock: Clock) -> None:
    """The deadline check looks back from the due day, which the protocol sets: a clinic that gives the form 90
    days is alerted 88 days after the session, not lost to a fixed look-back."""
    active_protocol_version(clinic.site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["monitoring"]["rems_form_due_days"] = 90
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="REMS form in 90 days")
    session = run_esketamine(clinic, clock)  # discharged May 4: due on Aug 2
    clock.set(ny(2026, 7, 30, 9))
    assert services.alert_rems_deadlines() == 0  # three days left: not yet
    clock.set(ny(2026, 7, 31, 9))
    assert services.alert_rems_deadlines() == 1
    alert = Notification.objects.filter(dedupe_key=f"sessions.remsform.{session.pk}.deadline").first()
    assert alert is not None
    assert "Aug 2, 2026" in alert.title
