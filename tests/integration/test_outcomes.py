"""Outcomes, the relapse watch and the questionnaire cadence (integration.outcomes, pure: no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clinic.protocol import Outcomes
from integration.outcomes import (
    Course,
    Due,
    DueReason,
    Occasion,
    RelapseReason,
    Score,
    is_remission,
    is_response,
    next_due,
    summarize,
)

RULES = Outcomes()
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # the course ends here in the post-course tests


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def scores(*pairs: tuple[float, int]) -> list[Score]:
    return [Score(day(n), total, assessment_id=index) for index, (n, total) in enumerate(pairs, start=1)]


def ended(status: str = "completed", baseline: int | None = 18) -> Course:
    return Course(course_id=7, status=status, baseline=baseline, ended_at=T0)


ACTIVE = Course(course_id=7, status="active", baseline=18)


# --- Response and remission ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "latest", "expected"),
    [
        (20, 10, True),  # exactly 50 %
        (20, 11, False),
        (18, 9, True),
        (19, 10, False),  # 47 %
        (19, 9, True),
        (None, 9, None),
        (18, None, None),
        (0, 0, None),
    ],
)
def test_response_is_a_fall_of_half_from_baseline(baseline: int | None, latest: int | None, expected: bool) -> None:
    assert is_response(baseline, latest, RULES) is expected


def test_response_follows_the_protocol_percentage() -> None:
    assert is_response(20, 14, Outcomes(response_drop_percent=Decimal("30"))) is True
    assert is_response(20, 15, Outcomes(response_drop_percent=Decimal("30"))) is False


@pytest.mark.parametrize(
    ("instrument", "latest", "expected"),
    [
        ("phq9", 4, True),
        ("phq9", 5, False),
        ("madrs", 10, True),
        ("madrs", 11, False),
        ("qids_sr16", 2, None),
        ("phq9", None, None),
    ],
)
def test_remission_per_instrument(instrument: str, latest: int | None, expected: bool | None) -> None:
    assert is_remission(instrument, latest, RULES) is expected


def test_summary_during_a_course() -> None:
    summary = summarize("phq9", ACTIVE, scores((-30, 18), (-10, 12), (-3, 8)), RULES)
    assert summary.course_id == 7
    assert summary.baseline == 18
    assert summary.latest == Score(day(-3), 8, 3)
    assert summary.response is True
    assert summary.remission is False
    assert summary.nadir is None
    assert summary.relapse_watch.triggered is False


def test_summary_without_a_course_knows_only_the_latest_score() -> None:
    summary = summarize("phq9", None, scores((-3, 4), (-9, 12)), RULES)
    assert summary.latest is not None
    assert summary.latest.total == 4  # ordered by time, not by the order given
    assert (summary.course_id, summary.baseline, summary.response, summary.remission) == (None, None, None, None)
    assert summary.relapse_watch.triggered is False


def test_summary_without_a_baseline_or_any_score() -> None:
    summary = summarize("phq9", ended(baseline=None), [], RULES)
    assert summary.baseline is None
    assert summary.latest is None
    assert summary.response is None
    assert summary.remission is None
    assert summary.nadir is None
    assert summary.relapse_watch.triggered is False


# --- The relapse watch --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("post_course", "triggered", "reason"),
    [
        ([(7, 3), (14, 8)], True, RelapseReason.RISE_FROM_NADIR),  # exactly 5 above the nadir
        ([(7, 3), (14, 7)], False, None),  # 4 above
        ([(7, 9), (14, 10)], True, RelapseReason.CROSSED_THRESHOLD),  # 9 -> 10
        ([(7, 10), (14, 12)], False, None),  # 10 -> 12: already above, only 2 points
        ([(7, 4), (14, 9), (21, 10)], True, RelapseReason.RISE_FROM_NADIR),  # both hold: the rise is named
        ([(7, 6), (14, 2), (21, 5)], False, None),  # nadir moves down; 3 above it
        ([(7, 2), (14, 9), (21, 3)], False, None),  # it rose, then fell again: the latest score decides
        ([(7, 5)], False, None),
    ],
)
def test_relapse_watch_edges(
    post_course: list[tuple[float, int]], triggered: bool, reason: RelapseReason | None
) -> None:
    given = scores((-20, 19), (-1, 6), *post_course)
    summary = summarize("phq9", ended(), given, RULES)
    assert summary.relapse_watch.triggered is triggered
    assert summary.relapse_watch.reason == reason
    assert summary.relapse_watch.score == (given[-1] if triggered else None)


def test_first_post_course_score_crosses_from_the_last_score_of_the_course() -> None:
    summary = summarize("phq9", ended(), scores((-1, 6), (7, 11)), RULES)
    assert summary.relapse_watch.reason == RelapseReason.CROSSED_THRESHOLD
    assert summary.nadir == Score(day(7), 11, 2)


def test_first_score_ever_does_not_cross_without_a_previous_one() -> None:
    assert summarize("phq9", ended(), scores((7, 14)), RULES).relapse_watch.triggered is False


def test_nadir_is_the_lowest_score_since_the_course_ended_only() -> None:
    summary = summarize("phq9", ended(), scores((-2, 1), (7, 4), (14, 3), (21, 3)), RULES)
    assert summary.nadir == Score(day(14), 3, 3)  # the earliest of equal lows; the in-course 1 does not count


def test_a_stopped_course_is_watched_like_a_completed_one() -> None:
    summary = summarize("phq9", ended("stopped"), scores((-1, 9), (3, 4), (10, 9)), RULES)
    assert summary.nadir is not None
    assert summary.nadir.total == 4
    assert summary.relapse_watch.reason == RelapseReason.RISE_FROM_NADIR


def test_no_post_course_scores_means_no_nadir_and_no_alarm() -> None:
    summary = summarize("phq9", ended(), scores((-10, 12), (-1, 15)), RULES)
    assert summary.nadir is None
    assert summary.relapse_watch.triggered is False


def test_a_running_course_is_not_watched_even_with_an_end_time() -> None:
    running = Course(course_id=7, status="active", baseline=18, ended_at=T0)
    assert summarize("phq9", running, scores((7, 3), (14, 20)), RULES).relapse_watch.triggered is False


def test_relapse_numbers_come_from_the_protocol() -> None:
    strict = Outcomes(relapse_rise_points=3, relapse_phq9_threshold=8)
    assert summarize("phq9", ended(), scores((7, 3), (14, 6)), strict).relapse_watch.reason == (
        RelapseReason.RISE_FROM_NADIR
    )
    assert summarize("phq9", ended(), scores((7, 7), (14, 8)), strict).relapse_watch.reason == (
        RelapseReason.CROSSED_THRESHOLD
    )


def test_relapse_watch_counts_phq9_points_only() -> None:
    summary = summarize("madrs", ended(), scores((7, 3), (14, 30)), RULES)
    assert summary.nadir is not None
    assert summary.relapse_watch.triggered is False


# --- Questionnaire cadence ----------------------------------------------------------------------------------------


def occasion(n: float, hours: float = 2) -> Occasion:
    return Occasion(day(n), day(n) + dt.timedelta(hours=hours))


SESSIONS = [occasion(0), occasion(2), occasion(4)]


@pytest.mark.parametrize(
    ("scored", "now", "expected"),
    [
        ([], -1, day(0)),  # nothing yet: due at the first session
        ([-0.5], -0.2, day(2)),  # the evening before the first session covers it
        ([0.02], 0.5, day(2)),  # taken during the first session
        ([-0.5], 1, day(2)),  # after the first session, the next is due
        ([-0.5, 1.5], 1.8, day(4)),
        ([-0.5], 2.02, day(2)),  # the second session is under way without one: due (overdue) at its start
        ([-0.5], 3, day(4)),  # a missed session is past; the next one is due
        ([-0.5, 1.5, 3.5], 3.9, None),  # every session covered
        ([], 5, None),  # no session ahead
    ],
)
def test_during_a_course_due_at_every_session(scored: list[float], now: float, expected: dt.datetime | None) -> None:
    due = next_due(course=ACTIVE, occasions=SESSIONS, scored_at=[day(n) for n in scored], now=day(now), rules=RULES)
    assert due == (Due(expected, DueReason.SESSION) if expected else None)


def test_no_course_no_cadence() -> None:
    assert next_due(course=None, occasions=SESSIONS, scored_at=[], now=day(0), rules=RULES) is None


@pytest.mark.parametrize(
    ("scored", "expected_day", "reason"),
    [
        ([], 7, DueReason.POST_COURSE_WEEKLY),
        ([-1], 7, DueReason.POST_COURSE_WEEKLY),  # the last score of the course does not count
        ([7], 14, DueReason.POST_COURSE_WEEKLY),
        ([7, 14, 21], 28, DueReason.POST_COURSE_WEEKLY),
        ([7, 14, 21, 28], 42, DueReason.POST_COURSE_INTERVAL),  # after 4 weeks, every 14 days
        ([30], 44, DueReason.POST_COURSE_INTERVAL),
        ([9], 16, DueReason.POST_COURSE_WEEKLY),  # counted from the last score
    ],
)
def test_after_a_course_weekly_for_four_weeks_then_every_fourteen_days(
    scored: list[float], expected_day: float, reason: DueReason
) -> None:
    due = next_due(course=ended(), occasions=[], scored_at=[day(n) for n in scored], now=day(50), rules=RULES)
    assert due == Due(day(expected_day), reason)


def test_post_course_cadence_follows_the_protocol() -> None:
    rules = Outcomes(post_course_weekly_weeks=2, post_course_weekly_interval_days=5, post_course_interval_days=30)
    assert next_due(course=ended("stopped"), occasions=[], scored_at=[day(10)], now=day(11), rules=rules) == Due(
        day(15), DueReason.POST_COURSE_WEEKLY
    )
    assert next_due(course=ended(), occasions=[], scored_at=[day(14)], now=day(15), rules=rules) == Due(
        day(44), DueReason.POST_COURSE_INTERVAL
    )


def test_due_knows_when_it_is_overdue() -> None:
    due = Due(day(7), DueReason.POST_COURSE_WEEKLY)
    assert due.overdue(day(7)) is True
    assert due.overdue(day(6.9)) is False
