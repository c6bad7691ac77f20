"""The benchmark's background measurements: reminders dispatched by two worker processes against a no-op task, and
the PDF course summary against WeasyPrint alone (bench/pdf_summary.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import redis
from celery import Celery

from tests.processes import running

ROOT = Path(__file__).resolve().parents[1]
NOOP_COUNTER = "bench:noop-done"
# The reminders bench.prepare made (the care-team alerts of its own nurse "bench-alerts"), not the seeded ones.
MINE = ("kind = 'staff_alert' AND recipient_user_id = "
        "(SELECT id FROM clinic_user WHERE username = 'bench-alerts')")  # fmt: skip


@contextmanager
def workers(env: dict[str, str], logs: Path, count: int = 2) -> Iterator[None]:
    """`count` Celery worker processes (one process each) on the default, reminders and bench queues."""
    with ExitStack() as stack:
        for n in range(count):
            cmd = [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--pool=solo", "--loglevel=WARNING",
                   "-Q", "celery,reminders,bench", "-n", f"bench{n}@%h", "--without-gossip",
                   "--without-mingle"]  # fmt: skip
            stack.enter_context(running(cmd, cwd=ROOT, env=env, log=logs / f"worker-{n}.log"))
        client = Celery("bench", broker=env["REDIS_URL"])
        deadline = time.monotonic() + 120
        while len(client.control.ping(timeout=1.0) or []) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers did not start; see {logs}/worker-*.log")
        yield


def _wait(done: Any, total: int, timeout: float) -> None:
    began = time.monotonic()
    while done() < total:
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"only {done()} of {total} done after {timeout:.0f} s")
        time.sleep(0.05)


def reminders(env: dict[str, str], database_url: str, count: int, logs: Path) -> dict[str, Any]:
    """Tasks per second through two workers: no-op tasks, then the due reminders that bench.prepare made (claimed
    by the beat task, sent one task each through the real path), and whether each went exactly once."""
    broker = redis.Redis.from_url(env["REDIS_URL"])
    client = Celery("bench", broker=env["REDIS_URL"])
    with workers(env, logs), psycopg.connect(database_url, autocommit=True) as db:
        broker.set(NOOP_COUNTER, 0)
        began = time.monotonic()
        with client.connection_for_write() as connection:
            for _ in range(count):
                client.send_task("bench.tasks.noop", queue="bench", connection=connection)
        _wait(lambda: int(broker.get(NOOP_COUNTER) or 0), count, 600)
        noop_s = time.monotonic() - began  # from the first message sent to the last task done

        def sent() -> int:
            row = db.execute(f"SELECT count(*) FROM clinic_reminder WHERE {MINE} AND status = 'sent'")  # noqa: S608
            found = row.fetchone()
            return int(found[0]) if found else 0

        began = time.monotonic()
        client.send_task("clinic.tasks.send_due_reminders", queue="celery")
        _wait(sent, count, 900)
        reminders_s = time.monotonic() - began
        attempts = db.execute(f"SELECT coalesce(sum(attempts), 0), count(*) FROM clinic_reminder "  # noqa: S608
                              f"WHERE {MINE}").fetchone()  # fmt: skip
    return {
        "count": count,
        "noop_per_s": count / noop_s,
        "reminders_per_s": count / reminders_s,
        "exactly_once": attempts == (count, count),
    }


def pdf(env: dict[str, str]) -> dict[str, Any]:
    """The PDF course summary in a warm worker against WeasyPrint rendering the same HTML alone (median of 10):
    bench/pdf_summary.py, in its own process with the benchmark's settings and database."""
    done = subprocess.run([sys.executable, "-m", "bench.pdf_summary"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    if done.returncode:
        return {"met": None, "figures": f"failed: {done.stderr.strip().splitlines()[-1:]}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
