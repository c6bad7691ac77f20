from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from clinic import notifications
from clinic.errors import Conflict, InvalidInput
from clinic.models import AuditEvent, Notification, NotificationKind, NotificationSeverity, Patient, Role, User
from clinic.notifications import notify_care_team
from tests.conftest import World
from tests.factories import PatientFactory, SiteFactory, on_care_team, staff


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


# --- Severity, ranking, acknowledgement (issue 8, item 6) ---------------------------------------------------------


def _alert(patient: Patient, key: str, **kwargs: Any) -> list[Notification]:
    defaults: dict[str, Any] = {"kind": NotificationKind.SAFETY_ALERT, "title": f"Alert {key}"}
    return notify_care_team(patient, dedupe_key=key, **{**defaults, **kwargs})


def _team(world: World) -> Patient:
    on_care_team(world.patient_a, world.nurse1)
    on_care_team(world.patient_a, world.prescriber1)
    return world.patient_a


@pytest.mark.parametrize(
    ("kind", "severity", "expected"),
    [
        (NotificationKind.SAFETY_ALERT, None, NotificationSeverity.WARNING),
        (NotificationKind.INFO, None, NotificationSeverity.INFO),
        (NotificationKind.REMINDER, None, NotificationSeverity.INFO),
        (NotificationKind.SAFETY_ALERT, NotificationSeverity.CRITICAL, NotificationSeverity.CRITICAL),
    ],
)
@pytest.mark.django_db
def test_severity_comes_from_the_kind_unless_the_caller_sets_it(
    world: World, kind: NotificationKind, severity: NotificationSeverity | None, expected: NotificationSeverity
) -> None:
    [note] = notify_care_team(world.patient_a, kind=kind, title="Something", severity=severity)
    assert note.severity == expected


@pytest.mark.django_db
def test_alerts_needing_action_are_ranked_by_severity_then_newest(world: World) -> None:
    patient = _team(world)
    _alert(patient, "old-critical", severity=NotificationSeverity.CRITICAL)
    _alert(patient, "warning")
    _alert(patient, "info", kind=NotificationKind.INFO)
    [read_info] = [n for n in _alert(patient, "read-info", kind=NotificationKind.INFO) if n.recipient == world.nurse1]
    notifications.mark_read(by=world.nurse1, notification=read_info)
    titles = [n.title for n in notifications.needing_action(notifications.notifications_for(world.nurse1))]
    assert titles == ["Alert old-critical", "Alert warning", "Alert info"]  # read information needs no action


@pytest.mark.django_db
def test_one_acknowledgement_closes_the_alert_for_the_whole_team_and_is_audited(world: World) -> None:
    patient = _team(world)
    rows = _alert(patient, "suicide", severity=NotificationSeverity.CRITICAL)
    own = next(n for n in rows if n.recipient == world.nurse1)
    result = notifications.acknowledge(by=world.nurse1, notification=own, note="Called the patient; safe, plan agreed.")
    assert result.rows == len(rows) == 3  # therapist, nurse, prescriber
    for row in Notification.objects.all():
        assert (row.acknowledged_by, row.acknowledgement_note) == (
            world.nurse1,
            "Called the patient; safe, plan agreed.",
        )
    assert Notification.objects.get(pk=own.pk).read_at is not None
    assert Notification.objects.filter(read_at__isnull=True).count() == 2  # reading stays personal
    event = AuditEvent.objects.get(action="clinic.notification.acknowledge")
    assert (event.actor, event.patient, event.details["rows"]) == (world.nurse1, patient, 3)
    assert notifications.unread_count(world.prescriber1) == 0


@pytest.mark.django_db
def test_a_second_acknowledgement_is_refused_naming_who_did_it(world: World) -> None:
    patient = _team(world)
    rows = _alert(patient, "vitals")
    nurse_row = next(n for n in rows if n.recipient == world.nurse1)
    prescriber_row = next(n for n in rows if n.recipient == world.prescriber1)
    notifications.acknowledge(by=world.nurse1, notification=nurse_row, note="Paused the infusion, BP rechecked.")
    with pytest.raises(Conflict) as refused:
        notifications.acknowledge(by=world.prescriber1, notification=prescriber_row, note="Me too.")
    assert refused.value.code == "already_acknowledged"
    assert refused.value.message.startswith(f"Acknowledged by {world.nurse1.get_full_name()} on ")


@pytest.mark.django_db
def test_a_safety_alert_needs_a_note_and_information_does_not(world: World) -> None:
    patient = _team(world)
    [alert] = [n for n in _alert(patient, "a") if n.recipient == world.nurse1]
    with pytest.raises(InvalidInput) as refused:
        notifications.acknowledge(by=world.nurse1, notification=alert, note="   ")
    assert refused.value.errors == {"note": [notifications.NOTE_REQUIRED]}
    assert Notification.objects.filter(acknowledged_at__isnull=False).count() == 0
    [info] = [n for n in _alert(patient, "i", kind=NotificationKind.INFO) if n.recipient == world.nurse1]
    assert notifications.acknowledge(by=world.nurse1, notification=info, note="").rows == 3


@pytest.mark.django_db
def test_someone_elses_notification_cannot_be_acknowledged(world: World) -> None:
    patient = _team(world)
    [theirs] = [n for n in _alert(patient, "x") if n.recipient == world.prescriber1]
    with pytest.raises(Conflict) as refused:
        notifications.acknowledge(by=world.nurse1, notification=theirs, note="Handled.")
    assert refused.value.code == "not_recipient"


@pytest.mark.django_db
def test_the_header_count_is_one_query_and_leaves_out_what_the_reader_may_not_see(
    world: World, django_assert_num_queries: Any
) -> None:
    patient = _team(world)
    on_care_team(patient, world.front_desk1)
    _alert(patient, "safety")
    _alert(patient, "info", kind=NotificationKind.INFO)
    with django_assert_num_queries(1):
        assert notifications.unread_count(world.nurse1) == 2
    assert notifications.unread_count(world.front_desk1) == 1  # no clinical alert for the front desk
    world.nurse1.sites.clear()  # left the site: the patient is no longer theirs to see
    assert notifications.unread_count(world.nurse1) == 0


# --- The pages --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_staff_page_shows_the_unread_count_in_the_header(world: World, client: Client) -> None:
    _alert(_team(world), "one")
    client.force_login(world.nurse1)
    for url in ("/staff/", "/staff/intake/", f"/staff/patients/{world.patient_a.pk}/"):
        assert 'aria-label="Alerts, 1 unread"' in client.get(url).content.decode(), url


@pytest.mark.django_db
def test_the_inbox_lists_only_the_readers_own_alerts(world: World, client: Client) -> None:
    patient = _team(world)
    _alert(patient, "mine", title="For the team")
    notify_care_team(world.patient_b, kind=NotificationKind.SAFETY_ALERT, title="Other site")
    client.force_login(world.nurse1)
    page = client.get("/staff/alerts/?show=all").content.decode()
    assert "For the team" in page
    assert "Other site" not in page
    # The alert is about a patient: the read is audited under that patient, not as an anonymous list.
    listed = AuditEvent.objects.filter(action="clinic.notification.list", actor=world.nurse1)
    assert list(listed.values_list("patient_id", flat=True)) == [patient.pk]
    assert listed.get().details["rows"] == 1


@pytest.mark.django_db
def test_acknowledging_someone_elses_row_answers_404(world: World, client: Client) -> None:
    [theirs] = [n for n in _alert(_team(world), "x") if n.recipient == world.prescriber1]
    client.force_login(world.nurse1)
    response = client.post(f"/staff/alerts/{theirs.pk}/acknowledge/", {f"ack{theirs.pk}-note": "Done."})
    assert response.status_code == 404
    assert client.post(f"/staff/alerts/{theirs.pk}/open/").status_code == 404


@pytest.mark.django_db
def test_a_refused_acknowledgement_comes_back_with_the_reason_beside_the_note(world: World, client: Client) -> None:
    [own] = [n for n in _alert(_team(world), "x") if n.recipient == world.nurse1]
    client.force_login(world.nurse1)
    response = client.post(f"/staff/alerts/{own.pk}/acknowledge/", {f"ack{own.pk}-note": "", "next": "/staff/"})
    assert response.status_code == 400
    page = response.content.decode()
    assert notifications.NOTE_REQUIRED in page
    assert 'name="next" value="/staff/"' in page
    ok = client.post(f"/staff/alerts/{own.pk}/acknowledge/", {f"ack{own.pk}-note": "Rang her.", "next": "/staff/"})
    assert ok.status_code == 302
    assert ok["Location"] == "/staff/"


@pytest.mark.parametrize(
    ("link", "expected"), [("/staff/intake/", "/staff/intake/"), ("https://elsewhere.invalid/", "/staff/alerts/")]
)
@pytest.mark.django_db
def test_opening_an_alert_marks_it_read_and_follows_only_a_local_link(
    world: World, client: Client, link: str, expected: str
) -> None:
    rows = _alert(_team(world), "x", link=link)
    own = next(n for n in rows if n.recipient == world.nurse1)
    client.force_login(world.nurse1)
    response = client.post(f"/staff/alerts/{own.pk}/open/")
    assert response["Location"] == expected
    assert Notification.objects.get(pk=own.pk).read_at is not None
    assert Notification.objects.filter(read_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action="clinic.notification.read").count() == 1


# --- Concurrency ------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_team_members_acknowledging_at_once_one_wins(require_postgres: None) -> None:
    site = SiteFactory(code="ACKRACE")
    patient = PatientFactory(site=site)
    members = [staff(Role.NURSE, site) for _ in range(4)]
    for member in members:
        on_care_team(patient, member)
    rows = {n.recipient_id: n for n in _alert(patient, "race", severity=NotificationSeverity.CRITICAL)}
    barrier = threading.Barrier(len(members))
    outcomes: list[str] = []

    def run(member: User) -> None:
        try:
            barrier.wait(timeout=30)
            notifications.acknowledge(by=member, notification=rows[member.pk], note=f"Called by {member.username}.")
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already_acknowledged"] * 3 + ["ok"]
    assert Notification.objects.values("acknowledged_by").distinct().count() == 1
    assert AuditEvent.objects.filter(action="clinic.notification.acknowledge").count() == 1


@pytest.mark.django_db
def test_a_message_about_no_patient_shows_on_the_installations_clock(world: World, client: Client) -> None:
    Notification.objects.create(recipient=world.nurse1, kind=NotificationKind.INFO, title="Chair 2 is out of order")
    client.force_login(world.nurse1)
    page = client.get("/staff/alerts/?show=all")
    assert page.status_code == 200
    assert "Chair 2 is out of order" in page.content.decode()
    assert "Mark as read" in page.content.decode()
