"""Scheduling, moving, cancelling and retrying reminders; patient preferences."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import AuditEvent
from clinic.reminders import preferences, services
from clinic.reminders.models import Reminder, ReminderStatus, SkipReason
from tests.clinic.reminders.conftest import visit
from tests.clinic.reminders.kinds import VISIT
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_booking_creates_a_pending_reminder_due_at_the_protocol_lead_time(world: World) -> None:
    starts_at = timezone.now() + timedelta(days=5)
    reminder = services.schedule_reminder(
        kind="test_visit_48h", subject_id=7, patient=world.patient_a, starts_at=starts_at
    )
    assert reminder is not None
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.due_at == starts_at - timedelta(hours=48)
    assert reminder.next_attempt_at == reminder.due_at
    assert (reminder.channel, reminder.subject_type, reminder.subject_id) == ("email", VISIT, 7)
    assert AuditEvent.objects.filter(action="clinic.reminder.create", object_id=str(reminder.pk)).count() == 1


def test_the_lead_time_comes_from_the_sites_protocol(world: World) -> None:
    from clinic.services import active_protocol_version, publish_protocol_version

    settings = active_protocol_version(world.site1).settings
    settings["reminders"]["dosing_session_first_hours_before"] = 72
    publish_protocol_version(by=None, site=world.site1, settings=settings, change_summary="Earlier reminder")
    starts_at = timezone.now() + timedelta(days=5)
    reminder = services.schedule_reminder(kind="test_visit_48h", subject_id=1, patient=world.patient_a,
                                          starts_at=starts_at)  # fmt: skip
    assert reminder is not None
    assert reminder.due_at == starts_at - timedelta(hours=72)


def test_scheduling_twice_creates_nothing_new(world: World) -> None:
    first = visit(world.patient_a)
    again = services.schedule_reminder(
        kind="test_visit_48h", subject_id=1, patient=world.patient_a, starts_at=first.subject_starts_at
    )
    assert again == first
    assert Reminder.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="clinic.reminder.").count() == 1


def test_the_database_refuses_a_second_row_for_the_same_reminder(world: World) -> None:
    first = visit(world.patient_a)
    twin = Reminder(kind=first.kind, channel=first.channel, patient=world.patient_a, subject_type=first.subject_type,
                    subject_id=first.subject_id, due_at=first.due_at, next_attempt_at=first.due_at)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_due_time_already_past_at_booking_is_skipped(world: World) -> None:
    reminder = visit(world.patient_a, starts_in_hours=30)  # the 48-hour reminder was due 18 hours ago
    assert reminder.status == ReminderStatus.SKIPPED
    assert reminder.skip_reason == SkipReason.PAST_DUE
    later = visit(world.patient_a, kind="test_visit_2h", starts_in_hours=30)
    assert later.status == ReminderStatus.PENDING


def test_a_patient_without_the_address_gets_a_skipped_reminder(world: World) -> None:
    world.patient_a.email = ""
    world.patient_a.save()
    reminder = visit(world.patient_a)
    assert (reminder.status, reminder.skip_reason) == (ReminderStatus.SKIPPED, SkipReason.NO_ADDRESS)


def test_a_patient_who_chose_no_reminders_gets_none(world: World) -> None:
    world.patient_a.preferred_reminder_channel = "none"
    world.patient_a.save()
    starts_at = timezone.now() + timedelta(days=3)
    assert services.schedule_reminder(kind="test_visit_48h", subject_id=1, patient=world.patient_a,
                                      starts_at=starts_at) is None  # fmt: skip
    assert not Reminder.objects.exists()


def test_rescheduling_moves_the_pending_reminders(world: World) -> None:
    early, late = visit(world.patient_a), visit(world.patient_a, kind="test_visit_2h")
    new_start = timezone.now() + timedelta(days=10)
    moved = services.reschedule_for_subject(subject_type=VISIT, subject_id=1, starts_at=new_start)
    assert {r.pk for r in moved} == {early.pk, late.pk}
    early.refresh_from_db()
    late.refresh_from_db()
    assert early.due_at == new_start - timedelta(hours=48)
    assert late.due_at == new_start - timedelta(hours=2)
    assert Reminder.objects.count() == 2
    assert AuditEvent.objects.filter(action="clinic.reminder.reschedule").count() == 2


def test_rescheduling_after_a_send_makes_a_new_occurrence_for_the_new_time(world: World) -> None:
    sent = visit(world.patient_a)
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT, sent_at=timezone.now())
    new_start = timezone.now() + timedelta(days=10)
    [again] = services.reschedule_for_subject(subject_type=VISIT, subject_id=1, starts_at=new_start)
    assert again.pk != sent.pk
    assert (again.occurrence, again.status) == (2, ReminderStatus.PENDING)
    sent.refresh_from_db()
    assert sent.status == ReminderStatus.SENT  # what went out stays on record


def test_rescheduling_into_the_past_skips(world: World) -> None:
    visit(world.patient_a)
    [moved] = services.reschedule_for_subject(
        subject_type=VISIT, subject_id=1, starts_at=timezone.now() + timedelta(hours=5)
    )
    assert (moved.status, moved.skip_reason) == (ReminderStatus.SKIPPED, SkipReason.PAST_DUE)


def test_cancelling_cancels_what_has_not_gone_out_once(world: World) -> None:
    pending = visit(world.patient_a)
    claimed = visit(world.patient_a, kind="test_visit_2h")
    Reminder.objects.filter(pk=claimed.pk).update(
        status=ReminderStatus.SENDING, claim_token="00000000-0000-0000-0000-000000000001",
        lease_until=timezone.now() + timedelta(minutes=5),
    )  # fmt: skip
    other = visit(world.patient_a, subject_id=2)
    assert services.cancel_for_subject(subject_type=VISIT, subject_id=1) == 2
    assert services.cancel_for_subject(subject_type=VISIT, subject_id=1) == 0
    statuses = dict(Reminder.objects.values_list("pk", "status"))
    assert statuses == {pending.pk: "cancelled", claimed.pk: "cancelled", other.pk: "pending"}
    assert AuditEvent.objects.filter(action="clinic.reminder.cancel").count() == 2


def test_cancelling_leaves_a_message_already_with_the_provider(world: World) -> None:
    reminder = visit(world.patient_a)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.SENDING, claim_token="00000000-0000-0000-0000-000000000001",
        lease_until=timezone.now() + timedelta(minutes=5), handed_over_at=timezone.now(),
    )  # fmt: skip
    assert services.cancel_for_subject(subject_type=VISIT, subject_id=1) == 0


def test_a_cancelled_booking_booked_again_rearms_its_reminder(world: World) -> None:
    reminder = visit(world.patient_a)
    services.cancel_for_subject(subject_type=VISIT, subject_id=1)
    again = services.schedule_reminder(kind="test_visit_48h", subject_id=1, patient=world.patient_a,
                                       starts_at=reminder.subject_starts_at)  # fmt: skip
    assert again is not None
    assert (again.pk, again.status) == (reminder.pk, ReminderStatus.PENDING)


def _failed(world: World) -> Reminder:
    reminder = visit(world.patient_a)
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.FAILED, attempts=5, last_error="boom")
    reminder.refresh_from_db()
    return reminder


def test_a_clinic_admin_retries_a_failed_reminder(world: World) -> None:
    reminder = services.retry_reminder(by=world.admin1, reminder=_failed(world))
    assert (reminder.status, reminder.attempts, reminder.last_error) == (ReminderStatus.PENDING, 0, "")
    assert reminder.next_attempt_at <= timezone.now()
    event = AuditEvent.objects.get(action="clinic.reminder.retry")
    assert (event.actor, event.details["previous_error"]) == (world.admin1, "boom")


@pytest.mark.parametrize("who", ["nurse1", "front_desk1", "prescriber1"])
def test_only_clinic_admins_retry(world: World, who: str) -> None:
    with pytest.raises(NotAllowed):
        services.retry_reminder(by=world.users()[who], reminder=_failed(world))


@pytest.mark.parametrize("who", ["nurse2", "therapist_unassigned", "patient_a"])
def test_a_reminder_the_requester_may_not_see_is_not_found(world: World, who: str) -> None:
    with pytest.raises(Http404):
        services.retry_reminder(by=world.users()[who], reminder=_failed(world))


@pytest.mark.parametrize("status", ["pending", "sending", "sent", "cancelled", "skipped"])
def test_only_a_failed_reminder_is_retried(world: World, status: str) -> None:
    reminder = visit(world.patient_a)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=status, claim_token="00000000-0000-0000-0000-000000000001", lease_until=timezone.now()
    )
    with pytest.raises(Conflict) as caught:
        services.retry_reminder(by=world.admin1, reminder=reminder)
    assert caught.value.code == "not_failed"


# --- Preferences ------------------------------------------------------------------------------------------------


def test_text_messages_need_a_phone_number(world: World) -> None:
    world.patient_a.phone = ""
    world.patient_a.save()
    with pytest.raises(InvalidInput) as caught:
        preferences.set_reminder_preferences(by=world.front_desk1, patient=world.patient_a, channel="sms")
    assert "preferred_reminder_channel" in caught.value.errors
    world.patient_a.refresh_from_db()
    assert world.patient_a.preferred_reminder_channel == "email"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(time(21, 0), None, "quiet_hours_end"), (None, time(8, 0), "quiet_hours_start"),
     (time(8, 0), time(8, 0), "quiet_hours_end")],
)  # fmt: skip
def test_quiet_hours_need_both_ends_and_different_times(world: World, start: time, end: time, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        preferences.set_reminder_preferences(
            by=world.nurse1, patient=world.patient_a, quiet_hours_start=start, quiet_hours_end=end
        )
    assert field in caught.value.errors


def test_changing_the_channel_moves_pending_reminders_and_is_audited(world: World) -> None:
    world.patient_a.phone = "555-0142"
    world.patient_a.save()
    pending, sent = visit(world.patient_a), visit(world.patient_a, subject_id=2)
    Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT)
    patient = preferences.set_reminder_preferences(
        by=world.patient_a_user, patient=world.patient_a, channel="sms",
        quiet_hours_start=time(21, 0), quiet_hours_end=time(8, 0), non_clinical_opt_out=True,
    )  # fmt: skip
    assert (patient.preferred_reminder_channel, patient.non_clinical_opt_out) == ("sms", True)
    assert Reminder.objects.get(pk=pending.pk).channel == "sms"
    assert Reminder.objects.get(pk=sent.pk).channel == "email"
    event = AuditEvent.objects.get(action="clinic.patient.reminder_preferences")
    assert set(event.details["changes"]) == {"preferred_reminder_channel", "quiet_hours_start", "quiet_hours_end",
                                             "non_clinical_opt_out"}  # fmt: skip
    assert event.details["pending_reminders_changed"] == 1


def test_choosing_no_reminders_cancels_pending_ones(world: World) -> None:
    pending = visit(world.patient_a)
    preferences.set_reminder_preferences(by=world.front_desk1, patient=world.patient_a, channel="none")
    assert Reminder.objects.get(pk=pending.pk).status == ReminderStatus.CANCELLED


@pytest.mark.parametrize(("who", "error"), [("patient_b", Http404), ("nurse2", Http404), ("therapist1", NotAllowed)])
def test_who_may_change_preferences(world: World, who: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        preferences.set_reminder_preferences(by=world.users()[who], patient=world.patient_a, non_clinical_opt_out=True)
