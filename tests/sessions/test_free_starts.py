"""Free-slot suggestions (sessions.scheduling.free_starts). Pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessions.scheduling import free_starts

T0 = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)  # 09:00 in New York


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("busy", "minutes"),
    [
        ([], list(range(0, 216, 15))),  # every 15 min while an 85-min block still ends by 300
        ([(60, 145)], [150, 165, 180, 195, 210]),  # a block from 0 would run into the busy range
        ([(60, 145), (200, 400)], []),
        ([(-100, 5)], list(range(15, 216, 15))),
    ],
)
def test_free_starts(busy: list[tuple[int, int]], minutes: list[int]) -> None:
    starts = free_starts([(at(a), at(b)) for a, b in busy], at(0), at(300), 85, 15)
    assert [int((s - T0).total_seconds() // 60) for s in starts] == minutes
    assert all(s.tzinfo is UTC for s in starts)


def test_free_starts_back_to_back_and_bad_input() -> None:
    starts = free_starts([(at(0), at(85))], at(0), at(170), 85, 85)
    assert starts == [at(85)]
    with pytest.raises(ValueError, match="positive"):
        free_starts([], at(0), at(60), 0, 15)
    with pytest.raises(ValueError, match="aware"):
        free_starts([], datetime(2026, 5, 4, 9), at(60), 30, 15)  # noqa: DTZ001
