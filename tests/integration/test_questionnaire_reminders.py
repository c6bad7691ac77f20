"""Questionnaire reminders by the cadence of clinical protocol §5 (integration/reminders.py): announced when due,
nudged up to three times a day apart, closed when answered, each message with a one-time link that lands the
signed-in patient on the questionnaire."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.reminders import delivery
from clinic.reminders.models import Reminder, ReminderStatus
from integration import reminders, sources
from integration.models import QuestionnaireDue, QuestionnaireLinkUse
from sessions import services as session_services
from tests.factories import patient_user
from tests.integration.conftest import Integ, stopped_course
from tests.sessions.conftest import ny

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^\s\"<]+/portal/questionnaires/link/[^\s\"<]+/")


def _reminders(questionnaire: QuestionnaireDue) -> list[Reminder]:
    rows = Reminder.objects.filter(subject_type=reminders.SUBJECT, subject_id=questionnaire.pk)
    return list(rows.order_by("due_at", "kind"))


def _post_course(integ: Integ) -> tuple[QuestionnaireDue, dt.datetime]:
    """A stopped course, and the planner run the day its first weekly questionnaire is due."""
    stopped_course(integ)
    course = sources.latest_course(integ.patient.pk, integ.clinic.site.time_zone)
    assert course is not None
    assert course.ended_at is not None
    due_at = course.ended_at + dt.timedelta(days=7)
    integ.clock.set(due_at + dt.timedelta(minutes=5))
    assert reminders.plan_questionnaires() == reminders.Planned(opened=1)
    questionnaire = QuestionnaireDue.objects.get(patient=integ.patient, closed_at__isnull=True)
    return questionnaire, due_at


def test_after_a_course_the_weekly_questionnaire_is_announced_then_nudged_three_times(integ: Integ) -> None:
    questionnaire, due_at = _post_course(integ)
    assert (questionnaire.instrument, questionnaire.reason, questionnaire.due_at) == (
        "phq9",
        "post_course_weekly",
        due_at,
    )
    rows = _reminders(questionnaire)
    assert [r.kind for r in rows] == ["questionnaire_due"] + ["questionnaire_nudge"] * 3
    announced = rows[0].due_at
    assert announced == integ.clock.now  # its time had come when the planner ran
    assert [r.due_at - announced for r in rows[1:]] == [dt.timedelta(hours=24 * n) for n in (1, 2, 3)]
    assert [r.occurrence for r in rows[1:]] == [1, 2, 3]
    assert {r.status for r in rows} == {ReminderStatus.PENDING}
    assert reminders.plan_questionnaires() == reminders.Planned()  # running again changes nothing
    assert len(_reminders(questionnaire)) == 4


def test_nothing_is_opened_before_its_time_or_without_a_course(integ: Integ) -> None:
    assert reminders.plan_questionnaires() == reminders.Planned()  # the fixture's session has no course
    stopped_course(integ)
    integ.clock.set(ny(2026, 5, 10, 9))  # the first weekly one is due on the 14th
    assert reminders.plan_questionnaires() == reminders.Planned()
    assert not QuestionnaireDue.objects.exists()


def test_during_a_course_the_questionnaire_is_announced_the_day_before_each_session(integ: Integ) -> None:
    clinic = integ.clinic
    integ.clock.set(ny(2026, 5, 6, 8))
    session_services.book_course(
        by=clinic.front_desk, patient=clinic.patient, template="standard_induction", start_date=dt.date(2026, 5, 7),
        weekdays=[0, 3], local_time=dt.time(9, 0), chair=clinic.chair2,
    )  # fmt: skip
    assert reminders.plan_questionnaires() == reminders.Planned()  # 25 h before: not yet
    integ.clock.set(ny(2026, 5, 6, 9, 30))
    assert reminders.plan_questionnaires().opened == 1
    questionnaire = QuestionnaireDue.objects.get(patient=integ.patient, closed_at__isnull=True)
    assert (questionnaire.reason, questionnaire.due_at) == ("session", ny(2026, 5, 7, 9))


def test_answering_closes_it_and_cancels_the_nudges(integ: Integ, django_capture_on_commit_callbacks: Any) -> None:
    questionnaire, _ = _post_course(integ)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_id = integ.phq9(6, integ.clock.now + dt.timedelta(hours=1))
    questionnaire.refresh_from_db()
    assert questionnaire.closed_at is not None
    assert questionnaire.assessment_id == assessment_id
    assert {r.status for r in _reminders(questionnaire)} == {ReminderStatus.CANCELLED}
    assert AuditEvent.objects.filter(
        action="integration.questionnairedue.close", object_id=str(questionnaire.pk)
    ).exists()
    # The next one is due a week after the answer; nothing opens before then.
    assert reminders.plan_questionnaires() == reminders.Planned()


def test_each_message_carries_a_fresh_one_time_link_that_lands_on_the_questionnaire(
    integ: Integ, mailoutbox: list[Any]
) -> None:
    questionnaire, _ = _post_course(integ)
    delivery.run_pass()
    [message] = mailoutbox
    link = LINK.search(message.body)
    assert link is not None
    path = link.group(0).split("//", 1)[1].split("/", 1)[1]
    client = Client()
    assert client.get("/" + path).status_code == 302  # not signed in: to the sign-in page, the link unused
    assert not QuestionnaireLinkUse.objects.exists()
    client.force_login(patient_user(integ.patient))
    landed = client.get("/" + path)
    assert landed.status_code == 302
    assert landed["Location"] == reverse("portal:questionnaire", args=["phq9"])
    again = client.get("/" + path)
    assert again.status_code == 410
    assert "This link was used already" in again.content.decode()
    # The first nudge, a day later, carries a link of its own.
    integ.clock.advance(hours=24)
    delivery.run_pass()
    second = LINK.search(mailoutbox[-1].body)
    assert second is not None
    assert second.group(0) != link.group(0)
    assert QuestionnaireLinkUse.objects.filter(questionnaire=questionnaire).count() == 1


def test_a_link_for_another_patient_or_a_forged_one_does_not_work(integ: Integ) -> None:
    questionnaire, _ = _post_course(integ)
    token = reminders.make_link(questionnaire).rstrip("/").rsplit("/", 1)[1]
    other = Client()
    other.force_login(patient_user(integ.clinic.cleared_patient(given_name="Other")))
    refused = other.get(reverse("portal:questionnaire_link", args=[token]))
    assert refused.status_code == 404
    assert "This link does not work" in refused.content.decode()
    assert integ.patient.family_name not in refused.content.decode()
    # The refusal is audited under the patient whose link it was, so that their record shows the attempt.
    denied = AuditEvent.objects.get(action="clinic.access.denied")
    assert denied.patient_id == integ.patient.pk
    mine = Client()
    mine.force_login(patient_user(integ.patient))
    assert mine.get(reverse("portal:questionnaire_link", args=[token[:-2] + "xx"])).status_code == 404
    assert not QuestionnaireLinkUse.objects.exists()


def test_an_expired_link_says_so(integ: Integ, monkeypatch: pytest.MonkeyPatch) -> None:
    questionnaire, _ = _post_course(integ)
    token = reminders.make_link(questionnaire).rstrip("/").rsplit("/", 1)[1]
    later = time.time() + 73 * 3600  # the protocol's 72 h, and an hour
    monkeypatch.setattr(signing.time, "time", lambda: later)
    client = Client()
    client.force_login(patient_user(integ.patient))
    expired = client.get(reverse("portal:questionnaire_link", args=[token]))
    assert expired.status_code == 410
    assert "This link has expired" in expired.content.decode()


def test_a_link_to_an_answered_questionnaire_thanks_the_patient(
    integ: Integ, django_capture_on_commit_callbacks: Any
) -> None:
    questionnaire, _ = _post_course(integ)
    token = reminders.make_link(questionnaire).rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        integ.phq9(6, integ.clock.now + dt.timedelta(hours=1))
    client = Client()
    client.force_login(patient_user(integ.patient))
    page = client.get(reverse("portal:questionnaire_link", args=[token]))
    assert page.status_code == 200
    assert "this questionnaire is answered" in page.content.decode()


def test_opting_out_stops_the_nudges_not_the_announcement(integ: Integ, mailoutbox: list[Any]) -> None:
    integ.patient.non_clinical_opt_out = True
    integ.patient.save()
    questionnaire, _ = _post_course(integ)
    delivery.run_pass()
    integ.clock.advance(hours=24)
    delivery.run_pass()
    statuses = {(r.kind, r.occurrence): r.status for r in _reminders(questionnaire)}
    assert statuses[("questionnaire_due", 1)] == ReminderStatus.SENT
    assert statuses[("questionnaire_nudge", 1)] == ReminderStatus.SKIPPED
    assert len(mailoutbox) == 1
