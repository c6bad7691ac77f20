"""In-session monitoring (clinical protocol §4): tables over sessions.monitoring, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from clinic.protocol import (
    DEFAULT_PROTOCOL,
    Fasting,
    Instruments,
    Monitoring,
    Protocol,
    Route,
    VitalLimits,
)
from sessions.monitoring import (
    DischargeBlocker,
    ImplausibleVitalsError,
    Vitals,
    discharge_readiness,
    fasting_check,
    fasting_times,
    in_session_alerts,
    next_vitals_due,
    plausibility_errors,
    pre_dose_gate,
    vitals_due_times,
)

D = Decimal
MONITORING = DEFAULT_PROTOCOL.monitoring
START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def vitals(systolic: int = 120, diastolic: int = 80, heart_rate: int = 70, spo2: int = 98, **more: Any) -> Vitals:
    return Vitals(systolic=systolic, diastolic=diastolic, heart_rate=heart_rate, spo2=spo2, **more)


# --- fasting ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "solids", "liquids", "status", "reasons"),
    [
        ("iv", D("6"), D("2"), "ok", ()),
        ("iv", D("12"), D("8"), "ok", ()),
        (
            "iv",
            D("5.9"),
            D("2"),
            "review",
            ("Last solids 5 hours 54 minutes ago; the IV infusion needs none for 6 hours",),
        ),
        (
            "im",
            D("6"),
            D("1.9"),
            "review",
            ("Last clear liquids 1 hour 54 minutes ago; the IM injection needs none for 2 hours",),
        ),
        ("im", D("0"), D("0"), "review", None),
        ("sublingual", D("6"), D("2"), "ok", ()),
        ("esketamine", D("2"), D("0.5"), "ok", ()),
        (
            "esketamine",
            D("1.9"),
            D("0.4"),
            "review",
            (
                "Last solids 1 hour 54 minutes ago; the esketamine nasal spray needs none for 2 hours",
                "Last clear liquids 24 minutes ago; the esketamine nasal spray needs none for 30 minutes",
            ),
        ),
        (Route.IV, None, D("3"), "review", ("Time since the last solids was not attested",)),
        (
            Route.IV,
            None,
            None,
            "review",
            (
                "Time since the last solids was not attested",
                "Time since the last clear liquids was not attested",
            ),
        ),
    ],
)
def test_fasting_check(
    route: str, solids: Decimal | None, liquids: Decimal | None, status: str, reasons: tuple[str, ...] | None
) -> None:
    result = fasting_check(route, solids, liquids, MONITORING)
    assert result.status == status
    if reasons is None:
        assert len(result.reasons) == 2
    else:
        assert result.reasons == reasons


def test_fasting_refuses_negative_hours_and_unknown_routes() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        fasting_check("iv", D("-1"), D("2"), MONITORING)
    with pytest.raises(ValueError, match="not a valid Route"):
        fasting_check("oral", D("6"), D("2"), MONITORING)


def test_fasting_without_a_rule_for_the_route_is_a_protocol_error() -> None:
    monitoring = Monitoring(fasting={Route.IV: Fasting(solids_hours=D("6"), clear_liquids_hours=D("2"))})
    with pytest.raises(ValueError, match="protocol error: no fasting rule for route im"):
        fasting_check("im", D("6"), D("2"), monitoring)


@pytest.mark.parametrize(
    ("route", "solids_until", "liquids_until"),
    [
        (Route.IV, datetime(2026, 5, 4, 3, 0, tzinfo=UTC), datetime(2026, 5, 4, 7, 0, tzinfo=UTC)),
        (Route.IM, datetime(2026, 5, 4, 3, 0, tzinfo=UTC), datetime(2026, 5, 4, 7, 0, tzinfo=UTC)),
        (Route.ESKETAMINE, datetime(2026, 5, 4, 7, 0, tzinfo=UTC), datetime(2026, 5, 4, 8, 30, tzinfo=UTC)),
    ],
)
def test_fasting_times_count_back_from_the_start(route: Route, solids_until: datetime, liquids_until: datetime) -> None:
    times = fasting_times(START, route, MONITORING)
    assert (times.solids_until, times.clear_liquids_until) == (solids_until, liquids_until)


def test_fasting_times_follow_the_protocol_and_need_a_rule() -> None:
    monitoring = Monitoring(fasting={Route.IV: Fasting(solids_hours=D("8.5"), clear_liquids_hours=D("0.25"))})
    times = fasting_times(START, "iv", monitoring)
    assert times.solids_until == START - timedelta(hours=8, minutes=30)
    assert times.clear_liquids_until == START - timedelta(minutes=15)
    with pytest.raises(ValueError, match="protocol error: no fasting rule for route im"):
        fasting_times(START, "im", monitoring)


def test_changed_protocol_moves_the_fasting_rule() -> None:
    monitoring = Monitoring(
        fasting={**MONITORING.fasting, Route.IV: Fasting(solids_hours=D("8"), clear_liquids_hours=D("2"))}
    )
    assert fasting_check("iv", D("6"), D("2"), MONITORING).status == "ok"
    assert fasting_check("iv", D("6"), D("2"), monitoring).status == "review"


# --- plausibility -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "errors"),
    [
        (vitals(), set()),
        (vitals(respiratory_rate=16), set()),
        (vitals(systolic=40, diastolic=20, heart_rate=20, spo2=50, respiratory_rate=4), set()),
        (vitals(systolic=300, diastolic=200, heart_rate=250, spo2=100, respiratory_rate=60), set()),
        (vitals(systolic=39, diastolic=20), {"systolic"}),
        (vitals(systolic=301), {"systolic"}),
        (vitals(diastolic=19), {"diastolic"}),
        (vitals(systolic=250, diastolic=201), {"diastolic"}),
        (vitals(heart_rate=19), {"heart_rate"}),
        (vitals(heart_rate=251), {"heart_rate"}),
        (vitals(spo2=49), {"spo2"}),
        (vitals(spo2=101), {"spo2"}),
        (vitals(spo2=980), {"spo2"}),
        (vitals(respiratory_rate=3), {"respiratory_rate"}),
        (vitals(respiratory_rate=61), {"respiratory_rate"}),
        (vitals(systolic=80, diastolic=80), {"diastolic"}),
        (vitals(systolic=80, diastolic=90), {"diastolic"}),
        (vitals(systolic=30, diastolic=90), {"systolic"}),  # the order check waits for a plausible systolic
        (vitals(systolic=cast(Any, "120")), {"systolic"}),
        (vitals(heart_rate=True), {"heart_rate"}),
        (vitals(spo2=cast(Any, 97.5)), {"spo2"}),
        (
            vitals(systolic=0, diastolic=0, heart_rate=0, spo2=0),
            {"systolic", "diastolic", "heart_rate", "spo2"},
        ),
    ],
)
def test_plausibility_errors(reading: Vitals, errors: set[str]) -> None:
    assert set(plausibility_errors(reading)) == errors


def test_plausibility_messages() -> None:
    assert plausibility_errors(vitals(spo2=980)) == {
        "spo2": "SpO2 980 % is not plausible (accepted 50-100 %): check the entry."
    }
    assert plausibility_errors(vitals(systolic=80, diastolic=85)) == {
        "diastolic": "Diastolic 85 mmHg must be below systolic 80 mmHg."
    }
    assert plausibility_errors(vitals(heart_rate=True)) == {"heart_rate": "Heart rate must be a whole number."}


@pytest.mark.parametrize("check", [pre_dose_gate, in_session_alerts])
def test_gate_and_alerts_refuse_implausible_vitals(check: Any) -> None:
    with pytest.raises(ImplausibleVitalsError) as raised:
        check(vitals(spo2=980, heart_rate=300), MONITORING)
    assert set(raised.value.errors) == {"spo2", "heart_rate"}
    assert isinstance(raised.value, ValueError)
    assert str(raised.value).startswith("heart_rate: Heart rate 300/min is not plausible")


# --- pre-dose gate ------------------------------------------------------------------------------------------

DEFER = "defer dosing"
REVIEW = "a prescriber must acknowledge with a reason to proceed"


@pytest.mark.parametrize(
    ("reading", "decision", "reasons"),
    [
        pytest.param(vitals(), "proceed", (), id="normal"),
        pytest.param(vitals(140, 90), "proceed", (), id="140_90_proceeds"),
        pytest.param(vitals(141, 90), "review", (f"Systolic 141 mmHg is above 140 mmHg: {REVIEW}",), id="141"),
        pytest.param(vitals(180, 80), "review", (f"Systolic 180 mmHg is above 140 mmHg: {REVIEW}",), id="180"),
        pytest.param(vitals(181, 80), "defer", (f"Systolic 181 mmHg is above 180 mmHg: {DEFER}",), id="181"),
        pytest.param(vitals(130, 91), "review", (f"Diastolic 91 mmHg is above 90 mmHg: {REVIEW}",), id="dia_91"),
        pytest.param(vitals(130, 110), "review", (f"Diastolic 110 mmHg is above 90 mmHg: {REVIEW}",), id="dia_110"),
        pytest.param(vitals(130, 111), "defer", (f"Diastolic 111 mmHg is above 110 mmHg: {DEFER}",), id="dia_111"),
        pytest.param(vitals(heart_rate=50), "proceed", (), id="hr_50"),
        pytest.param(vitals(heart_rate=49), "defer", (f"Heart rate 49/min is below 50/min: {DEFER}",), id="hr_49"),
        pytest.param(vitals(heart_rate=120), "proceed", (), id="hr_120"),
        pytest.param(vitals(heart_rate=121), "defer", (f"Heart rate 121/min is above 120/min: {DEFER}",), id="hr_121"),
        pytest.param(vitals(spo2=95), "proceed", (), id="spo2_95"),
        pytest.param(vitals(spo2=94), "defer", (f"SpO2 94 % is below 95 %: {DEFER}",), id="spo2_94"),
        pytest.param(
            vitals(145, 95),
            "review",
            (
                f"Systolic 145 mmHg is above 140 mmHg: {REVIEW}",
                f"Diastolic 95 mmHg is above 90 mmHg: {REVIEW}",
            ),
            id="both_review",
        ),
        pytest.param(
            vitals(185, 95, heart_rate=125, spo2=93),
            "defer",
            (
                f"Systolic 185 mmHg is above 180 mmHg: {DEFER}",
                f"Heart rate 125/min is above 120/min: {DEFER}",
                f"SpO2 93 % is below 95 %: {DEFER}",
                f"Diastolic 95 mmHg is above 90 mmHg: {REVIEW}",
            ),
            id="every_reason_listed",
        ),
        pytest.param(
            vitals(190, 115),
            "defer",
            (
                f"Systolic 190 mmHg is above 180 mmHg: {DEFER}",
                f"Diastolic 115 mmHg is above 110 mmHg: {DEFER}",
            ),
            id="defer_not_repeated_as_review",
        ),
    ],
)
def test_pre_dose_gate(reading: Vitals, decision: str, reasons: tuple[str, ...]) -> None:
    result = pre_dose_gate(reading, MONITORING)
    assert result.decision == decision
    assert result.reasons == reasons


def test_changed_protocol_moves_the_gate() -> None:
    monitoring = Monitoring(
        gate_review_systolic_above=150,
        gate_defer=VitalLimits(
            systolic_above=170, diastolic_above=110, heart_rate_above=120, heart_rate_below=50, spo2_below=95
        ),
    )
    assert pre_dose_gate(vitals(145, 80), MONITORING).decision == "review"
    assert pre_dose_gate(vitals(145, 80), monitoring).decision == "proceed"
    assert pre_dose_gate(vitals(171, 80), MONITORING).decision == "review"
    assert pre_dose_gate(vitals(171, 80), monitoring).decision == "defer"


# --- in-session alerts --------------------------------------------------------------------------------------

PAUSE = "pause recommended"


@pytest.mark.parametrize(
    ("reading", "alerts"),
    [
        pytest.param(vitals(180, 110, heart_rate=130, spo2=92), (), id="at_the_limits"),
        pytest.param(vitals(heart_rate=45), (), id="hr_45"),
        pytest.param(vitals(181, 100), (f"Systolic 181 mmHg is above 180 mmHg: {PAUSE}",), id="sys_181"),
        pytest.param(vitals(170, 111), (f"Diastolic 111 mmHg is above 110 mmHg: {PAUSE}",), id="dia_111"),
        pytest.param(vitals(heart_rate=131), (f"Heart rate 131/min is above 130/min: {PAUSE}",), id="hr_131"),
        pytest.param(vitals(heart_rate=44), (f"Heart rate 44/min is below 45/min: {PAUSE}",), id="hr_44"),
        pytest.param(vitals(spo2=91), (f"SpO2 91 % is below 92 %: {PAUSE}",), id="spo2_91"),
        pytest.param(vitals(heart_rate=121, spo2=94), (), id="gate_defer_is_no_alert"),
        pytest.param(
            vitals(200, 120, heart_rate=140, spo2=88),
            (
                f"Systolic 200 mmHg is above 180 mmHg: {PAUSE}",
                f"Diastolic 120 mmHg is above 110 mmHg: {PAUSE}",
                f"Heart rate 140/min is above 130/min: {PAUSE}",
                f"SpO2 88 % is below 92 %: {PAUSE}",
            ),
            id="every_alert",
        ),
    ],
)
def test_in_session_alerts(reading: Vitals, alerts: tuple[str, ...]) -> None:
    assert in_session_alerts(reading, MONITORING) == alerts


def test_changed_protocol_moves_the_alerts() -> None:
    monitoring = Monitoring(
        alert=VitalLimits(
            systolic_above=170, diastolic_above=110, heart_rate_above=130, heart_rate_below=45, spo2_below=90
        )
    )
    assert in_session_alerts(vitals(175, 90, spo2=91), MONITORING) == (f"SpO2 91 % is below 92 %: {PAUSE}",)
    assert in_session_alerts(vitals(175, 90, spo2=91), monitoring) == (f"Systolic 175 mmHg is above 170 mmHg: {PAUSE}",)


# --- vitals timetable ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ended", "until", "expected_minutes"),
    [
        pytest.param(40, 90, [0, 10, 20, 30, 40, 55, 70, 85], id="iv_40_min"),
        pytest.param(40, 40, [0, 10, 20, 30, 40], id="until_the_end"),
        pytest.param(35, 65, [0, 10, 20, 30, 35, 50, 65], id="end_off_the_grid"),
        pytest.param(None, 25, [0, 10, 20], id="still_dosing"),
        pytest.param(None, 30, [0, 10, 20, 30], id="until_inclusive"),
        pytest.param(0, 30, [0, 15, 30], id="bolus"),
        pytest.param(40, 25, [0, 10, 20], id="until_before_the_end"),
        pytest.param(None, -5, [], id="until_before_the_start"),
    ],
)
def test_vitals_due_times(ended: int | None, until: int, expected_minutes: list[int]) -> None:
    dosing_ended_at = None if ended is None else at(ended)
    assert vitals_due_times(START, dosing_ended_at, at(until), MONITORING) == [at(m) for m in expected_minutes]


def test_vitals_due_times_are_utc_and_elapsed_across_a_clock_change() -> None:
    # 2026-11-01 01:50 EDT; the clocks go back at 02:00 EDT to 01:00 EST. Ten minutes later is 01:00 EST.
    started = datetime(2026, 11, 1, 1, 50, tzinfo=NEW_YORK)
    until = datetime(2026, 11, 1, 1, 5, tzinfo=NEW_YORK).replace(fold=1)  # 01:05 EST, 15 min after the start
    due = vitals_due_times(started, None, until, MONITORING)
    assert due == [datetime(2026, 11, 1, 5, 50, tzinfo=UTC), datetime(2026, 11, 1, 6, 0, tzinfo=UTC)]
    assert [d.tzinfo for d in due] == [UTC, UTC]
    assert [f"{d.astimezone(NEW_YORK):%H:%M %Z}" for d in due] == ["01:50 EDT", "01:00 EST"]


def test_changed_protocol_moves_the_timetable() -> None:
    monitoring = Monitoring(vitals_every_min_while_dosing=5, vitals_every_min_after_dosing=30)
    assert vitals_due_times(START, at(10), at(70), monitoring) == [at(0), at(5), at(10), at(40), at(70)]


@pytest.mark.parametrize(
    ("last", "ended", "now", "expected"),
    [
        pytest.param(None, None, 2, 0, id="no_reading_yet"),
        pytest.param(-5, None, 2, 0, id="pre_dose_reading_does_not_count"),
        pytest.param(0, None, 2, 10, id="while_dosing"),
        pytest.param(12, None, 30, 22, id="overdue_while_dosing"),
        pytest.param(35, 40, 41, 45, id="read_before_the_end"),
        pytest.param(40, 40, 41, 55, id="read_at_the_end"),
        pytest.param(55, 40, 56, 70, id="after_dosing"),
        pytest.param(None, 40, 50, 0, id="no_reading_at_all"),
    ],
)
def test_next_vitals_due(last: int | None, ended: int | None, now: int, expected: int) -> None:
    last_reading_at = None if last is None else at(last)
    dosing_ended_at = None if ended is None else at(ended)
    assert next_vitals_due(last_reading_at, START, dosing_ended_at, at(now), MONITORING) == at(expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: vitals_due_times(START, at(-1), at(30), MONITORING),
            "dosing_ended_at is before dosing_started_at",
        ),
        (
            lambda: vitals_due_times(START.replace(tzinfo=None), None, at(30), MONITORING),
            "dosing_started_at must be",
        ),
        (lambda: vitals_due_times(START, None, at(30).replace(tzinfo=None), MONITORING), "until must be"),
        (lambda: next_vitals_due(at(5), START, None, at(4), MONITORING), "last_reading_at is after now"),
        (lambda: next_vitals_due(at(5), START, at(40), at(30), MONITORING), "dosing_ended_at is after now"),
        (lambda: next_vitals_due(None, START, None, at(5).replace(tzinfo=None), MONITORING), "now must be"),
    ],
)
def test_timetable_refuses_inconsistent_times(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- discharge ----------------------------------------------------------------------------------------------

ALDRETE_LOW = "aldrete_too_low"
TOO_SHORT = "observation_too_short"
NO_ESCORT = "no_escort"


@pytest.mark.parametrize(
    ("aldrete", "route", "observed_min", "escort", "codes"),
    [
        pytest.param(9, "iv", 30, True, (), id="iv_ready"),
        pytest.param(10, "im", 45, True, (), id="im_ready"),
        pytest.param(8, "iv", 30, True, (ALDRETE_LOW,), id="aldrete_8"),
        pytest.param(9, "iv", 29, True, (TOO_SHORT,), id="iv_29_min"),
        pytest.param(9, "iv", 29.99, True, (TOO_SHORT,), id="iv_29_min_59_s"),
        pytest.param(9, "im", 29, True, (TOO_SHORT,), id="im_29_min"),
        pytest.param(9, "sublingual", 59, True, (TOO_SHORT,), id="sublingual_59_min"),
        pytest.param(9, "sublingual", 60, True, (), id="sublingual_60_min"),
        pytest.param(9, "esketamine", 119, True, (TOO_SHORT,), id="esketamine_119_min"),
        pytest.param(9, Route.ESKETAMINE, 120, True, (), id="esketamine_120_min"),
        pytest.param(9, "iv", 30, False, (NO_ESCORT,), id="no_escort"),
        pytest.param(0, "iv", 0, False, (ALDRETE_LOW, TOO_SHORT, NO_ESCORT), id="every_blocker"),
        pytest.param(9, "iv", None, True, (TOO_SHORT,), id="end_not_recorded"),
    ],
)
def test_discharge_readiness(
    aldrete: int, route: str, observed_min: float | None, escort: bool, codes: tuple[str, ...]
) -> None:
    now = at(100)
    ended = None if observed_min is None else now - timedelta(minutes=observed_min)
    result = discharge_readiness(aldrete, ended, now, route, escort, DEFAULT_PROTOCOL)
    assert tuple(blocker.code for blocker in result.blockers) == codes
    assert result.ready is (codes == ())


def test_discharge_messages() -> None:
    result = discharge_readiness(8, at(0), at(29.5), "iv", False, DEFAULT_PROTOCOL)
    assert result.blockers == (
        DischargeBlocker("aldrete_too_low", "Modified Aldrete score 8; discharge needs at least 9"),
        DischargeBlocker(
            "observation_too_short",
            "Observed 29 min since dosing ended; the IV infusion needs at least 30 min",
        ),
        DischargeBlocker("no_escort", "No escort present: a responsible adult must take the patient home"),
    )
    assert result.blockers[0] == ("aldrete_too_low", "Modified Aldrete score 8; discharge needs at least 9")
    not_ended = discharge_readiness(9, None, at(10), "esketamine", True, DEFAULT_PROTOCOL)
    assert not_ended.blockers[0].message == (
        "The end of dosing is not recorded; the esketamine nasal spray needs 120 min of observation after it"
    )


def test_discharge_works_across_time_zones() -> None:
    ended = datetime(2026, 5, 4, 5, 0, tzinfo=NEW_YORK)  # 09:00 UTC
    assert discharge_readiness(9, ended, at(30), "iv", True, DEFAULT_PROTOCOL).ready is True
    assert discharge_readiness(9, ended, at(29), "iv", True, DEFAULT_PROTOCOL).ready is False


@pytest.mark.parametrize(
    ("aldrete", "ended", "now", "message"),
    [
        (11, at(0), at(60), "a modified Aldrete total is 0-10, got 11"),
        (-1, at(0), at(60), "a modified Aldrete total is 0-10, got -1"),
        (9, at(61), at(60), "dosing_ended_at is after now"),
        (9, at(0), at(60).replace(tzinfo=None), "now must be timezone-aware"),
        (9, at(0).replace(tzinfo=None), at(60), "dosing_ended_at must be timezone-aware"),
    ],
)
def test_discharge_refuses_impossible_input(aldrete: int, ended: datetime, now: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        discharge_readiness(aldrete, ended, now, "iv", True, DEFAULT_PROTOCOL)


def test_changed_protocol_moves_discharge_thresholds() -> None:
    protocol = Protocol(instruments=Instruments(aldrete_discharge_min=8))
    assert discharge_readiness(8, at(0), at(30), "iv", True, DEFAULT_PROTOCOL).ready is False
    assert discharge_readiness(8, at(0), at(30), "iv", True, protocol).ready is True
    routes = dict(DEFAULT_PROTOCOL.dosing.routes)
    routes[Route.IV] = routes[Route.IV].model_copy(update={"observation_min": 45})
    longer = Protocol(dosing=DEFAULT_PROTOCOL.dosing.model_copy(update={"routes": routes}))
    assert discharge_readiness(9, at(0), at(44), "iv", True, longer).ready is False
    assert discharge_readiness(9, at(0), at(45), "iv", True, longer).ready is True
