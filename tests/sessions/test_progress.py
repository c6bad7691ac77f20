"""sessions.progress (pure): what starting dosing and discharge still need, and an early stop of dosing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

import pytest

from clinic.protocol import DEFAULT_PROTOCOL, Route
from sessions.progress import (
    DischargeFacts,
    DoseFacts,
    EarlyStopError,
    StartFacts,
    discharge_checklist,
    early_stop,
    start_checklist,
)

READY = StartFacts(
    clearance_reasons=(),
    gate="proceed",
    gate_reasons=(),
    vitals_review_pending=False,
    fasting_ok=True,
    fasting_reasons=(),
    fasting_review_pending=False,
    escort_confirmed=True,
    escort_name="Alex Testperson",
)
T0 = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


def _state(facts: StartFacts) -> list[tuple[str, bool | None]]:
    return [(item.key, item.met) for item in start_checklist(facts).items]


@pytest.mark.parametrize(
    ("changes", "expected", "refusal"),
    [
        pytest.param(
            {},
            [("cleared", True), ("vitals", True), ("gate", True), ("fasting", True), ("escort", True)],
            None,
            id="ready",
        ),
        pytest.param(
            {"clearance_reasons": ("No signed consent.",)},
            [("cleared", False), ("vitals", True), ("gate", True), ("fasting", True), ("escort", True)],
            ("not_cleared", "The patient is not cleared for dosing: No signed consent."),
            id="not_cleared",
        ),
        pytest.param(
            {"gate": None},
            [("cleared", True), ("vitals", False), ("gate", False), ("fasting", True), ("escort", True)],
            ("vitals_required", "Record the pre-dose vital signs first."),
            id="no_vitals",
        ),
        pytest.param(
            {"gate": "defer", "gate_reasons": ("Systolic 185 mmHg is above 180 mmHg",)},
            [("cleared", True), ("vitals", True), ("gate", False), ("fasting", True), ("escort", True)],
            ("gate_defer", "The latest pre-dose vital signs say defer: Systolic 185 mmHg is above 180 mmHg."),
            id="defer",
        ),
        pytest.param(
            {"gate": "review", "gate_reasons": ("BP high",), "vitals_review_pending": True},
            [
                ("cleared", True),
                ("vitals", True),
                ("gate", True),
                ("vitals_review", False),
                ("fasting", True),
                ("escort", True),
            ],
            ("review_unacknowledged", "A prescriber must acknowledge with a reason before dosing starts: BP high."),
            id="review_pending",
        ),
        pytest.param(
            {"gate": "review", "gate_reasons": ("BP high",), "vitals_review_pending": False},
            [
                ("cleared", True),
                ("vitals", True),
                ("gate", True),
                ("vitals_review", True),
                ("fasting", True),
                ("escort", True),
            ],
            None,
            id="review_acknowledged",
        ),
        pytest.param(
            {
                "gate": "review",
                "gate_reasons": ("BP high",),
                "vitals_review_pending": True,
                "fasting_ok": False,
                "fasting_reasons": ("Ate 4 h ago",),
                "fasting_review_pending": True,
            },
            [
                ("cleared", True),
                ("vitals", True),
                ("gate", True),
                ("vitals_review", False),
                ("fasting", False),
                ("escort", True),
            ],
            (
                "review_unacknowledged",
                "A prescriber must acknowledge with a reason before dosing starts: BP high. Ate 4 h ago.",
            ),
            id="both_reviews_in_one_refusal",
        ),
        pytest.param(
            {
                "gate": "review",
                "gate_reasons": ("BP high",),
                "vitals_review_pending": True,
                "fasting_ok": False,
                "fasting_reasons": ("Ate 4 h ago",),
                "fasting_review_pending": True,
                "review_reason_given": True,
            },
            [
                ("cleared", True),
                ("vitals", True),
                ("gate", True),
                ("vitals_review", True),
                ("fasting", True),
                ("escort", True),
            ],
            None,
            id="reviewed_with_the_start",
        ),
        pytest.param(
            {"fasting_ok": False, "fasting_reasons": ("Ate 4 h ago",), "fasting_review_pending": False},
            [("cleared", True), ("vitals", True), ("gate", True), ("fasting", True), ("escort", True)],
            None,
            id="fasting_reviewed",
        ),
        pytest.param(
            {"escort_confirmed": False},
            [("cleared", True), ("vitals", True), ("gate", True), ("fasting", True), ("escort", False)],
            ("no_escort", "Confirm the escort (a responsible adult to take the patient home) before dosing starts."),
            id="no_escort",
        ),
    ],
)
def test_start_checklist(
    changes: dict[str, object], expected: list[tuple[str, bool]], refusal: tuple[str, str] | None
) -> None:
    facts = replace(READY, **cast(Any, changes))
    assert _state(facts) == expected
    checklist = start_checklist(facts)
    assert checklist.ready is (refusal is None)
    answer = checklist.refusal()
    assert (answer.code, answer.message) == refusal if answer else refusal is None


@pytest.mark.parametrize(
    ("dose", "met", "text"),
    [
        (DoseFacts(summary="35.0 mg"), True, "Dose calculated: 35.0 mg."),
        (DoseFacts(problem="The weight must be more than 0."), False, "The weight must be more than 0."),
        (
            DoseFacts(summary="105.0 mg", override_reasons=("Above 100 mg",)),
            False,
            "This dose needs a prescriber's override with a reason: Above 100 mg.",
        ),
        (
            DoseFacts(summary="105.0 mg", override_reasons=("Above 100 mg",), override_given=True),
            True,
            "Dose calculated: 105.0 mg with the prescriber's override.",
        ),
    ],
)
def test_the_dose_is_judged_when_its_inputs_are_given(dose: DoseFacts, met: bool, text: str) -> None:
    item = start_checklist(replace(READY, dose=dose)).items[-1]
    assert (item.key, item.met, item.text) == ("dose", met, text)


def test_an_escort_without_a_name_is_still_confirmed() -> None:
    assert start_checklist(replace(READY, escort_name="")).items[-1].text == "Escort confirmed."


@pytest.mark.parametrize(
    ("ended_min_ago", "aldrete", "escort", "expected", "ready"),
    [
        (31, None, None, [("aldrete", None), ("observation", True), ("escort", None)], True),
        (10, None, None, [("aldrete", None), ("observation", False), ("escort", None)], False),
        (None, None, None, [("aldrete", None), ("observation", False), ("escort", None)], False),
        (31, 8, False, [("aldrete", False), ("observation", True), ("escort", False)], False),
        (31, 9, True, [("aldrete", True), ("observation", True), ("escort", True)], True),
    ],
)
def test_discharge_checklist(
    ended_min_ago: int | None,
    aldrete: int | None,
    escort: bool | None,
    expected: list[tuple[str, bool | None]],
    ready: bool,
) -> None:
    ended = T0 - dt.timedelta(minutes=ended_min_ago) if ended_min_ago is not None else None
    checklist = discharge_checklist(DischargeFacts(Route.IV, ended, aldrete, escort), T0, DEFAULT_PROTOCOL)
    assert [(item.key, item.met) for item in checklist.items] == expected
    assert checklist.ready is ready


def test_the_discharge_checklist_says_how_long_is_left() -> None:
    checklist = discharge_checklist(
        DischargeFacts(Route.IV, T0 - dt.timedelta(minutes=10), 10, True), T0, DEFAULT_PROTOCOL
    )
    assert [item.text for item in checklist.unmet] == [
        "Observed 10 min since dosing ended; the IV infusion needs at least 30 min. 20 min left."
    ]
    assert checklist.items[0].text == "Modified Aldrete score 10 (at least 9 needed)."


PLANNED = {"planned_min": 40, "planned_dose_mg": Decimal("46.8"), "rate_mg_per_min": Decimal("1.17")}


@pytest.mark.parametrize(
    ("ran", "extra", "early", "actual_min", "given"),
    [
        pytest.param(dt.timedelta(minutes=40), {}, False, 40, "46.8", id="on_time"),
        pytest.param(dt.timedelta(minutes=38), {}, False, 38, "46.8", id="within_tolerance"),
        pytest.param(dt.timedelta(minutes=45), {}, False, 45, "46.8", id="late"),
        pytest.param(dt.timedelta(minutes=1), {"stop_reason": "Distress"}, True, 1, "1.2", id="rate_x_minutes"),
        pytest.param(
            dt.timedelta(minutes=1, seconds=30), {"stop_reason": "Distress"}, True, 1, "1.8", id="counts_seconds"
        ),
        pytest.param(
            dt.timedelta(minutes=10),
            {"stop_reason": "Pump alarm", "given_mg": Decimal("9.5")},
            True,
            10,
            "9.5",
            id="entered",
        ),
        pytest.param(
            dt.timedelta(minutes=37, seconds=59),
            {"stop_reason": "Done", "rate_mg_per_min": Decimal("1.3")},
            True,
            37,
            "46.8",
            id="never_more_than_planned",
        ),
        pytest.param(
            dt.timedelta(minutes=5),
            {"stop_reason": "Spat out", "rate_mg_per_min": None},
            True,
            5,
            "46.8",
            id="no_rate_means_the_whole_dose",
        ),
        pytest.param(dt.timedelta(minutes=1), {"planned_min": None}, False, 1, "46.8", id="no_planned_duration"),
    ],
)
def test_early_stop(ran: dt.timedelta, extra: dict[str, object], early: bool, actual_min: int, given: str) -> None:
    stop = early_stop(started_at=T0, ended_at=T0 + ran, tolerance_min=2, **cast(Any, {**PLANNED, **extra}))
    assert (stop.early, stop.actual_min, stop.actual_dose_mg) == (early, actual_min, Decimal(given))
    assert stop.minutes_short == (40 - actual_min if early else 0)


def test_an_early_stop_explains_the_dose_given() -> None:
    stop = early_stop(
        started_at=T0, ended_at=T0 + dt.timedelta(minutes=1), tolerance_min=2, stop_reason="x", **cast(Any, PLANNED)
    )
    assert stop.notes == ("Dose given 1.2 mg = 1.17 mg/min for 1 min.",)


WHY = "Dosing is ending after 1 of the planned 40 min: say why it stops early."


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({}, "stop_reason", WHY),
        ({"stop_reason": "  "}, "stop_reason", WHY),
        ({"stop_reason": "x", "given_mg": Decimal("-1")}, "actual_dose_mg", "The dose given cannot be negative."),
        (
            {"stop_reason": "x", "given_mg": Decimal("50")},
            "actual_dose_mg",
            "The dose given cannot be more than the planned 46.8 mg.",
        ),
    ],
)
def test_an_early_stop_is_refused_without_a_reason_or_with_too_much(
    extra: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(EarlyStopError) as caught:
        early_stop(
            started_at=T0, ended_at=T0 + dt.timedelta(minutes=1), tolerance_min=2, **cast(Any, {**PLANNED, **extra})
        )
    assert (caught.value.field, caught.value.message) == (field, message)


def test_an_end_before_the_start_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="before it started"):
        early_stop(started_at=T0, ended_at=T0 - dt.timedelta(seconds=1), tolerance_min=2, **cast(Any, PLANNED))


@pytest.mark.parametrize(
    ("gate", "text"),
    [
        ("proceed", "The pre-dose vital signs are within the protocol's limits."),
        ("review", "The pre-dose vital signs allow dosing once a prescriber has reviewed them (below)."),
    ],
)
def test_a_passed_gate_reads_as_a_sentence_not_its_code(gate: str, text: str) -> None:
    facts = replace(READY, gate=cast(Any, gate), gate_reasons=("Heart rate 112/min is above 110/min.",))
    [item] = [item for item in start_checklist(facts).items if item.key == "gate"]
    assert item.text == text
    assert f"says {gate}" not in item.text
