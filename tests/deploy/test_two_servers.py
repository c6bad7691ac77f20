"""The web tier is stateless (issue 13, item 5): two gunicorn servers and two Celery workers on one database and one
broker (PostgreSQL and Redis in CI; a shared SQLite file and the filesystem transport otherwise). Whoever signs in on
one server is signed in on the other (sign-in sessions live in the database); a report asked for on one is rendered
by a worker and downloaded from the other (files in the shared storage, STORAGE_URL); due reminders are sent once
each, though both workers run the dispatch at the same time."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone

from clinic.models import Notification, NotificationKind, Role
from clinic.reminders.models import Reminder
from tests.clinic.reports.support import freeze_clock, make_course
from tests.conftest import World
from tests.deploy.cluster import Browser, cluster
from tests.factories import PatientFactory, patient_user, staff

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "two-servers-test-password"


def test_a_patient_signed_in_on_one_server_is_signed_in_on_the_other(tmp_path: Path) -> None:
    user = patient_user(PatientFactory())
    user.set_password(PASSWORD)
    user.save()
    with cluster(tmp_path, web=2) as machines:
        first, second = machines.web_ports
        browser = Browser()
        login = browser.request(first, "GET", "/accounts/login/")
        assert login.status == 200
        token = browser.cookies["csrftoken"]
        signed_in = browser.request(
            first,
            "POST",
            "/accounts/login/",
            {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        assert signed_in.status == 302, "the sign-in on the first server was refused"
        assert browser.request(second, "GET", "/portal/").status == 200
        stranger = Browser()
        refused = stranger.request(second, "GET", "/portal/")
        assert refused.status == 302
        assert re.search(r"/accounts/login/", refused.getheader("Location", ""))


def test_the_workers_of_the_cluster_share_one_broker(tmp_path: Path) -> None:
    with cluster(tmp_path, web=1, workers=2) as machines:
        client = machines.client()
        try:
            results = [client.send_task("clinic.tasks.ping", args=[f"ping {n}"]) for n in range(4)]
            answers = [result.get(timeout=90) for result in results]
        finally:
            client.close()
    assert [a["echo"] for a in answers] == [f"ping {n}" for n in range(4)]
    assert os.getpid() not in {a["pid"] for a in answers}


def _sign_in(browser: Browser, port: int, username: str) -> None:
    assert browser.request(port, "GET", "/accounts/login/").status == 200
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
    assert browser.request(port, "POST", "/accounts/login/", form).status == 302, f"{username} was refused"


def _within[T](seconds: float, what: str, find: Callable[[], T | None], tmp: Path) -> T:
    deadline = time.monotonic() + seconds
    while (found := find()) is None:
        if time.monotonic() > deadline:
            logs = "\n---\n".join(f"{log.name}:\n{log.read_text()[-1500:]}" for log in sorted(tmp.glob("*.log")))
            pytest.fail(f"{what} within {seconds:.0f} s:\n{logs}")
        time.sleep(0.5)
    return found


def test_a_report_asked_for_on_one_server_is_downloaded_from_the_other(
    tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = make_course(world, freeze_clock(monkeypatch))  # made under a frozen clock; the servers run on real time
    monkeypatch.undo()
    user = world.patient_a_user
    user.set_password(PASSWORD)
    user.save()
    storage = {"STORAGE_URL": f"file://{tmp_path / 'shared-files'}"}
    with cluster(tmp_path, web=2, workers=2, env=storage) as machines:
        first, second = machines.web_ports
        browser = Browser()
        _sign_in(browser, first, user.username)
        form = {
            "kind": "course_summary",
            "course": str(course.course.pk),
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        }
        assert browser.request(first, "POST", "/portal/reports/", form).status in {200, 302}

        def ready_link() -> str | None:
            page = browser.request_text(second, "/portal/reports/")
            found = re.search(r'href="(/portal/reports/\d+/download/)"', page)
            return found.group(1) if found else None

        link = _within(120, "no download link on the second server", ready_link, tmp_path)
        download = browser.request(second, "GET", link)
        assert download.status == 200
        assert download.getheader("Content-Type") == "application/pdf"
        assert browser.last_body.startswith(b"%PDF")
        assert list((tmp_path / "shared-files" / "reports").glob("*.pdf")), "not in the shared storage"
        assert Browser().request(second, "GET", link).status == 302  # and not for a stranger


def test_due_reminders_are_sent_once_by_two_workers(tmp_path: Path, world: World) -> None:
    nurse = staff(Role.NURSE, world.site1, username="cluster_nurse", email="cluster.nurse@example.invalid")
    now = timezone.now()
    alerts = Notification.objects.bulk_create(
        Notification(recipient=nurse, patient=world.patient_a, kind=NotificationKind.SAFETY_ALERT,
                     title="New safety alert", link="/staff/", dedupe_key=f"cluster-{n}") for n in range(20)
    )  # fmt: skip
    Reminder.objects.bulk_create(
        Reminder(kind="staff_alert", channel="email", patient=world.patient_a, recipient_user=nurse,
                 subject_type="clinic.notification", subject_id=alert.pk, due_at=now, next_attempt_at=now)
        for alert in alerts
    )  # fmt: skip
    outbox = tmp_path / "mail"  # the file mailer: each worker appends the messages it sends
    mailer = {"EMAIL_URL": f"filemail:///{outbox}"}  # an absolute path takes the fourth slash
    with cluster(tmp_path, web=0, workers=2, env=mailer) as machines:
        client = machines.client()
        try:  # two passes at once, one per worker, as two beats (or a beat and a late tick) would send them
            for _ in range(2):
                client.send_task("clinic.tasks.send_due_reminders")
        finally:
            client.close()
        sql = "SELECT status, attempts FROM clinic_reminder WHERE kind = %s"

        def all_sent() -> list[tuple[object, ...]] | None:
            rows = machines.rows(sql, ("staff_alert",))
            return rows if all(status == "sent" for status, _ in rows) else None

        rows = _within(120, "the reminders were not all sent", all_sent, tmp_path)
    assert rows == [("sent", 1)] * 20
    mails = "".join(sent.read_text() for sent in outbox.glob("*"))
    sent = re.findall(r"^Message-ID: (\S+)", mails, re.MULTILINE)
    assert len(sent) == 20, f"{len(sent)} emails for 20 reminders"
    assert len(set(sent)) == 20
