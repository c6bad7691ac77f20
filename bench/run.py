"""The benchmark suite of issue 13: `make bench` (1,000 patients) or `make bench-100k`; bench/README.md.

    .venv/bin/python -m bench.run [--patients 1000] [--seconds 10] [--clients 8] [--workers 2]

It makes (or reuses) the database `kap_bench_<patients>` on the local PostgreSQL, seeds it with `seed_scale`, serves
the app with gunicorn and production settings (DEBUG off, throwaway keys, persistent connections, Redis), signs in
a nurse and a patient, and measures every scenario against the two floor views in the same run. Then a worker's
memory after many requests, reminders dispatched by two workers against a no-op task, and the PDF summary. It
prints the figures and writes bench/results/<date>-<patients>.md (and .json), and bench/RESULTS.md. All traffic stays
on 127.0.0.1 and every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench import background, report
from bench.load import Measure, Scenario, run
from tests.processes import running

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def say(line: str) -> None:
    print(line, flush=True)


def environment(database: str, key: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "CELERY_ALWAYS_EAGER", "KAP_TESTING"}}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"{PG}/{database}",
        REDIS_URL=REDIS,
        SECRET_KEY=secrets.token_urlsafe(60),
        FIELD_ENCRYPTION_KEYS=key,
        ALLOWED_HOSTS=HOST,
        SECURE_PROXY_SSL_HEADER="1",
        DB_CONN_MAX_AGE="600",
        EMAIL_URL="memorymail://",
        REMINDER_BATCH_SIZE="20000",
        # The API's per-user rate limit stays on (its cache read is paid by every API scenario and the DRF floor),
        # at a rate the benchmark's one token never reaches: a 429 is no measure of a page.
        API_THROTTLE_USER="10000000/minute",
        PYTHONPATH=str(ROOT),
    )
    return env


def services_answer() -> None:
    """PostgreSQL and Redis must be up (as in CI); say how to start them rather than fail later."""
    for name, url, port in (("PostgreSQL", PG, 5432), ("Redis", REDIS, 6379)):
        parsed = urlparse(url)
        try:
            socket.create_connection((parsed.hostname or HOST, parsed.port or port), timeout=3).close()
        except OSError:
            raise SystemExit(
                f"{name} does not answer at {url}: start it (.ci/run shows how) or point "
                f"{'BENCH_POSTGRES' if name == 'PostgreSQL' else 'BENCH_REDIS_URL'} at one."
            ) from None


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def database(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """The bench database of this size: reused when it exists (its throwaway key is kept beside it), else made."""
    name = args.database or f"kap_bench_{args.patients}"
    keyfile = ROOT / "var" / "bench" / f"{name}.key"
    query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"  # noqa: S608 - a name made of a number
    exists = subprocess.run(["psql", f"{PG}/postgres", "-tAc", query], capture_output=True, text=True, check=True)
    exists = exists.stdout.strip() == "1"
    if exists and keyfile.exists() and not args.fresh:
        say(f"reusing database {name} (--fresh to make it again)")
        env = environment(name, keyfile.read_text().strip())
        manage(env, "migrate", "--noinput", "-v0")  # what landed since it was seeded (an index, say)
        return name, env
    keyfile.parent.mkdir(parents=True, exist_ok=True)
    keyfile.unlink(missing_ok=True)  # kept only once the database is complete
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = environment(name, key)
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-q", f"{PG}/postgres", "-c", sql], check=True)
    manage(env, "migrate", "--noinput", "-v0")
    say(f"seeding {args.patients:,} patients into {name} ...")
    began = time.monotonic()
    manage(env, "seed_scale", "--patients", str(args.patients))
    say(f"seeded in {time.monotonic() - began:.0f} s")
    keyfile.write_text(key)
    return name, env


@contextmanager
def gunicorn(env: dict[str, str], args: argparse.Namespace) -> Iterator[int]:
    cmd = [sys.executable, "-m", "gunicorn", "clinic.wsgi:application", "-b", f"{HOST}:{args.port}",
           "-w", str(args.workers), "--log-level", "warning"]  # fmt: skip
    with running(cmd, cwd=ROOT, env=env, log=args.logs / "gunicorn.log") as server:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection(HOST, args.port, timeout=2)
                conn.request("GET", "/healthz/", headers={"X-Forwarded-Proto": "https"})
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"gunicorn did not answer; see {args.logs / 'gunicorn.log'}")
            time.sleep(0.2)
        yield server.pid


def scenarios(plan: dict[str, Any]) -> list[Scenario]:
    https = {"X-Forwarded-Proto": "https"}
    cookie = plan.get("cookie_name", "sessionid")
    staff = {**https, "Cookie": f"{cookie}={plan['staff_cookie']}"}
    patient = {**https, "Cookie": f"{cookie}={plan['patient_cookie']}"}
    api = {**https, "Authorization": f"Token {plan['token']}", "Accept": "application/json"}
    post = {**api, "Content-Type": "application/json"}
    booking = plan["booking"]
    first = dt.datetime.fromisoformat(booking["first_start"])

    def get(path: str, headers: dict[str, str]) -> Any:
        return lambda n: ("GET", path, headers, None)

    def screening(n: int) -> Any:
        pk = plan["screening_patients"][n % len(plan["screening_patients"])]
        body = {"height_cm": "170.0", "weight_kg": "70.0", "systolic": 124, "diastolic": 78, "heart_rate": 72,
                "failed_antidepressant_trials": 2}  # fmt: skip
        return "POST", f"/api/v1/patients/{pk}/screenings/", post, json.dumps(body).encode()

    bookings = itertools.count()  # its own count: the run's request number is in the thousands by then

    def book(n: int) -> Any:
        k = next(bookings)
        slot = booking["slots"][k % len(booking["slots"])]
        start = first + dt.timedelta(hours=booking["every_hours"] * (k // len(booking["slots"])))
        body = {"patient": slot["patient"], "chair": slot["chair"], "start": start.isoformat(), "route": "iv"}
        return "POST", "/api/v1/dosing-sessions/", post, json.dumps(body).encode()

    return [
        Scenario(report.FLOOR_TEMPLATE, get("/bench/floor/template/", staff), kind="floor"),
        Scenario(report.FLOOR_DRF, get("/bench/floor/drf/", api), kind="floor"),
        Scenario("staff day board", get("/staff/schedule/", staff)),
        Scenario(
            "patient chart (12 sessions, 30 assessments, 12 notes)",
            get(f"/staff/patients/{plan['chart_patient']}/", staff),
        ),
        Scenario("session monitor page", get(f"/staff/schedule/sessions/{plan['monitor_session']}/monitor/", staff)),
        Scenario("portal home", get("/portal/", patient)),
        Scenario("GET /api/v1/patients/?q=", get(f"/api/v1/patients/?q={plan['search']}", api), kind="api"),
        Scenario(
            "GET /api/v1/dosing-sessions/?date=", get(f"/api/v1/dosing-sessions/?date={plan['today']}", api), kind="api"
        ),
        Scenario("POST a screening", screening, ok=frozenset({201}), kind="post"),
        Scenario("POST a booking", book, ok=frozenset({201}), kind="post"),
    ]


def rss_mb(master: int) -> dict[int, float]:
    """The resident memory of each gunicorn worker (the master's children), in MB."""
    result = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master):
            result[int(status.parent.name)] = int(fields["VmRSS"].split()[0]) / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10, help="per scenario (after a 2 s warm-up)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--fresh", action="store_true", help="drop and seed the bench database again")
    parser.add_argument("--note", default="", help="what else the conditions were (written into the results)")
    parser.add_argument("--database", help="its name (default kap_bench_<patients>), e.g. one's own on a shared server")
    parser.add_argument("--only", nargs="*", help="run only the scenarios whose name contains one of these")
    args = parser.parse_args()
    args.logs = ROOT / "var" / "bench" / "logs"
    args.logs.mkdir(parents=True, exist_ok=True)
    services_answer()
    name, env = database(args)
    manage(env, "collectstatic", "--noinput", "-v0")
    prepared = subprocess.run([sys.executable, "-m", "bench.prepare"], cwd=ROOT, text=True, capture_output=True,
                              env={**env, "BENCH_REMINDERS": str(args.reminders)})  # fmt: skip
    if prepared.returncode:
        raise SystemExit(f"bench.prepare failed:\n{prepared.stderr[-3000:]}")
    plan = json.loads(prepared.stdout.strip().splitlines()[-1])
    chosen = [s for s in scenarios(plan) if not args.only or s.kind == "floor" or any(o in s.name for o in args.only)]
    measures: dict[str, tuple[str, Measure]] = {}
    extra: dict[str, Any] = {"patients": plan["patients"]}
    counter = itertools.count()
    with gunicorn(env, args) as master:
        for scenario in chosen:
            run(HOST, args.port, scenario, seconds=2, clients=args.clients, counter=counter)  # warm-up
            m = run(HOST, args.port, scenario, seconds=args.seconds, clients=args.clients, counter=counter)
            measures[scenario.name] = (scenario.kind, m)
            say(f"{scenario.name:<58} {m.rps:8.1f} req/s  p50 {m.p50:7.1f}  p95 {m.p95:7.1f}  p99 {m.p99:7.1f} ms"
                f"  errors {m.errors}")  # fmt: skip
        if args.memory_requests:
            before = rss_mb(master)
            pages = [s for s in chosen if s.kind != "floor"] or chosen  # the chart, else the first page chosen
            chart = next((s for s in pages if s.name.startswith("patient chart")), pages[0])
            done = 0
            while done < args.memory_requests:
                done += run(HOST, args.port, chart, seconds=5, clients=args.clients, counter=counter).requests
            after = rss_mb(master)
            pids = sorted(set(before) & set(after))
            extra["memory"] = {"requests": done, "scenario": chart.name,
                               "before_mb": max(before[p] for p in pids), "after_mb": max(after[p] for p in pids),
                               "growth_mb": max(after[p] - before[p] for p in pids)}  # fmt: skip
            say(f"gunicorn worker RSS: {extra['memory']}")
    if args.reminders:
        extra["reminders"] = background.reminders(env, f"{PG}/{name}", args.reminders, args.logs)
        say(f"dispatch: {extra['reminders']}")
    extra["pdf"] = background.pdf(env)
    say(f"pdf: {extra['pdf']['figures']}")
    write(args, name, measures, extra)


def write(args: argparse.Namespace, name: str, measures: dict[str, tuple[str, Measure]], extra: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    baseline = None
    if args.patients > 1000:  # a run at 1,000 (with the benchmark's own few patients added) is the baseline
        earlier = sorted(RESULTS.glob("*-1000.json"))
        baseline = json.loads(earlier[-1].read_text()) if earlier else None
    found = report.verdicts(measures, extra, baseline)
    for v in found:
        say(f"target {'met' if v.met else 'NOT MET' if v.met is not None else 'not measured'}: {v.target} "
            f"({v.figures})")  # fmt: skip
    stamp = dt.datetime.now().astimezone().date().isoformat()
    conditions = (f"{extra['patients']:,} patients (`seed_scale`, database {name}); gunicorn {args.workers} sync "
                  f"workers, production settings (DEBUG off, persistent connections, Redis); {args.clients} client "
                  f"threads on the same machine (bench/load.py), {args.seconds:g} s per scenario after a 2 s "
                  f"warm-up; other work may be running on the machine (see the load average)"
                  f"{'; ' + args.note if args.note else ''}")  # fmt: skip
    text = report.markdown(f"Benchmark {stamp}, {extra['patients']:,} patients", conditions, measures, found, extra)
    (RESULTS / f"{stamp}-{args.patients}.md").write_text(text)
    (RESULTS / f"{stamp}-{args.patients}.json").write_text(json.dumps({
        "patients": extra["patients"],
        "scenarios": {n: {"kind": k, "rps": m.rps, "p50_ms": m.p50, "p95_ms": m.p95, "p99_ms": m.p99,
                          "errors": m.errors} for n, (k, m) in measures.items()},
        "extra": extra,
    }, indent=2, default=str))  # fmt: skip
    shutil.copyfile(RESULTS / f"{stamp}-{args.patients}.md", ROOT / "bench" / "RESULTS.md")
    say(f"written: bench/results/{stamp}-{args.patients}.md and bench/RESULTS.md")


if __name__ == "__main__":
    main()
