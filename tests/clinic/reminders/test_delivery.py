"""Claim and send, in this process: exactly once, retries with backoff, interrupted sends settled, quiet hours."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from clinic import sms, tasks
from clinic.models import AuditEvent, Notification, NotificationKind, Patient
from clinic.notifications import notify_care_team
from clinic.reminders import channels, delivery
from clinic.reminders.channels import DeliveryError
from clinic.reminders.models import Reminder, ReminderStatus, SkipReason
from tests.clinic.reminders.conftest import make_due, visit
from tests.clinic.reminders.kinds import GONE
from tests.conftest import World
from tests.factories import PatientFactory, SiteFactory

pytestmark = pytest.mark.django_db


def _sms_patient(world: World) -> Patient:
    patient = world.patient_a
    patient.phone, patient.preferred_reminder_channel = "555-0142", "sms"
    patient.save()
    return patient


def _status(reminder: Reminder) -> str:
    reminder.refresh_from_db()
    return reminder.status


def test_a_pass_sends_what_is_due_and_a_second_pass_sends_nothing(
    world: World, mailoutbox: list[Any], sms_outbox: list[sms.TextMessage]
) -> None:
    by_mail = make_due(visit(world.patient_a, subject_id=1))
    by_sms = make_due(visit(_sms_patient(world), subject_id=2))
    not_yet = visit(world.patient_a, subject_id=3)
    assert delivery.run_pass()["sent"] == 2
    assert delivery.run_pass() == {"claimed": 0, "waiting": 0, "skipped": 0}
    assert (len(mailoutbox), len(sms_outbox)) == (1, 1)
    assert (_status(by_mail), _status(by_sms), _status(not_yet)) == ("sent", "sent", "pending")
    by_mail.refresh_from_db()
    assert by_mail.attempts == 1
    assert by_mail.sent_at is not None
    assert by_mail.handed_over_at is not None
    assert by_mail.provider_message_id == mailoutbox[0].extra_headers["Message-ID"]
    assert AuditEvent.objects.filter(action="clinic.reminder.send", actor_role="system").count() == 2


def test_the_email_carries_a_stable_message_id_and_both_parts(world: World, mailoutbox: list[Any]) -> None:
    reminder = make_due(visit(world.patient_a))
    delivery.run_pass()
    [message] = mailoutbox
    assert message.extra_headers["Message-ID"] == f"<{reminder.reference}@clinic.invalid>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert message.to == [world.patient_a.email]
    assert message.subject == "Your appointment at KAP Clinic tomorrow at 9:00 AM EDT"
    assert "You have an appointment at KAP Clinic tomorrow at 9:00 AM EDT" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_the_tasks_run_twice_send_once(world: World, monkeypatch: pytest.MonkeyPatch, mailoutbox: list[Any]) -> None:
    for subject in (1, 2, 3):
        make_due(visit(world.patient_a, subject_id=subject))
    queued: list[list[list[Any]]] = []
    monkeypatch.setattr(tasks.send_reminders, "apply_async", lambda args, **options: queued.append(args[0]))
    with override_settings(REMINDERS=replace(settings.REMINDERS, send_batch_size=2)):
        assert tasks.send_due_reminders.apply().get() == 3
        assert tasks.send_due_reminders.apply().get() == 0  # claimed already: nothing queued twice
    assert [len(batch) for batch in queued] == [2, 1]
    for batch in queued:
        assert tasks.send_reminders.apply((batch,)).get() == {"sent": len(batch)}
        assert tasks.send_reminders.apply((batch,)).get() == {"not_mine": len(batch)}
    assert len(mailoutbox) == 3
    reminder_id, _ = queued[0][0]
    assert tasks.send_reminder.apply((reminder_id, "not-a-token")).get() == "not_mine"


def test_a_slow_batch_gives_the_rest_back_to_the_next_pass(world: World, mailoutbox: list[Any]) -> None:
    """Past half the lease (slow providers), a batch stops sending: the rest go back to `pending`, unclaimed, and the
    next pass sends them, once."""
    for subject in (1, 2, 3):
        make_due(visit(world.patient_a, subject_id=subject))
    claims = delivery.claim_due().claimed
    ticks = iter([0.0, 0.0, settings.REMINDERS.lease_seconds])  # the start, the first send, then half a lease gone
    assert delivery.deliver_batch(claims, clock=lambda: next(ticks)) == {"sent": 1, "given_back": 2}
    assert Reminder.objects.filter(status=ReminderStatus.PENDING, claim_token__isnull=True).count() == 2
    assert delivery.run_pass()["sent"] == 2
    assert len(mailoutbox) == 3
    assert list(Reminder.objects.values_list("attempts", flat=True)) == [1, 1, 1]


def test_a_claim_that_lost_the_race_claims_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The conditional UPDATE (the guarantee on SQLite, and a second one on PostgreSQL): if the row changed between
    this pass's read and its claim, another pass has it."""
    reminder = make_due(visit(world.patient_a))
    real_release = delivery.release

    def another_pass_claims_first(*args: Any, **kwargs: Any) -> Any:
        Reminder.objects.filter(pk=reminder.pk).update(
            status=ReminderStatus.SENDING, claim_token="00000000-0000-0000-0000-0000000000aa",
            lease_until=timezone.now() + timedelta(minutes=10),
        )  # fmt: skip
        return real_release(*args, **kwargs)

    monkeypatch.setattr(delivery, "release", another_pass_claims_first)
    assert delivery.claim_due().claimed == []
    reminder.refresh_from_db()
    assert str(reminder.claim_token) == "00000000-0000-0000-0000-0000000000aa"


def test_a_transient_failure_backs_off_then_fails_visibly(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def busy(prepared: channels.Prepared) -> str:
        calls.append(prepared.reminder.pk)
        raise DeliveryError("The mail server answered 451: try later", kind="transient")

    monkeypatch.setattr(channels, "hand_over", busy)
    reminder = make_due(visit(world.patient_a))
    now = timezone.now()
    delivery.run_pass(now=now)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.handed_over_at) == ("pending", 1, None)
    assert timedelta(seconds=55) < reminder.next_attempt_at - now < timedelta(seconds=65)
    assert delivery.run_pass(now=now)["claimed"] == 0  # not before the backoff
    waits = []
    for _ in range(4):
        delivery.run_pass(now=reminder.next_attempt_at + timedelta(seconds=1))
        reminder.refresh_from_db()
        waits.append(reminder.next_attempt_at - timezone.now())
    assert len(calls) == 5
    assert (reminder.status, reminder.attempts) == ("failed", 5)
    assert reminder.last_error.startswith("Gave up after 5 attempts: The mail server answered 451")
    assert [round(w.total_seconds() / 60) for w in waits[:3]] == [2, 4, 8]  # doubling
    assert AuditEvent.objects.filter(action="clinic.reminder.defer").count() == 4
    assert AuditEvent.objects.filter(action="clinic.reminder.fail").count() == 1


@pytest.mark.parametrize(("kind", "keeps_mark"), [("permanent", False), ("uncertain", True)])
def test_permanent_and_uncertain_failures_fail_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch, kind: str, keeps_mark: bool
) -> None:
    def refuse(prepared: channels.Prepared) -> str:
        raise DeliveryError("550 no such mailbox", kind=cast(Any, kind))

    monkeypatch.setattr(channels, "hand_over", refuse)
    reminder = make_due(visit(world.patient_a))
    delivery.run_pass()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("failed", 1)
    assert (reminder.handed_over_at is not None) is keeps_mark
    assert ("Delivery uncertain" in reminder.last_error) is keeps_mark


def _handed_over_and_abandoned(reminder: Reminder) -> Reminder:
    """As a worker leaves a row when it is killed right after the hand-over mark: `sending`, marked, lease over."""
    past = timezone.now() - timedelta(minutes=1)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.SENDING, claim_token="00000000-0000-0000-0000-0000000000bb", lease_until=past,
        handed_over_at=past - timedelta(seconds=5), attempts=1,
    )  # fmt: skip
    reminder.refresh_from_db()
    return reminder


def test_an_abandoned_hand_over_the_provider_took_is_recorded_not_resent(
    world: World, sms_outbox: list[sms.TextMessage]
) -> None:
    reminder = _handed_over_and_abandoned(make_due(visit(_sms_patient(world))))
    sms_outbox.append(sms.TextMessage(to="555-0142", body="...", reference=reminder.reference))  # it did go out
    assert delivery.run_pass()["found"] == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.provider_message_id) == (
        "sent", 1, f"locmem-{reminder.reference}"
    )  # fmt: skip
    assert len(sms_outbox) == 1


def test_an_abandoned_hand_over_the_provider_never_got_is_sent_once(
    world: World, sms_outbox: list[sms.TextMessage]
) -> None:
    reminder = _handed_over_and_abandoned(make_due(visit(_sms_patient(world))))
    assert delivery.run_pass()["sent"] == 1
    assert [m.reference for m in sms_outbox] == [reminder.reference]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("sent", 2)


@override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2}}})  # fmt: skip
def test_an_abandoned_hand_over_that_cannot_be_looked_up_is_failed_as_uncertain_never_resent(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[object] = []
    monkeypatch.setattr(channels, "hand_over", handed.append)
    reminder = _handed_over_and_abandoned(make_due(visit(world.patient_a)))
    assert delivery.run_pass()["failed"] == 1
    reminder.refresh_from_db()
    assert reminder.status == "failed"
    assert reminder.last_error.startswith("Delivery uncertain")
    assert handed == []


def _quiet_around_now(patient: Patient) -> None:
    local = timezone.now().astimezone(ZoneInfo(patient.site.time_zone))
    patient.quiet_hours_start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    patient.quiet_hours_end = (local + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    patient.save()


def test_quiet_hours_hold_a_reminder_until_they_end_except_the_two_hour_one(
    world: World, mailoutbox: list[Any]
) -> None:
    _quiet_around_now(world.patient_a)
    held = make_due(visit(world.patient_a, subject_id=1, starts_in_hours=72))
    exempt = make_due(visit(world.patient_a, subject_id=2, kind="test_visit_2h", starts_in_hours=3))
    outcome = delivery.run_pass()
    assert (outcome["waiting"], outcome["sent"]) == (1, 1)
    held.refresh_from_db()
    assert held.status == "pending"
    local_end = held.next_attempt_at.astimezone(ZoneInfo(world.site1.time_zone))
    assert local_end.time() == world.patient_a.quiet_hours_end
    assert (_status(exempt), len(mailoutbox)) == ("sent", 1)
    assert delivery.run_pass(now=held.next_attempt_at)["sent"] == 1


def test_quiet_hours_follow_the_patients_site_time_zone(world: World) -> None:
    tokyo = SiteFactory(name="Far Test Site", code="FAR", time_zone="Asia/Tokyo")
    patient = PatientFactory(site=tokyo)
    _quiet_around_now(patient)
    make_due(visit(patient, starts_in_hours=72))
    make_due(visit(world.patient_a, subject_id=2, starts_in_hours=72))  # no quiet hours
    assert delivery.claim_due().waiting == 1


def test_a_reminder_whose_appointment_began_is_skipped(world: World, mailoutbox: list[Any]) -> None:
    reminder = make_due(visit(world.patient_a))
    Reminder.objects.filter(pk=reminder.pk).update(subject_starts_at=timezone.now() - timedelta(minutes=5))
    assert delivery.run_pass()["skipped"] == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.skip_reason, mailoutbox) == ("skipped", SkipReason.TOO_LATE, [])


def test_opting_out_skips_non_clinical_messages_only(world: World, mailoutbox: list[Any]) -> None:
    from clinic.reminders import services

    world.patient_a.non_clinical_opt_out = True
    world.patient_a.save()
    nudge = services.schedule_reminder(kind="test_nudge", subject_id=1, patient=world.patient_a,
                                       due_at=timezone.now())  # fmt: skip
    clinical = make_due(visit(world.patient_a))
    delivery.run_pass()
    assert nudge is not None
    nudge.refresh_from_db()
    assert (nudge.status, nudge.skip_reason) == ("skipped", SkipReason.OPTED_OUT)
    assert (_status(clinical), len(mailoutbox)) == ("sent", 1)


def test_a_subject_that_is_gone_is_skipped(world: World, mailoutbox: list[Any]) -> None:
    reminder = make_due(visit(world.patient_a, subject_id=GONE))
    delivery.run_pass()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.skip_reason, mailoutbox) == ("skipped", SkipReason.SUBJECT_GONE, [])


# --- Care-team alerts -------------------------------------------------------------------------------------------


def test_a_safety_alert_is_emailed_to_each_recipient_once_without_clinical_details(
    world: World, mailoutbox: list[Any]
) -> None:
    world.therapist1.email = "therapist1@example.invalid"
    world.therapist1.save()
    notes = notify_care_team(world.patient_a, kind=NotificationKind.SAFETY_ALERT,
                             title=f"Safety alert ({world.patient_a.mrn}): PHQ-9 item 9 answered above 0",
                             body="Contact the patient today.", link="/staff/patients/1/intake/",
                             dedupe_key="test-alert")  # fmt: skip
    assert len(notes) == 1  # therapist1, the care team
    notify_care_team(world.patient_a, kind=NotificationKind.SAFETY_ALERT, title="again", dedupe_key="test-alert")
    assert Reminder.objects.filter(kind="staff_alert").count() == 1
    assert delivery.run_pass()["sent"] == 1
    assert delivery.run_pass()["claimed"] == 0
    [message] = mailoutbox
    assert message.to == ["therapist1@example.invalid"]
    assert message.subject == "New safety alert in KAP Clinic"
    assert f"/staff/notifications/{notes[0].pk}/" in message.body
    everything = message.subject + message.body + str(message.alternatives[0][0])
    for secret in ("Alpha", "Testperson", world.patient_a.mrn, "PHQ", "item 9", "Contact the patient", "intake"):
        assert secret not in everything
    assert Notification.objects.get(pk=notes[0].pk).delivered_at is not None


def test_information_notifications_are_not_emailed(world: World) -> None:
    notify_care_team(world.patient_a, kind=NotificationKind.INFO, title="FYI")
    assert not Reminder.objects.exists()


# --- Concurrency on PostgreSQL ------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_passes_send_each_reminder_once(require_postgres: None, sms_outbox: list[Any]) -> None:
    site = SiteFactory(name="Busy Test Site", code="BUSY")
    due = timezone.now() - timedelta(minutes=1)
    reminders = []
    for n in range(40):
        patient = PatientFactory(site=site, phone=f"555-01{n:02d}", preferred_reminder_channel="sms")
        reminders.append(make_due(visit(patient, subject_id=n + 1), at=due))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            barrier.wait()
            delivery.run_pass()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_pass) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    counts = Counter(m.reference for m in sms_outbox)
    assert sorted(counts) == sorted(r.reference for r in reminders)
    assert set(counts.values()) == {1}
    assert Reminder.objects.filter(status="sent").count() == 40


def _at(patient: Patient, hour: int) -> datetime:
    local = timezone.now().astimezone(ZoneInfo(patient.site.time_zone))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_quiet_hours_across_midnight_release_at_their_local_end(world: World) -> None:
    patient = world.patient_a
    patient.quiet_hours_start, patient.quiet_hours_end = time(21, 0), time(8, 0)
    patient.save()
    reminder = make_due(visit(patient, starts_in_hours=200))
    late_evening = _at(patient, 22)
    Reminder.objects.filter(pk=reminder.pk).update(next_attempt_at=late_evening - timedelta(minutes=5))
    assert delivery.claim_due(now=late_evening).waiting == 1
    reminder.refresh_from_db()
    assert reminder.next_attempt_at == _at(patient, 8) + timedelta(days=1)


def test_a_staff_member_without_an_email_address_gets_a_skipped_alert(world: World) -> None:
    notify_care_team(world.patient_a, kind=NotificationKind.SAFETY_ALERT, title="x", dedupe_key="no-mail")
    reminder = Reminder.objects.get(kind="staff_alert")
    assert (reminder.status, reminder.skip_reason) == ("skipped", SkipReason.NO_ADDRESS)
