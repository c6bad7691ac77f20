"""Throughput of the patients API under gunicorn on PostgreSQL, with and without persistent connections.

Usage (PostgreSQL on 127.0.0.1, trust auth):
    .venv/bin/python bench/api_throughput.py [--seconds 15] [--clients 8] [--workers 2]

It creates a throwaway database `kap_bench`, migrates it, seeds the demo clinic, starts gunicorn twice on
127.0.0.1 (DB_CONN_MAX_AGE=0, then 600), sends authenticated GET /api/v1/patients/ and GET /api/v1/patients/{id}/
from N client threads for the given time, and prints requests per second and latency percentiles. Record the
results in bench/RESULTS.md. All traffic stays on 127.0.0.1 and the run stops by itself.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DB = "kap_bench"
PORT = 8799


def sh(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def prepare(env: dict[str, str]) -> tuple[str, int]:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    sh(PY, "manage.py", "migrate", "--noinput", "-v0", env=env)
    sh(PY, "manage.py", "seed_demo", "--force", env=env)
    token = sh(PY, "manage.py", "create_api_token", "nurse", env=env).split()[2]
    code = (
        "from clinic.models import Patient; print(Patient.objects.order_by('id').values_list('id', flat=True).first())"
    )
    patient_id = int(sh(PY, "manage.py", "shell", "--no-imports", "-c", code, env=env).strip().splitlines()[-1])
    return token, patient_id


def run_load(token: str, patient_id: int, seconds: float, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}

    def client(n: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        mine: list[float] = []
        bad = 0
        i = 0
        while time.monotonic() < stop_at:
            path = "/api/v1/patients/" if i % 2 == 0 else f"/api/v1/patients/{patient_id}/"
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            except OSError:
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / seconds,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
    }


def serve_and_measure(env: dict[str, str], conn_max_age: int, args: argparse.Namespace, token: str, pid: int) -> dict:
    server_env = {**env, "DB_CONN_MAX_AGE": str(conn_max_age)}
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "clinic.wsgi:application", "-b", f"127.0.0.1:{PORT}", "-w", str(args.workers),
         "--access-logfile", "-", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                c.request("GET", "/healthz/")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        run_load(token, pid, 2, args.clients)  # warm-up
        return run_load(token, pid, args.seconds, args.clients)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG"}}
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
        SECRET_KEY=secrets.token_urlsafe(60),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_PROXY_SSL_HEADER="1",
        SECURE_SSL_REDIRECT="0",
    )
    token, pid = prepare(env)
    results = {age: serve_and_measure(env, age, args, token, pid) for age in (0, 600)}
    summary: dict[str, object] = {"clients": args.clients, "workers": args.workers, "seconds": args.seconds}
    for age, result in results.items():
        summary[f"conn_max_age_{age}"] = {k: round(v, 1) for k, v in result.items()}
    print(json.dumps(summary, indent=2))
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=False)


if __name__ == "__main__":
    main()
