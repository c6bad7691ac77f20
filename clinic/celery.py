"""The Celery app. Configured from Django settings (CELERY_*): JSON only, time limits, acks_late.

Broker: Redis when REDIS_URL is set; otherwise kombu's filesystem transport under var/celery, so that a real
worker and beat run without Redis (the embedded mode of `make run`).

Beat runs once however many are started (docs/deploy.md): `SingleBeatScheduler` sends nothing until it holds the
beat lock, a Redis lock (redis-py's `Lock`, renewed on every tick, so a beat that dies frees it within
`BEAT_LOCK_SECONDS`) when REDIS_URL is set, else an exclusive `flock` on a file beside the embedded broker's folders.
A second beat waits at start-up and takes over when the first stops: a rolling update, or two hosts.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path
from typing import Any, Protocol

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

# DjangoTask gives every task delay_on_commit()/apply_async_on_commit(): queue only once the transaction commits.
app = Celery("clinic", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_scheduler = "clinic.celery:SingleBeatScheduler"
app.autodiscover_tasks()

logger = logging.getLogger(__name__)
BEAT_LOCK_KEY = "kap:celery-beat-lock"
BEAT_LOCK_SECONDS = 60  # a beat that died frees the lock after this long
BEAT_REFRESH_SECONDS = 15  # the holder renews it at least this often
BEAT_WAIT_SECONDS = 5  # a waiting beat tries again this often


class BeatLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock if it is free; never waits."""

    def renew(self) -> bool:
        """Keep the lock; False if it was lost (then stop sending)."""

    def release(self) -> None: ...


class RedisBeatLock:
    """A lock in Redis that expires unless renewed: a beat that is killed frees it within `seconds`."""

    def __init__(self, url: str, *, key: str = BEAT_LOCK_KEY, seconds: float = BEAT_LOCK_SECONDS) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.lock = self.client.lock(key, timeout=seconds, thread_local=False)

    def acquire(self) -> bool:
        return bool(self.lock.acquire(blocking=False))

    def renew(self) -> bool:
        from redis.exceptions import LockError

        try:
            self.lock.reacquire()
        except LockError:
            return False
        return True

    def release(self) -> None:
        from redis.exceptions import LockError

        with contextlib.suppress(LockError):  # expired or taken over meanwhile: nothing of ours to release
            self.lock.release()


class FileBeatLock:
    """An exclusive `flock` on a file: held while the process lives, freed by the kernel when it dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: Any = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return False
        self.file = file
        return True

    def renew(self) -> bool:
        return self.file is not None

    def release(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None


def beat_lock() -> BeatLock:
    from django.conf import settings

    redis_url = getattr(settings, "CELERY_BROKER_URL", "")
    if isinstance(redis_url, str) and redis_url.startswith(("redis://", "rediss://")):
        return RedisBeatLock(redis_url)
    return FileBeatLock(Path(settings.CELERY_ROOT) / "beat.lock")


class SingleBeatScheduler(PersistentScheduler):
    """Celery's file-backed scheduler that sends only while it holds the beat lock. It waits for the lock before it
    opens its schedule file, and stops sending if it loses it (Redis unreachable for longer than the lock lasts)
    until it has it again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.beat_lock = beat_lock()
        self.holding = False
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        waiting_said = False
        while not self.beat_lock.acquire():
            if not waiting_said:
                logger.info("beat: another beat holds the beat lock; this one waits and takes over when it stops")
                waiting_said = True
            time.sleep(BEAT_WAIT_SECONDS)
        self.holding = True
        logger.info("beat: this beat holds the beat lock and sends the periodic tasks")
        super().setup_schedule()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self.holding and not self.beat_lock.renew():
            logger.warning("beat: the beat lock was lost; sending nothing until it is held again")
            self.holding = False
        if not self.holding:
            self.holding = self.beat_lock.acquire()
            if not self.holding:
                return BEAT_WAIT_SECONDS
            logger.info("beat: this beat holds the beat lock again")
        return min(float(super().tick(*args, **kwargs)), BEAT_REFRESH_SECONDS)

    def close(self) -> None:
        super().close()
        if self.holding:
            self.beat_lock.release()
            self.holding = False
