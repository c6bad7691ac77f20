"""Course and scheduling rules (clinical protocol §3): tables over sessions.scheduling, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinic.protocol import DEFAULT_PROTOCOL, CourseTemplate, Protocol, Route, Scheduling
from sessions.scheduling import (
    SchedulingError,
    chair_block_minutes,
    check_interval,
    check_weekly_limit,
    course_weekly_counts,
    propose_course,
)

NEW_YORK = ZoneInfo("America/New_York")
TEMPLATES = DEFAULT_PROTOCOL.scheduling.templates
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
T = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday


def ny(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def template(**fields: Any) -> CourseTemplate:
    base: dict[str, Any] = {"label": "Test course", "route": Route.IV, "sessions": 6, "sessions_per_week": 2}
    return CourseTemplate(**{**base, **fields})


# --- chair block --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "duration_min", "minutes"),
    [
        ("iv", None, 85),  # 40 + 30 + 15
        ("iv", 60, 105),
        ("iv", 20, 65),
        ("im", None, 45),  # bolus: 0 + 30 + 15
        ("sublingual", None, 90),  # held 15 + 60 + 15
        (Route.ESKETAMINE, None, 135),  # 0 + 120 + 15
        ("esketamine", 10, 145),
    ],
)
def test_chair_block_minutes(route: str, duration_min: int | None, minutes: int) -> None:
    assert chair_block_minutes(route, duration_min, DEFAULT_PROTOCOL) == minutes


def test_chair_block_refuses_a_negative_duration_and_an_unknown_route() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        chair_block_minutes("iv", -5, DEFAULT_PROTOCOL)
    with pytest.raises(ValueError, match="not a valid Route"):
        chair_block_minutes("oral", None, DEFAULT_PROTOCOL)


def test_changed_protocol_moves_the_chair_block() -> None:
    protocol = Protocol(scheduling=Scheduling(turnover_min=20))
    assert chair_block_minutes("iv", None, protocol) == 90


# --- minimum interval ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "new", "violated"),
    [
        pytest.param([T], T + timedelta(hours=48), False, id="48h_after"),
        pytest.param([T], T + timedelta(hours=47, minutes=59), True, id="47h59_after"),
        pytest.param([T], T - timedelta(hours=48), False, id="48h_before"),
        pytest.param([T], T - timedelta(hours=47, minutes=59), True, id="47h59_before"),
        pytest.param([T], T, True, id="same_time"),
        pytest.param([], T, False, id="first_session"),
        pytest.param([T - timedelta(days=7), T + timedelta(days=3)], T, False, id="far_enough_both_ways"),
        pytest.param([ny(date(2026, 3, 7))], ny(date(2026, 3, 9)), True, id="sat_to_mon_across_spring_forward_is_47h"),
        pytest.param(
            [ny(date(2026, 10, 31), 10)], ny(date(2026, 11, 2)), False, id="sat_10_to_mon_9_across_fall_back_is_48h"
        ),
    ],
)
def test_check_interval(existing: list[datetime], new: datetime, violated: bool) -> None:
    violation = check_interval(existing, new, 48)
    assert (violation is not None) is violated
    if violation is not None:
        assert violation.code == "interval_too_short"


def test_interval_message_names_the_gap_and_both_sessions() -> None:
    violation = check_interval([T], T + timedelta(hours=47, minutes=59), 48)
    assert violation is not None
    assert violation.message == (
        "Wed, May 6, 2026, 8:59 AM UTC is only 47 h 59 min from the dosing session at Mon, May 4, 2026, 9:00 AM UTC; "
        "at least 48 hours are required between the starts of two dosing sessions."
    )
    assert violation.conflicting_starts == (T,)


def test_interval_lists_every_conflict_and_reports_the_nearest() -> None:
    before, after = T - timedelta(hours=30), T + timedelta(hours=40)
    violation = check_interval([after, before, T - timedelta(days=5)], T, 48, tz=NEW_YORK)
    assert violation is not None
    assert violation.conflicting_starts == (before, after)
    assert "only 30 h 0 min from the dosing session at Sat, May 2, 2026, 11:00 PM EDT" in violation.message


def test_interval_is_elapsed_time_across_daylight_saving() -> None:
    violation = check_interval([ny(date(2026, 3, 7))], ny(date(2026, 3, 9)), 48, tz=NEW_YORK)
    assert violation is not None
    assert violation.message.startswith(
        "Mon, Mar 9, 2026, 9:00 AM EDT is only 47 h 0 min from the dosing session at Sat, Mar 7, 2026, 9:00 AM EST"
    )


def test_changed_protocol_moves_the_interval() -> None:
    assert check_interval([T], T + timedelta(hours=60), 48) is None
    assert check_interval([T], T + timedelta(hours=60), 72) is not None


@pytest.mark.parametrize("check", [check_interval, check_weekly_limit])
def test_spacing_checks_refuse_naive_datetimes(check: Any) -> None:
    with pytest.raises(ValueError, match="new_start must be timezone-aware"):
        check([T], T.replace(tzinfo=None) + timedelta(days=3), 2)
    with pytest.raises(ValueError, match="existing_starts must be timezone-aware"):
        check([T.replace(tzinfo=None)], T + timedelta(days=3), 2)


# --- rolling 7 days -----------------------------------------------------------------------------------------


def days(*offsets: float) -> list[datetime]:
    return [T + timedelta(days=offset) for offset in offsets]


@pytest.mark.parametrize(
    ("existing", "new", "limit", "violated"),
    [
        pytest.param(days(0, 3), T + timedelta(days=7), 2, False, id="mon_thu_then_next_mon"),
        pytest.param(days(0, 3), T + timedelta(days=7, minutes=-1), 2, True, id="a_minute_inside_the_week"),
        pytest.param(days(3, 5), T + timedelta(days=8), 2, True, id="rolling_not_calendar_week"),
        pytest.param(days(3, 5), T + timedelta(days=10), 2, False, id="rolling_window_has_moved_on"),
        pytest.param(days(0, 4), T + timedelta(days=2), 2, True, id="new_in_the_middle"),
        pytest.param(days(2, 4), T, 2, True, id="new_first_in_the_window"),
        pytest.param(days(-7), T, 2, False, id="exactly_a_week_before"),
        pytest.param(days(0, 2), T + timedelta(days=4), 3, False, id="intensive_three_allowed"),
        pytest.param(days(0, 2, 4), T + timedelta(days=6), 3, True, id="intensive_fourth_refused"),
        pytest.param([], T, 1, False, id="first_session"),
        pytest.param(days(-3), T, 1, True, id="limit_of_one"),
    ],
)
def test_check_weekly_limit(existing: list[datetime], new: datetime, limit: int, violated: bool) -> None:
    violation = check_weekly_limit(existing, new, limit)
    assert (violation is not None) is violated
    if violation is not None:
        assert violation.code == "weekly_limit"


def test_weekly_limit_message_lists_the_sessions_in_the_window() -> None:
    violation = check_weekly_limit(days(3, 5), T + timedelta(days=8), 2)
    assert violation is not None
    assert violation.message == (
        "3 dosing sessions within 7 days (Thu, May 7, 2026, 9:00 AM UTC, Sat, May 9, 2026, 9:00 AM UTC, "
        "Tue, May 12, 2026, 9:00 AM UTC); at most 2 are allowed in any rolling 7 days."
    )
    assert violation.conflicting_starts == tuple(days(3, 5))


def test_weekly_window_keeps_the_local_time_across_daylight_saving() -> None:
    existing = [ny(date(2026, 3, 2)), ny(date(2026, 3, 5))]  # Monday and Thursday, EST
    new = ny(date(2026, 3, 9))  # Monday, EDT: only 167 elapsed hours after the first
    assert check_weekly_limit(existing, new, 2, tz=NEW_YORK) is None
    in_utc = check_weekly_limit(existing, new, 2)
    assert in_utc is not None
    assert in_utc.code == "weekly_limit"


# --- course weeks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("course", "counts"),
    [
        (TEMPLATES["standard_induction"], [2, 2, 2]),
        (TEMPLATES["intensive_retreat"], [3, 3]),
        (TEMPLATES["maintenance"], [1]),
        (TEMPLATES["esketamine_induction"], [2, 2, 2, 2, 1, 1, 1, 1]),
        (template(sessions=5), [2, 2, 1]),
        (template(sessions=5, phases=((1, 2),)), [2, 2, 1]),  # the last phase's rate continues
        (template(sessions=3, phases=((4, 2),)), [2, 1]),  # phases longer than the course are cut
        (template(sessions=4, phases=((1, 2), (1, 0), (1, 2))), [2, 0, 2]),  # a week off
    ],
)
def test_course_weekly_counts(course: CourseTemplate, counts: list[int]) -> None:
    assert course_weekly_counts(course) == counts


@pytest.mark.parametrize("phases", [((1, -1), (1, 1)), ((2, 1), (1, 0))])
def test_course_weekly_counts_refuses_impossible_phases(phases: tuple[tuple[int, int], ...]) -> None:
    with pytest.raises(SchedulingError) as raised:
        course_weekly_counts(template(phases=phases))
    assert raised.value.code == "invalid_template"


# --- course proposal ----------------------------------------------------------------------------------------


def propose(course: CourseTemplate | str, start: date, weekdays: tuple[int, ...], **more: Any) -> list[datetime]:
    if isinstance(course, str):
        course = TEMPLATES[course]
    local_time = more.pop("local_time", time(9, 0))
    tz = more.pop("tz", NEW_YORK)
    protocol = more.pop("protocol", DEFAULT_PROTOCOL)
    return propose_course(course, start, weekdays, local_time, tz, protocol)


def test_standard_induction_across_spring_forward_keeps_9_am_local() -> None:
    starts = propose("standard_induction", date(2026, 3, 2), (MON, THU))
    assert starts == [
        utc(2026, 3, 2, 14, 0),  # EST, UTC-5
        utc(2026, 3, 5, 14, 0),
        utc(2026, 3, 9, 13, 0),  # EDT, UTC-4 after 2026-03-08
        utc(2026, 3, 12, 13, 0),
        utc(2026, 3, 16, 13, 0),
        utc(2026, 3, 19, 13, 0),
    ]
    assert all(start.tzinfo is UTC for start in starts)
    assert {f"{start.astimezone(NEW_YORK):%H:%M}" for start in starts} == {"09:00"}


def test_standard_induction_across_fall_back_keeps_9_am_local() -> None:
    starts = propose("standard_induction", date(2026, 10, 26), (MON, THU))
    assert starts == [
        utc(2026, 10, 26, 13, 0),  # EDT
        utc(2026, 10, 29, 13, 0),
        utc(2026, 11, 2, 14, 0),  # EST after 2026-11-01
        utc(2026, 11, 5, 14, 0),
        utc(2026, 11, 9, 14, 0),
        utc(2026, 11, 12, 14, 0),
    ]
    assert [start.astimezone(NEW_YORK).utcoffset() for start in starts[1:3]] == [
        timedelta(hours=-4),
        timedelta(hours=-5),
    ]


def test_course_starts_at_the_first_requested_weekday_on_or_after_the_start_date() -> None:
    starts = propose("standard_induction", date(2026, 5, 6), (MON, THU), tz=ZoneInfo("UTC"))  # a Wednesday
    assert [start.date() for start in starts] == [
        date(2026, 5, 7),
        date(2026, 5, 11),
        date(2026, 5, 14),
        date(2026, 5, 18),
        date(2026, 5, 21),
        date(2026, 5, 25),
    ]


def test_intensive_retreat_three_a_week_across_spring_forward() -> None:
    # Measured in UTC, Wed 09:00 EST to the next Wed 09:00 EDT is 167 h and would hold four sessions.
    starts = propose("intensive_retreat", date(2026, 3, 2), (MON, WED, FRI))
    assert [f"{start.astimezone(NEW_YORK):%a %d %H:%M}" for start in starts] == [
        "Mon 02 09:00",
        "Wed 04 09:00",
        "Fri 06 09:00",
        "Mon 09 09:00",
        "Wed 11 09:00",
        "Fri 13 09:00",
    ]


def test_esketamine_induction_follows_its_phases() -> None:
    starts = propose("esketamine_induction", date(2026, 1, 5), (MON, THU))
    assert [start.date() for start in starts] == [
        date(2026, 1, 5),
        date(2026, 1, 8),
        date(2026, 1, 12),
        date(2026, 1, 15),
        date(2026, 1, 19),
        date(2026, 1, 22),
        date(2026, 1, 26),
        date(2026, 1, 29),
        date(2026, 2, 2),  # weeks 5-8: weekly, on the first requested weekday of each week
        date(2026, 2, 9),
        date(2026, 2, 16),
        date(2026, 2, 23),
    ]
    assert {start.hour for start in starts} == {14}


def test_maintenance_is_a_single_session() -> None:
    assert propose("maintenance", date(2026, 5, 6), (MON,)) == [utc(2026, 5, 11, 13, 0)]


def test_a_time_that_occurs_twice_is_its_first_occurrence() -> None:
    assert propose("maintenance", date(2026, 11, 1), (SUN,), local_time=time(1, 30)) == [utc(2026, 11, 1, 5, 30)]


@pytest.mark.parametrize(
    ("course", "start", "weekdays", "more", "code"),
    [
        pytest.param("standard_induction", date(2026, 5, 4), (MON, TUE), {}, "interval_too_short", id="mon_tue"),
        pytest.param(
            "standard_induction", date(2026, 3, 2), (MON, SAT), {}, "interval_too_short", id="sat_mon_across_dst"
        ),
        pytest.param("standard_induction", date(2026, 5, 4), (MON,), {}, "not_enough_weekdays", id="one_weekday"),
        pytest.param("intensive_retreat", date(2026, 5, 4), (MON, THU), {}, "not_enough_weekdays", id="two_of_three"),
        pytest.param("intensive_retreat", date(2026, 5, 4), (MON, WED, THU), {}, "interval_too_short", id="wed_thu"),
        pytest.param(
            template(sessions_per_week=3), date(2026, 5, 4), (MON, WED, FRI), {}, "weekly_limit", id="three_of_two"
        ),
        pytest.param(
            template(within_days=17), date(2026, 5, 4), (MON, THU), {}, "within_days_exceeded", id="within_17"
        ),
        pytest.param("standard_induction", date(2026, 5, 4), (), {}, "invalid_weekdays", id="no_weekdays"),
        pytest.param("standard_induction", date(2026, 5, 4), (MON, 7), {}, "invalid_weekdays", id="weekday_7"),
        pytest.param("standard_induction", date(2026, 5, 4), (-1, THU), {}, "invalid_weekdays", id="weekday_minus_1"),
        pytest.param("standard_induction", date(2026, 5, 4), (MON, MON), {}, "invalid_weekdays", id="duplicate"),
        pytest.param(
            "standard_induction",
            date(2026, 5, 4),
            (MON, THU),
            {"local_time": time(9, 0, tzinfo=UTC)},
            "invalid_time",
            id="aware_time",
        ),
        pytest.param(
            "maintenance",
            date(2026, 3, 8),
            (SUN,),
            {"local_time": time(2, 30)},
            "nonexistent_local_time",
            id="spring_forward_gap",
        ),
        pytest.param(
            template(phases=((1, 2), (1, 0))), date(2026, 5, 4), (MON, THU), {}, "invalid_template", id="tail_of_0"
        ),
    ],
)
def test_propose_course_refuses_what_the_template_cannot_do(
    course: CourseTemplate | str, start: date, weekdays: tuple[int, ...], more: dict[str, Any], code: str
) -> None:
    with pytest.raises(SchedulingError) as raised:
        propose(course, start, weekdays, **more)
    assert raised.value.code == code
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == f"{code}: {raised.value.message}"


@pytest.mark.parametrize(
    ("course", "start", "weekdays", "more", "message"),
    [
        (
            "standard_induction",
            date(2026, 5, 4),
            (MON, TUE),
            {},
            "Tue, May 5, 2026, 9:00 AM EDT is only 24 h 0 min from the dosing session at Mon, May 4, 2026, "
            "9:00 AM EDT; at least 48 hours are required between the starts of two dosing sessions.",
        ),
        (
            "standard_induction",
            date(2026, 5, 4),
            (THU,),
            {},
            "Standard induction (6 IV infusions, twice weekly) needs 2 sessions in a week; 1 weekday given "
            "(Thursday): choose more weekdays.",
        ),
        (
            template(within_days=17),
            date(2026, 5, 4),
            (THU, MON),
            {},
            "Test course must fit within 17 days; these weekdays take 18 days (Mon, May 4, 2026 to Thu, May 21, 2026): "
            "choose weekdays closer together.",
        ),
        (
            "maintenance",
            date(2026, 3, 8),
            (SUN,),
            {"local_time": time(2, 30)},
            "2:30 AM does not exist on Sun, Mar 8, 2026 at this site (the clocks move forward); choose another time.",
        ),
    ],
)
def test_propose_course_messages(
    course: CourseTemplate | str, start: date, weekdays: tuple[int, ...], more: dict[str, Any], message: str
) -> None:
    with pytest.raises(SchedulingError) as raised:
        propose(course, start, weekdays, **more)
    assert raised.value.message == message


def test_within_days_is_counted_from_the_first_session() -> None:
    assert len(propose(template(within_days=18), date(2026, 5, 4), (MON, THU))) == 6  # 17 days apart
    # Starting on a Tuesday: Thu 7 May ... Mon 25 May is 18 days apart, within the standard 21.
    assert len(propose("standard_induction", date(2026, 5, 5), (MON, THU))) == 6


def test_changed_protocol_moves_interval_and_weekly_limit() -> None:
    assert len(propose("standard_induction", date(2026, 5, 4), (MON, WED))) == 6
    slower = Protocol(scheduling=Scheduling(min_interval_hours=72))
    with pytest.raises(SchedulingError, match="at least 72 hours are required") as raised:
        propose("standard_induction", date(2026, 5, 4), (MON, WED), protocol=slower)
    assert raised.value.code == "interval_too_short"

    three_a_week = template(sessions_per_week=3)
    with pytest.raises(SchedulingError, match="at most 2 are allowed"):
        propose(three_a_week, date(2026, 5, 4), (MON, WED, FRI))
    looser = Protocol(scheduling=Scheduling(max_sessions_rolling_7_days=3))
    assert len(propose(three_a_week, date(2026, 5, 4), (MON, WED, FRI), protocol=looser)) == 6
