"""The benchmark's own parts: the floor views, the load generator against a local server, the verdicts on the
targets, and the booking requests (each a free slot)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client, modify_settings, override_settings

from bench import pdf_summary, report
from bench.load import Measure, Scenario, run
from bench.run import scenarios
from tests.clinic.reports.support import freeze_clock, make_course
from tests.conftest import World
from tests.factories import PatientFactory, staff


@pytest.fixture
def floor_client(db: None) -> Iterator[Client]:
    with override_settings(ROOT_URLCONF="bench.urls"), modify_settings(INSTALLED_APPS={"append": "bench"}):
        yield Client()


def test_the_floor_views_list_fifty_rows_to_a_signed_in_user(floor_client: Client) -> None:
    PatientFactory.create_batch(55)
    assert floor_client.get("/bench/floor/template/", secure=True).status_code == 302  # signed in, as the pages
    floor_client.force_login(staff("nurse"))
    page = floor_client.get("/bench/floor/template/", secure=True)
    assert page.status_code == 200
    assert page.content.decode().count("<tr><td>") == 50
    rows = floor_client.get("/bench/floor/drf/", secure=True).json()
    assert len(rows) == 50
    assert set(rows[0]) == {"id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth", "email", "phone"}


class Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/ok" else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_the_load_generator_counts_requests_latencies_and_errors(server: int) -> None:
    paths = itertools.cycle(["/ok", "/ok", "/missing"])
    lock = threading.Lock()

    def make(n: int) -> tuple[str, str, dict[str, str], None]:
        with lock:
            return "GET", next(paths), {}, None

    measure = run("127.0.0.1", server, Scenario("mixed", make), seconds=0.5, clients=3, counter=itertools.count())
    assert measure.requests > 10
    assert measure.statuses[200] + measure.statuses[404] == measure.requests
    assert measure.errors == measure.statuses[404]
    assert 0 < measure.p50 <= measure.p95 <= measure.p99


def _measure(rps: float, p95: float) -> Measure:
    seconds = 10.0
    return Measure(int(rps * seconds), 0, seconds, [p95 / 2] * 94 + [p95] * 6)


def test_the_targets_compare_pages_with_the_template_floor_and_lists_with_the_drf_floor() -> None:
    measures = {
        report.FLOOR_TEMPLATE: ("floor", _measure(300, 20)),
        report.FLOOR_DRF: ("floor", _measure(500, 10)),
        "fast page": ("page", _measure(160, 39)),
        "slow page": ("page", _measure(140, 30)),
        "jumpy page": ("page", _measure(200, 45)),
        "good list": ("api", _measure(310, 10)),
        "slow list": ("api", _measure(290, 10)),
    }
    found = {v.target.split(":")[0]: v.met for v in report.verdicts(measures, {"patients": 1000}, None)}
    assert found == {
        "fast page": True,
        "slow page": False,
        "jumpy page": False,
        "good list": True,
        "slow list": False,
        "PDF course summary ≤ 1.5x WeasyPrint's bare render and under 1 s": None,
    }


def test_a_large_run_is_held_to_its_latency_at_a_thousand_patients() -> None:
    measures = {
        report.FLOOR_TEMPLATE: ("floor", _measure(300, 20)),
        report.FLOOR_DRF: ("floor", _measure(500, 10)),
        "board": ("page", _measure(200, 20)),
        "chart": ("page", _measure(200, 20)),
    }
    baseline = {"patients": 1000, "scenarios": {"board": {"p50_ms": 10.0}, "chart": {"p50_ms": 8.0}}}
    grown = [v for v in report.verdicts(measures, {"patients": 100_000}, baseline) if "within 1.2x" in v.target]
    assert [(v.target.split(" at ")[0], v.met) for v in grown] == [("board", True), ("chart", False)]


def test_every_booking_request_takes_its_own_slot() -> None:
    first = dt.datetime(2026, 12, 2, 14, tzinfo=dt.UTC)
    plan = {"staff_cookie": "s", "patient_cookie": "p", "token": "t", "chart_patient": 1, "monitor_session": 2,
            "today": "2026-12-01", "search": "Testperson-0000", "screening_patients": [5, 6],
            "booking": {"slots": [{"patient": 1, "chair": 11}, {"patient": 2, "chair": 12}],
                        "first_start": first.isoformat(), "every_hours": 84}}  # fmt: skip
    (book,) = [s for s in scenarios(plan) if s.name == "POST a booking"]
    # The run's request numbers by the time the bookings come (thousands): the slots still start at the first.
    bodies = [json.loads(book.make(n)[3] or b"") for n in range(9000, 9006)]
    assert len({(b["patient"], b["start"]) for b in bodies}) == 6
    starts = [dt.datetime.fromisoformat(b["start"]) for b in bodies if b["patient"] == 1]
    assert [later - earlier for earlier, later in itertools.pairwise(starts)] == [dt.timedelta(hours=84)] * 2
    assert {b["chair"] for b in bodies if b["patient"] == 2} == {12}
    assert min(starts) == first


def test_the_pdf_measure_renders_the_course_summary_and_weasyprint_alone(
    world: World, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    make_course(world, freeze_clock(monkeypatch))
    figures = pdf_summary.measure(runs=1)
    assert figures["pdf_bytes"] > 1000
    assert figures["course_summary_ms"] > 0
    assert figures["weasyprint_bare_ms"] > 0
    assert figures["ratio"] == pytest.approx(figures["course_summary_ms"] / figures["weasyprint_bare_ms"], rel=0.02)
    assert figures["met"] == (figures["ratio"] <= 1.5 and figures["course_summary_ms"] < 1000)
