"""sessions.preparation (pure): the preparation shown for one session, and the portal's timing rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clinic.protocol import DEFAULT_PROTOCOL, Fasting, Monitoring, Portal, Protocol, Route
from sessions.preparation import BRING, check_in_open, inside_notice_period, preparation_for

START = dt.datetime(2026, 5, 4, 13, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("route", "solids", "liquids"),
    [
        (Route.IV, dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC), dt.datetime(2026, 5, 4, 11, 0, tzinfo=dt.UTC)),
        (
            Route.ESKETAMINE,
            dt.datetime(2026, 5, 4, 11, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 5, 4, 12, 30, tzinfo=dt.UTC),
        ),
    ],
)
def test_fasting_times_come_from_the_route_s_protocol_hours(
    route: Route, solids: dt.datetime, liquids: dt.datetime
) -> None:
    prep = preparation_for(START, route, DEFAULT_PROTOCOL)
    assert (prep.solids_until, prep.clear_liquids_until) == (solids, liquids)
    assert prep.escort_needed is True
    assert prep.bring == BRING


def test_a_changed_protocol_changes_the_times() -> None:
    fasting = dict(DEFAULT_PROTOCOL.monitoring.fasting)
    fasting[Route.IV] = Fasting(solids_hours=Decimal("8"), clear_liquids_hours=Decimal("1.5"))
    protocol = Protocol(monitoring=Monitoring(fasting=fasting))
    prep = preparation_for(START, Route.IV, protocol)
    assert prep.solids_until == START - dt.timedelta(hours=8)
    assert prep.clear_liquids_until == START - dt.timedelta(minutes=90)


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (dt.timedelta(hours=25), False),
        (dt.timedelta(hours=24), True),
        (dt.timedelta(minutes=1), True),
        (dt.timedelta(0), False),
    ],
)
def test_the_check_in_opens_a_day_before_and_closes_at_the_start(before: dt.timedelta, expected: bool) -> None:
    assert check_in_open(START, START - before, DEFAULT_PROTOCOL) is expected


@pytest.mark.parametrize(
    ("before", "hours", "expected"),
    [
        (dt.timedelta(hours=30), 24, False),
        (dt.timedelta(hours=24), 24, False),
        (dt.timedelta(hours=23), 24, True),
        (dt.timedelta(hours=30), 48, True),
    ],
)
def test_the_notice_period(before: dt.timedelta, hours: int, expected: bool) -> None:
    protocol = Protocol(portal=Portal(appointment_notice_hours=hours))
    assert inside_notice_period(START, START - before, protocol) is expected
