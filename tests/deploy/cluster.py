"""Several machines on one: N gunicorn servers and N Celery workers sharing the test database and broker (PostgreSQL
and Redis in CI; a shared SQLite file and the filesystem transport otherwise), each a real process started with
tests/processes.py. For the tests of the stateless web tier (tests/deploy/test_two_servers.py)."""

from __future__ import annotations

import http.client
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

from celery import Celery
from django.db import connection

from tests.processes import running

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Browser:
    """A client of one server at a time that keeps its cookies, as a browser would across a load balancer."""

    cookies: dict[str, str] = field(default_factory=dict)
    last_body: bytes = b""

    def request(
        self, port: int, method: str, path: str, form: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{port}/"}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        self.last_body = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response

    def request_text(self, port: int, path: str) -> str:
        """A GET's page as text (an empty string when it is not a 200)."""
        response = self.request(port, "GET", path)
        return self.last_body.decode() if response.status == 200 else ""


@dataclass
class Cluster:
    env: dict[str, str]
    web_ports: list[int]
    database_file: Path | None

    def client(self) -> Celery:
        """A Celery client of the broker the workers share, with a result backend."""
        if redis_url := self.env.get("REDIS_URL"):
            return Celery("cluster-client", broker=redis_url, backend=redis_url)
        root = Path(self.env["CELERY_FS_ROOT"])
        client = Celery("cluster-client", broker="filesystem://", backend=f"file://{root / 'results'}")
        client.conf.broker_transport_options = {
            "data_folder_in": str(root / "queue"),
            "data_folder_out": str(root / "queue"),
            "processed_folder": str(root / "processed"),
            "control_folder": str(root / "control"),
        }
        return client

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """What the machines wrote, read as they see it: PostgreSQL through the test's connection, SQLite from the
        file they share (the test's own in-memory database is not theirs). `%s` placeholders, as Django's."""
        if self.database_file is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        with closing(sqlite3.connect(self.database_file)) as shared:
            return list(shared.execute(sql.replace("%s", "?"), params).fetchall())

    def share(self) -> None:
        """SQLite: copy the test's in-memory database into the file the processes use (PostgreSQL shares already)."""
        if self.database_file is not None:
            connection.ensure_connection()
            with closing(sqlite3.connect(self.database_file)) as target:
                connection.connection.backup(target)


def environment(tmp: Path) -> tuple[dict[str, str], Path | None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(KAP_TESTING="1", ALLOWED_HOSTS="127.0.0.1", CELERY_FS_ROOT=str(tmp / "celery"))
    for folder in ("queue", "processed", "results", "control"):
        (tmp / "celery" / folder).mkdir(parents=True, exist_ok=True)
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{quote(s['USER'])}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
        return env, None
    env.pop("REDIS_URL", None)  # SQLite runs are the embedded mode: no Redis either
    database_file = tmp / "shared.sqlite3"
    env["DATABASE_URL"] = f"sqlite:///{database_file}"
    return env, database_file


@contextmanager
def cluster(tmp: Path, *, web: int = 2, workers: int = 0, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """`web` gunicorn servers and `workers` Celery workers; `env` adds to (or overrides) their environment."""
    env, database_file = _with(environment(tmp), env or {})
    ports = [free_port() for _ in range(web)]
    shared = Cluster(env, ports, database_file)
    shared.share()
    with ExitStack() as stack:
        for n, port in enumerate(ports):
            cmd = [sys.executable, "-m", "gunicorn", "clinic.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"]
            stack.enter_context(running(cmd, cwd=ROOT, env=env, log=tmp / f"web-{n}.log"))
        for n in range(workers):
            cmd = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "clinic",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"cluster{n}-{os.getpid()}@%h",
            ]
            stack.enter_context(running(cmd, cwd=ROOT, env=env, log=tmp / f"worker-{n}.log"))
        for n, port in enumerate(ports):
            _wait_healthy(port, tmp / f"web-{n}.log")
        yield shared


def _with(made: tuple[dict[str, str], Path | None], extra: dict[str, str]) -> tuple[dict[str, str], Path | None]:
    env, database_file = made
    return env | extra, database_file


def _wait_healthy(port: int, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if Browser().request(port, "GET", "/healthz/").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn on {port} did not answer /healthz/:\n{log.read_text()[-2000:]}")
