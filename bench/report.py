"""The benchmark's verdicts on the targets of issue 13 and its Markdown report (bench/results/<date>.md and
bench/RESULTS.md). The targets are reported, met or not with the figures; they never fail a build."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import Measure

FLOOR_TEMPLATE, FLOOR_DRF = "floor: 50-row template list", "floor: 50-row DRF list"


@dataclass(frozen=True)
class Verdict:
    target: str
    met: bool | None  # None: not measured in this run
    figures: str


def ratio(value: float, floor: float) -> float:
    return value / floor if floor else 0.0


def verdicts(
    measures: dict[str, tuple[str, Measure]], extra: dict[str, Any], baseline: dict[str, Any] | None
) -> list[Verdict]:
    """`measures`: scenario name -> (kind, measure); kinds page, api, post, floor."""
    template, drf = measures[FLOOR_TEMPLATE][1], measures[FLOOR_DRF][1]
    result = []
    for name, (kind, m) in measures.items():
        if kind == "page":
            met = m.rps >= 0.5 * template.rps and m.p95 <= 2 * template.p95
            result.append(Verdict(f"{name}: ≥ 0.5x the template floor's requests/s, p95 ≤ 2x its p95", met,
                                  f"{ratio(m.rps, template.rps):.2f}x, p95 {m.p95:.1f} ms vs "
                                  f"{2 * template.p95:.1f} ms allowed"))  # fmt: skip
        elif kind == "api":
            result.append(Verdict(f"{name}: ≥ 0.6x the DRF floor's requests/s", m.rps >= 0.6 * drf.rps,
                                  f"{ratio(m.rps, drf.rps):.2f}x ({m.rps:.0f} vs {drf.rps:.0f} req/s)"))  # fmt: skip
    if baseline:
        for name, (kind, m) in measures.items():
            before = baseline.get("scenarios", {}).get(name)
            if kind in {"page", "api"} and before:
                grown = ratio(m.p50, before["p50_ms"])
                result.append(Verdict(
                    f"{name} at {extra['patients']:,} patients within 1.2x of its latency at "
                    f"{baseline['patients']:,}", grown <= 1.2, f"p50 {m.p50:.1f} ms vs {before['p50_ms']:.1f} ms "
                    f"({grown:.2f}x)"))  # fmt: skip
    reminders = extra.get("reminders")
    if reminders and "skipped" not in reminders:
        rate, noop = reminders["reminders_per_s"], reminders["noop_per_s"]
        met = rate >= 0.5 * noop and reminders["exactly_once"]
        result.append(Verdict("reminder dispatch ≥ 0.5x the no-op task rate, exactly once", met,
                              f"{rate:.0f}/s vs {noop:.0f}/s ({ratio(rate, noop):.2f}x); sent once each: "
                              f"{reminders['exactly_once']}"))  # fmt: skip
    pdf = extra.get("pdf", {})
    result.append(Verdict("PDF course summary ≤ 1.5x WeasyPrint's bare render and under 1 s",
                          pdf.get("met"), pdf.get("figures", "not measured")))  # fmt: skip
    memory = extra.get("memory")
    if memory:
        result.append(Verdict(f"a gunicorn worker's memory after {memory['requests']:,} requests: no growth",
                              memory["growth_mb"] <= 5, f"RSS {memory['before_mb']:.0f} MB before, "
                              f"{memory['after_mb']:.0f} MB after"))  # fmt: skip
    return result


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    load = os.getloadavg()
    postgres = _version(["psql", "--version"])
    redis = _version(["redis-server", "--version"])
    return (f"{os.cpu_count()} cores ({cpu}), {int(memory) / 1024 / 1024:.0f} GiB; Python {platform.python_version()};"
            f" {postgres}; {redis}; load average at the start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip().split("\n")[0]
    except OSError:
        return f"{cmd[0]} not found"


def markdown(
    title: str,
    conditions: str,
    measures: dict[str, tuple[str, Measure]],
    found: list[Verdict],
    extra: dict[str, Any],
) -> str:
    template, drf = measures[FLOOR_TEMPLATE][1], measures[FLOOR_DRF][1]
    lines = [f"# {title}", "", f"Machine: {machine()}.", "", f"Conditions: {conditions}.", "",
             "| scenario | requests/s | x floor | p50 ms | p95 ms | p99 ms | errors | statuses |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, (kind, m) in measures.items():
        floor = template if kind in {"page", "floor"} and "DRF" not in name else drf
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(m.statuses.items()))
        lines.append(f"| {name} | {m.rps:.1f} | {ratio(m.rps, floor.rps):.2f} | {m.p50:.1f} | {m.p95:.1f} | "
                     f"{m.p99:.1f} | {m.errors} | {statuses} |")  # fmt: skip
    lines += ["", "Pages compare with the template floor, API lists and POSTs with the DRF floor.", "",
              "## Targets (issue 13)", ""]  # fmt: skip
    for v in found:
        mark = "met" if v.met else "not measured" if v.met is None else "**not met**"
        lines.append(f"- {mark}: {v.target} ({v.figures})")
    lines += ["", "## Background work", "", "```", json.dumps({k: v for k, v in extra.items() if k != "patients"},
                                                                indent=2, default=str), "```", ""]  # fmt: skip
    return "\n".join(lines)
