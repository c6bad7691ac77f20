"""What the audit hash chain costs a write (clinic.audit.record, docs/security.md "Tamper-evident audit").

Usage (PostgreSQL on 127.0.0.1, trust auth; a migrated database of your own):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kap_NAME .venv/bin/python bench/audit_chain.py [--entries 2000]
        [--writers 4]

It times, in this process, N single-entry transactions through `audit.record` (lock, read the last hash, hash,
insert) against N inserts of the same rows without the chain, then W threads writing N/W entries each through
`audit.record`, and verifies the chain. The rows written without the chain use numbers far above the chain's,
so verify_audit reports the first of them as a gap afterwards: use a throwaway database. Record the results in
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.db import connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic import audit  # noqa: E402
from clinic.models import AuditEvent  # noqa: E402


def chained(n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        audit.record("bench.audit.write", details={"i": i, "dose_mg": 25.5})
    return time.perf_counter() - started


def unchained(n: int) -> float:
    started = time.perf_counter()
    base = 10**12 + int(time.time())  # far from the chain's numbers
    for i in range(n):
        with transaction.atomic():
            AuditEvent.objects.create(
                occurred_at=timezone.now(), actor_role="system", action="bench.audit.plain",
                request_id=uuid.uuid4().hex, details={"i": i, "dose_mg": 25.5},
                sequence=base * 1000 + i, prev_hash="", hash="",
            )  # fmt: skip
    return time.perf_counter() - started


def concurrent(n: int, writers: int) -> float:
    def write() -> None:
        for i in range(n // writers):
            audit.record("bench.audit.write", details={"i": i})
        connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    n = args.entries
    print(f"{connections['default'].vendor}, {n} single-entry transactions, one writer (two alternating rounds):")
    for round_ in (1, 2):
        plain, chain = unchained(n), chained(n)
        print(f"  round {round_}: without the chain {plain / n * 1000:.2f} ms each, with it {chain / n * 1000:.2f} ms")
    together = concurrent(n, args.writers)
    print(f"{args.writers} writers, {n} entries with the chain: {n / together:.0f} writes/s")
    checked, broken = audit.verify_chain()
    print(f"chain: {checked} entries, {'intact' if broken is None else broken}")


if __name__ == "__main__":
    main()
