"""Reminders through real processes: a `celery worker` (on Redis when REDIS_URL is set, else the embedded filesystem
transport), one killed with SIGKILL in the middle of a batch, and several `send_due_reminders` at once beside a worker.
Every delivery is appended to a file by the SMS file backend; each reminder must appear there exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from clinic.reminders.models import Reminder
from tests.clinic.reminders.conftest import make_due, visit
from tests.factories import PatientFactory, SiteFactory
from tests.processes import running

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Stage:
    """What the processes share with the test: the database, the broker, the delivery log."""

    env: dict[str, str]
    deliveries: Path
    database_file: Path | None
    tmp: Path

    def delivered(self) -> Counter[str]:
        if not self.deliveries.exists():
            return Counter()
        return Counter(json.loads(line)["reference"] for line in self.deliveries.read_text().splitlines())

    def statuses(self) -> dict[int, str]:
        if self.database_file is None:  # PostgreSQL: the test's connection sees what the processes committed
            return dict(Reminder.objects.values_list("pk", "status"))
        with closing(sqlite3.connect(self.database_file, timeout=20)) as db:
            return dict(db.execute("SELECT id, status FROM clinic_reminder").fetchall())

    def client(self) -> Celery:
        if REDIS_URL:
            return Celery("test-client", broker=REDIS_URL)
        root = Path(self.env["CELERY_FS_ROOT"])
        client = Celery("test-client", broker="filesystem://")
        client.conf.broker_transport_options = {
            "data_folder_in": str(root / "queue"), "data_folder_out": str(root / "queue"),
            "processed_folder": str(root / "processed"), "control_folder": str(root / "control"),
        }  # fmt: skip
        return client


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return f"postgres://{quote(s['USER'])}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def stage(tmp_path: Path) -> Stage:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(KAP_TESTING="1", SMS_URL=f"file://{tmp_path / 'sms'}", REMINDER_LEASE_SECONDS="4")
    database_file = None
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = _database_url()
    else:
        env.pop("REDIS_URL", None)
        database_file = tmp_path / "shared.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{database_file}"
    if not REDIS_URL:
        env["CELERY_FS_ROOT"] = str(tmp_path / "celery")
        for folder in ("queue", "processed", "results", "control"):
            (tmp_path / "celery" / folder).mkdir(parents=True)
    return Stage(env=env, deliveries=tmp_path / "sms" / "messages.jsonl", database_file=database_file, tmp=tmp_path)


def _due_text_reminders(count: int) -> list[Reminder]:
    site = SiteFactory(name="Worker Test Site", code="WORK")
    due = timezone.now() - timedelta(minutes=1)
    return [
        make_due(
            visit(PatientFactory(site=site, phone=f"555-02{n:02d}", preferred_reminder_channel="sms"), n + 1), at=due
        )
        for n in range(count)
    ]


def _share(stage: Stage) -> None:
    """Hand the rows to the processes (SQLite: copy the in-memory test database into the shared file)."""
    if stage.database_file is not None:
        connection.ensure_connection()
        with closing(sqlite3.connect(stage.database_file)) as target:
            connection.connection.backup(target)


def _take_back(stage: Stage) -> None:
    if stage.database_file is not None:
        with closing(sqlite3.connect(stage.database_file)) as source:
            source.backup(connection.connection)


def _process(stage: Stage, *args: str, name: str) -> AbstractContextManager[subprocess.Popen[bytes]]:
    cmd = [sys.executable, "-m", "tests.clinic.reminders.proc", *args]
    return running(cmd, cwd=ROOT, env=stage.env, log=stage.tmp / f"{name}.log")


def _worker(stage: Stage, name: str, *options: str) -> AbstractContextManager[subprocess.Popen[bytes]]:
    return _process(stage, "worker", "--loglevel=INFO", "--without-heartbeat", "--without-gossip",
                    "--without-mingle", "-n", f"{name}-{os.getpid()}@%h", *options, name=name)  # fmt: skip


def _ready(stage: Stage, count: int, slow_sms_seconds: float = 0) -> list[Reminder]:
    """`count` due text-message reminders, shared with the processes, and an empty broker."""
    reminders = _due_text_reminders(count)
    _share(stage)
    stage.env["SLOW_SMS_SECONDS"] = str(slow_sms_seconds)
    if REDIS_URL:  # leftovers of an earlier run must not claim under this test's feet
        client = stage.client()
        try:
            with client.connection_for_write() as conn:
                for queue in ("celery", "reminders"):
                    conn.default_channel.queue_purge(queue)
        finally:
            client.close()
    return reminders


def _trigger_pass(stage: Stage) -> None:
    client = stage.client()
    try:
        client.send_task("clinic.tasks.send_due_reminders", queue="celery")
    finally:
        client.close()


def _wait(condition: Callable[[], bool], what: str, stage: Stage, timeout: float = 90, beat: bool = False) -> None:
    """Wait for `condition`; with `beat`, trigger a pass every 2 s as beat would every minute (a claim whose task
    was lost is claimed again once its lease runs out)."""
    deadline = time.monotonic() + timeout
    next_tick = time.monotonic() + 2
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in stage.tmp.glob("*.log"))
            pytest.fail(f"timed out waiting for {what}; statuses {stage.statuses()}\n{logs}")
        if beat and time.monotonic() > next_tick:
            _trigger_pass(stage)
            next_tick = time.monotonic() + 2
        time.sleep(0.2)


def _all_sent(stage: Stage, count: int) -> Callable[[], bool]:
    return lambda: list(stage.statuses().values()).count("sent") == count


def test_a_worker_sends_each_due_reminder_once_and_a_second_pass_nothing(stage: Stage) -> None:
    reminders = _ready(stage, 5)
    with _worker(stage, "once", "--pool=solo"):
        _trigger_pass(stage)
        _wait(_all_sent(stage, 5), "five reminders sent", stage)
        _trigger_pass(stage)
        time.sleep(3)
    assert stage.delivered() == Counter({r.reference: 1 for r in reminders})
    _take_back(stage)
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(stage: Stage) -> None:
    reminders = _ready(stage, 10, slow_sms_seconds=0.6)
    with _worker(stage, "doomed", "--pool=solo") as doomed:
        _trigger_pass(stage)
        _wait(lambda: sum(stage.delivered().values()) >= 3, "three deliveries", stage)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    at_kill = stage.statuses()
    assert list(at_kill.values()).count("sent") < 10  # killed in the middle of the batch
    assert "sending" in at_kill.values()
    time.sleep(4.5)  # the lease of the killed worker's claims runs out
    with _worker(stage, "reborn", "--pool=solo"):
        _trigger_pass(stage)
        _wait(_all_sent(stage, 10), "all ten reminders sent", stage, beat=True)
    delivered = stage.delivered()
    assert delivered == Counter({r.reference: 1 for r in reminders}), delivered


def test_several_passes_at_once_beside_a_worker_send_each_reminder_once(stage: Stage) -> None:
    reminders = _ready(stage, 24, slow_sms_seconds=0.05)
    with _worker(stage, "busy", "--pool=prefork", "--concurrency=2"):
        _trigger_pass(stage)
        commands = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.clinic.reminders.proc", "send_due_reminders"],
                cwd=ROOT,
                env=stage.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for _ in range(3)
        ]
        outputs = [c.communicate(timeout=120)[0].decode() for c in commands]
        assert [c.returncode for c in commands] == [0, 0, 0], outputs
        _wait(_all_sent(stage, 24), "all reminders sent", stage, beat=True)
    assert stage.delivered() == Counter({r.reference: 1 for r in reminders})
    assert all(out.startswith("Reminders: ") for out in outputs)
