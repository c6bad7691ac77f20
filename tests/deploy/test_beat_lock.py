"""Beat runs once however many are started (clinic/celery.py): the lock itself on Redis and on a file, and two real
`celery beat` processes of which one sends while the other waits, and takes over when the first stops."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from clinic.celery import FileBeatLock, RedisBeatLock
from tests.processes import running

ROOT = Path(__file__).resolve().parents[2]
HOLDS = "this beat holds the beat lock"
WAITS = "another beat holds the beat lock"


def test_a_file_lock_is_held_by_one_until_released(tmp_path: Path) -> None:
    first, second = FileBeatLock(tmp_path / "beat.lock"), FileBeatLock(tmp_path / "beat.lock")
    assert first.acquire()
    assert not second.acquire()
    assert first.renew()
    first.release()
    assert second.acquire()
    assert not first.renew()
    second.release()


@pytest.mark.redis
def test_a_redis_lock_is_held_by_one_and_lost_when_it_expires() -> None:
    key = f"test-beat-lock-{uuid.uuid4().hex}"
    url = os.environ["REDIS_URL"]
    first, second = RedisBeatLock(url, key=key, seconds=30), RedisBeatLock(url, key=key, seconds=30)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.renew()
        first.client.delete(key)  # what expiry does when the holder stops renewing
        assert not first.renew()
        assert second.acquire()
        first.release()  # not the holder any more: releases nothing
        assert not first.acquire()
    finally:
        second.release()
        first.client.delete(key)


def _wait_for(condition: Callable[[], bool], seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:.0f} s:\n" + "\n---\n".join(log.read_text()[-2000:] for log in logs))
        time.sleep(0.3)


def test_two_beats_send_once_and_the_second_takes_over(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(KAP_TESTING="1", CELERY_FS_ROOT=str(tmp_path / "celery"))
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]

    def beat(n: int) -> list[str]:
        return [sys.executable, "-m", "celery", "-A", "clinic", "beat", "--loglevel=INFO",
                "--schedule", str(tmp_path / f"schedule-{n}")]  # fmt: skip

    def said(log: Path, words: str) -> bool:
        return log.exists() and words in log.read_text()

    with running(beat(1), cwd=ROOT, env=env, log=logs[0]) as first:
        _wait_for(lambda: said(logs[0], HOLDS), 60, "the first beat did not take the lock", logs)
        with running(beat(2), cwd=ROOT, env=env, log=logs[1]):
            _wait_for(lambda: said(logs[1], WAITS), 60, "the second beat did not wait", logs)
            assert not said(logs[1], HOLDS)
            os.killpg(first.pid, signal.SIGTERM)
            first.wait(timeout=30)
            _wait_for(lambda: said(logs[1], HOLDS), 30, "the second beat did not take over", logs)
