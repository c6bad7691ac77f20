"""The load generator: N client threads, each with one keep-alive connection to 127.0.0.1, sending one scenario's
requests back to back for a fixed time (a closed loop, as a nurse's browser does). Standard library only.

Why threads and http.client rather than wrk: the POST scenarios need a fresh body per request (each booking takes a
slot no other request took), which wrk would need Lua scripts for, and Debian's wrk is one more package to install.
The client's own cost (a few hundred microseconds of CPU per request on these machines) is paid alike by the floor
views and the pages, so the ratios to the floor stay fair; the absolute numbers are a little below what the server
alone could do.
"""

from __future__ import annotations

import http.client
import itertools
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# A request: method, path, headers, body. The factory gets a number unique across all threads of the run.
Request = tuple[str, str, dict[str, str], bytes | None]
RequestFactory = Callable[[int], Request]


@dataclass(frozen=True)
class Scenario:
    name: str
    make: RequestFactory
    ok: frozenset[int] = frozenset({200})
    kind: str = "page"  # page, api or floor: which target and floor it is compared with


@dataclass
class Measure:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)


def run(host: str, port: int, scenario: Scenario, *, seconds: float, clients: int, counter: itertools.count) -> Measure:
    """Send the scenario's requests from `clients` threads for `seconds`; every request is timed and checked."""
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    stop_at = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine, seen, bad = [], dict[int, int](), 0
        while time.monotonic() < stop_at:
            with lock:
                number = next(counter)
            method, path, headers, body = scenario.make(number)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            mine.append((time.perf_counter() - started) * 1000)
            seen[status] = seen.get(status, 0) + 1
            bad += status not in scenario.ok
        conn.close()
        with lock:
            latencies.extend(mine)
            for status, n in seen.items():
                statuses[status] = statuses.get(status, 0) + n
            errors += bad

    began = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Measure(len(latencies), errors, time.monotonic() - began, sorted(latencies), statuses)
