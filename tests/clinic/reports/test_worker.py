"""A report rendered by a real `celery worker` process: on Redis (CI) and on the filesystem transport of the
embedded mode. The worker reads the test database, so it needs one another process can open (PostgreSQL)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection

from clinic.models import ReportJob, ReportStatus
from tests.clinic.reports.support import Course, ask, pdf_text
from tests.clinic.test_celery import ROOT, filesystem_transport, running_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKER_ARGS = ["-Q", "reports"]


@pytest.fixture
def worker_env(settings: Any) -> dict[str, str]:
    """The worker's environment: this test database, and the media folder it stores files in (the default one,
    which this process then reads too)."""
    if connection.vendor != "postgresql":
        pytest.fail("a worker process needs a database it can open: run with DATABASE_URL=postgres://...")
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    url = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    settings.MEDIA_ROOT = str(ROOT / "var" / "media")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return {**env, "KAP_TESTING": "1", "DATABASE_URL": url}


def _wait_until_done(job: ReportJob, worker: Any, log: Path) -> ReportJob:
    deadline = time.monotonic() + 90
    while True:
        job.refresh_from_db()
        if job.status != ReportStatus.PENDING:
            return job
        if worker.poll() is not None:
            pytest.fail("the worker died:\n" + log.read_text()[-3000:])
        if time.monotonic() > deadline:
            pytest.fail("the report was not made in 90 s:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


def _render_through(client: Celery, env: dict[str, str], job: ReportJob, log: Path) -> None:
    """Send the job's render to a real worker, wait for it, check the stored PDF and remove it."""
    try:
        with running_worker(WORKER_ARGS, env, log) as worker:
            client.send_task("clinic.reports.render_report", args=[job.pk, None], queue="reports")
            job = _wait_until_done(job, worker, log)
            assert worker.pid != os.getpid()
    finally:
        client.close()
    try:
        assert job.status == ReportStatus.READY, job.error
        assert job.attempts == 1
        with job.file.open("rb") as stored:
            text = "\n".join(pdf_text(stored.read()))
        assert "Course summary" in text
        assert "35.0 mg" in text
    finally:
        if job.file:
            job.file.storage.delete(job.file.name)


@pytest.mark.redis
def test_a_worker_on_redis_renders_a_requested_report(
    course: Course, worker_env: dict[str, str], tmp_path: Path
) -> None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.fail("REDIS_URL is not set")
    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    client = Celery("test-client", broker=redis_url, set_as_current=False)
    _render_through(client, {**worker_env, "REDIS_URL": redis_url}, job, tmp_path / "worker.log")


def test_a_worker_on_the_filesystem_transport_renders_a_requested_report(
    course: Course, worker_env: dict[str, str], tmp_path: Path
) -> None:
    """The embedded mode of `make run`: no Redis, kombu's filesystem queue."""
    client, env = filesystem_transport(tmp_path / "celery", worker_env)
    job = ask(course.clinic.nurse, course.patient, "course_summary", course=course.course.pk).job
    _render_through(client, env, job, tmp_path / "worker.log")
