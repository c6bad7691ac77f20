"""Server-side SVG (clinic.charts): the vitals chart and the day board. Pure, no database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from clinic.charts import BoardBlock, Guide, Marker, Series, day_board_svg, time_chart_svg

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)  # 09:00 in New York


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def chart(**kwargs: object) -> str:
    base: dict[str, object] = {
        "start": at(0),
        "end": at(60),
        "y_min": 30,
        "y_max": 220,
        "tz": NY,
        "title": "Vitals <of> Sam & co",
    }
    return time_chart_svg(
        [Series("Systolic", ((at(0), 120), (at(30), 250)), "chart-systolic"), Series("HR", ((at(10), 70),), "hr")],
        **cast(Any, {**base, **kwargs}),
    )


def test_time_chart_places_points_and_escapes_text() -> None:
    svg = chart(guides=[Guide(180, "alert > 180")], markers=[Marker(at(5), "dosing"), Marker(at(500), "late")])
    assert svg.startswith('<svg class="chart" viewBox="0 0 720 280" role="img"')
    assert '<title id="chart-title">Vitals &lt;of&gt; Sam &amp; co</title>' in svg
    # x: 44 + 652 * t/60; y: 12 + 216 * (1 - (v - 30)/190). 250 is drawn at the top edge (220).
    assert '<polyline class="chart-systolic" fill="none" points="44,125.7 370,12"/>' in svg
    assert "hr" in svg
    assert '<polyline class="hr"' not in svg
    assert ">9:00 AM</text>" in svg
    assert ">9:50 AM</text>" in svg
    assert ">dosing</text>" in svg
    assert ">late</text>" not in svg
    assert ">alert &gt; 180</text>" in svg


def test_time_chart_rings_alert_points_and_survives_an_empty_range() -> None:
    svg = chart(alert_points=[(at(30), 186)], end=at(0))
    assert len(re.findall(r'<circle class="chart-alert"', svg)) == 1
    with pytest.raises(ValueError, match="y_max"):
        chart(y_min=100, y_max=100)


def test_time_chart_across_a_daylight_saving_change_is_spaced_in_real_time() -> None:
    start = datetime(2026, 3, 8, 1, 30, tzinfo=NY)  # 01:30 EST; 03:30 EDT is one real hour later
    svg = time_chart_svg(
        [Series("S", ((start, 100), (start + timedelta(hours=1), 100)), "s")],
        start=start,
        end=datetime(2026, 3, 8, 3, 30, tzinfo=NY),
        y_min=0,
        y_max=200,
        tz=NY,
        title="t",
    )
    assert 'points="44,120 696,120"' in svg


def test_day_board_places_blocks_in_lanes_and_clips_them() -> None:
    day_start, day_end = at(-120), at(600)  # 07:00-19:00
    blocks = [
        BoardBlock(0, at(0), at(85), "09:00 Doe, J.", "Scheduled", "/s/1/", "status-scheduled"),
        BoardBlock(1, at(-180), at(-60), "06:00 Early", "Dosing", "/s/2/", "status-dosing"),
        BoardBlock(1, at(700), at(800), "Too late", "x", "/s/3/", "status-x"),
        BoardBlock(5, at(0), at(30), "No lane", "x", "/s/4/", "status-x"),
        BoardBlock(0, at(300), at(310), "Short <b>", "tiny", "/s/5/?a=1&b=2", "status-scheduled"),
    ]
    svg = day_board_svg(["Chair 1", "Chair 2"], blocks, day_start=day_start, day_end=day_end, tz=NY, title="Board",
                        now=at(30))  # fmt: skip
    assert 'viewBox="0 0 452 828"' in svg  # 52 + 2 x 200 wide; 28 + 720 x 1.1 + 8 high
    assert '<a href="/s/1/" aria-label="09:00 Doe, J., Scheduled">' in svg
    assert '<rect x="56" y="161" width="192"' in svg  # 28 + 120 x 1.1 + 1
    assert 'href="/s/2/"' in svg
    assert 'y="29"' in svg
    assert "/s/3/" not in svg
    assert "/s/4/" not in svg
    assert "Short &lt;b&gt;" in svg
    assert "/s/5/?a=1&amp;b=2" in svg
    assert ">tiny</text>" not in svg  # a block too short for its second line
    assert '<line class="board-now"' in svg
    assert ">7:00 AM</text>" in svg
    assert ">7:00 PM</text>" in svg


def test_day_board_without_now_inside_the_day() -> None:
    svg = day_board_svg([], [], day_start=at(0), day_end=at(60), tz=NY, title="t", now=at(120))
    assert "board-now" not in svg


def test_time_ticks_start_at_the_first_round_time_inside_the_range() -> None:
    svg = chart(start=at(3), end=at(57))
    assert ">9:00 AM</text>" not in svg
    assert ">9:10 AM</text>" in svg
    assert ">9:50 AM</text>" in svg


def test_a_chart_over_weeks_ticks_dates_at_local_midnight_and_takes_its_value_grid() -> None:
    start = datetime(2026, 5, 1, 14, 0, tzinfo=UTC)
    svg = time_chart_svg(
        [Series("PHQ-9", ((start, 18), (start + timedelta(days=40), 6)), "chart-phq9")],
        start=start,
        end=start + timedelta(days=40),
        y_min=0,
        y_max=27,
        tz=NY,
        title="PHQ-9",
        y_step=5,
    )
    # Weekly ticks at local midnight, counted from the day the range starts (May 1, 10:00 in New York).
    assert ">May 1</text>" not in svg
    assert ">May 8</text>" in svg
    assert ">Jun 5</text>" in svg
    assert ":00</text>" not in svg
    assert [f">{v}</text>" in svg for v in (5, 10, 15, 20, 25)] == [True] * 5
    assert ">30</text>" not in svg


def test_a_chart_over_two_days_ticks_every_day() -> None:
    svg = chart(start=at(0), end=at(2 * 24 * 60 + 60))
    assert ">May 5</text>" in svg
    assert ">May 6</text>" in svg


def test_a_chart_over_weeks_marks_days_with_their_date_at_local_midnight() -> None:
    # 1 March to 26 March 2026 in New York: across the change to daylight saving time on 8 March.
    start, end = datetime(2026, 3, 1, 15, tzinfo=NY), datetime(2026, 3, 26, 10, tzinfo=NY)
    svg = time_chart_svg([Series("PHQ-9", ((start, 18), (end, 6)), "phq9")], start=start, end=end,
                         y_min=0, y_max=27, tz=NY, title="PHQ-9")  # fmt: skip
    labels = re.findall(r'<text class="chart-axis" x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]+)</text>', svg)
    assert labels == ["Mar 8", "Mar 15", "Mar 22"]  # weekly ticks; 1 March 00:00 is before the first point
    hours = time_chart_svg([], start=start, end=start + timedelta(hours=10), y_min=0, y_max=27, tz=NY, title="t")
    assert re.search(r":00 [AP]M</text>", hours)  # a span of hours still shows the time of day


@pytest.mark.parametrize(
    ("span", "label"),
    [(timedelta(days=5), "Mar 2"), (timedelta(days=12), "Mar 3"), (timedelta(days=100), "Mar 29")],
)
def test_the_date_axis_chooses_days_or_weeks_by_the_span(span: timedelta, label: str) -> None:
    start = datetime(2026, 3, 1, 15, tzinfo=NY)
    svg = time_chart_svg([], start=start, end=start + span, y_min=0, y_max=27, tz=NY, title="t")
    assert f">{label}</text>" in svg
    assert ":" not in "".join(re.findall(r'text-anchor="middle">([^<]+)<', svg))


def test_each_chart_of_a_document_can_have_its_own_title_id() -> None:
    assert 'aria-labelledby="chart-title"' in chart()
    svg = chart(chart_id="vitals-7")
    assert 'aria-labelledby="vitals-7-title"' in svg
    assert '<title id="vitals-7-title">' in svg
