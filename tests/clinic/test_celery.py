"""Celery round trips through a real worker process: on Redis (CI) and on the embedded filesystem transport."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import transaction

from clinic import tasks
from clinic.celery import app as clinic_app
from tests.processes import running

ROOT = Path(__file__).resolve().parents[2]


def running_worker(extra_args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` process for the duration of the block."""
    cmd = [sys.executable, "-m", "celery", "-A", "clinic", "worker", "--pool=solo", "--loglevel=INFO",
           "--without-heartbeat", "--without-gossip", "--without-mingle",
           "-n", f"test-{os.getpid()}@%h", *extra_args]  # fmt: skip
    return running(cmd, cwd=ROOT, env=env, log=log)


def filesystem_transport(root: Path, base_env: dict[str, str]) -> tuple[Celery, dict[str, str]]:
    """A client of kombu's filesystem transport under `root` (the embedded mode), and the environment of a worker
    that reads the same folders. The client does not become Celery's current app."""
    for folder in ("queue", "processed", "results", "control"):
        (root / folder).mkdir(parents=True)
    client = Celery("test-client", broker="filesystem://", backend=f"file://{root / 'results'}", set_as_current=False)
    client.conf.broker_transport_options = {
        "data_folder_in": str(root / "queue"),
        "data_folder_out": str(root / "queue"),
        "processed_folder": str(root / "processed"),
        "control_folder": str(root / "control"),
    }
    env = {k: v for k, v in base_env.items() if k != "REDIS_URL"} | {"CELERY_FS_ROOT": str(root)}
    return client, env


def _round_trip(client: Celery, worker: subprocess.Popen[bytes], log: Path) -> dict[str, object]:
    result = client.send_task("clinic.tasks.ping", args=["hello from the test"])
    deadline = time.monotonic() + 90
    while not result.ready():
        if worker.poll() is not None:
            pytest.fail("the worker died:\n" + log.read_text()[-3000:])
        if time.monotonic() > deadline:
            pytest.fail("no answer from the worker in 90 s:\n" + log.read_text()[-3000:])
        time.sleep(0.2)
    return result.get(timeout=5)


@pytest.fixture
def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["KAP_TESTING"] = "1"
    return env


@pytest.mark.redis
def test_round_trip_through_a_worker_on_redis(tmp_path: Path, base_env: dict[str, str]) -> None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail("REDIS_URL is not set")
    queue = f"test-{os.getpid()}-{time.time_ns()}"
    env = {**base_env, "REDIS_URL": redis_url}
    client = Celery("test-client", broker=redis_url, backend=redis_url)
    client.conf.task_default_queue = queue
    log = tmp_path / "worker.log"
    try:
        with running_worker(["-Q", queue], env, log) as worker:
            answer = _round_trip(client, worker, log)
    finally:
        client.close()
    assert answer["echo"] == "hello from the test"
    assert answer["pid"] != os.getpid()  # answered by another process


def test_round_trip_through_a_worker_on_the_filesystem_transport(tmp_path: Path, base_env: dict[str, str]) -> None:
    """The embedded mode of `make run`: no Redis, a real worker process reading kombu's filesystem queue."""
    client, env = filesystem_transport(tmp_path / "celery", base_env)
    log = tmp_path / "worker.log"
    try:
        with running_worker([], env, log) as worker:
            answer = _round_trip(client, worker, log)
    finally:
        client.close()
    assert answer["echo"] == "hello from the test"
    assert answer["pid"] != os.getpid()


def test_celery_is_configured_for_safe_side_effects() -> None:
    conf = clinic_app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT > conf.task_soft_time_limit
    assert "heartbeat" in conf.beat_schedule
    expected_broker = "redis" if os.environ.get("REDIS_URL") else "filesystem"
    assert conf.broker_url.startswith(expected_broker)


@pytest.mark.django_db(transaction=True)
def test_queue_after_commit_sends_nothing_when_the_transaction_rolls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(
        tasks.ping, "apply_async", lambda args=None, kwargs=None, **options: sent.append(tuple(args or ()))
    )

    def queue_then_fail() -> None:
        with transaction.atomic():
            tasks.ping.delay_on_commit("rolled back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        queue_then_fail()
    with transaction.atomic():
        tasks.ping.delay_on_commit("committed")
        assert sent == []  # not before the commit
    assert sent == [("committed",)]


def test_heartbeat_runs_twice_safely() -> None:
    from django.core.cache import cache

    first = tasks.heartbeat.apply().get()
    second = tasks.heartbeat.apply().get()
    assert second >= first
    assert cache.get("celery:last-heartbeat") == second  # the second run overwrote, nothing piled up
