"""Table-driven tests of intake.instruments (clinical protocol §5). No database, no Django."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest

from clinic.protocol import Band, Instruments, InstrumentScale
from intake.instruments import (
    CSSRS_QUESTIONS,
    AnswerError,
    Flag,
    Instrument,
    Score,
    risk_flags_so_far,
    score,
    score_aldrete,
    score_cssrs_screen,
    score_phq9,
)

DEFAULT = Instruments()


def with_total(total: int, items: int, item_max: int) -> list[int]:
    """Answers adding up to `total`, filled from the first item on (so PHQ-9 item 9 stays 0 up to 24)."""
    answers = []
    left = total
    for _ in range(items):
        value = min(item_max, left)
        answers.append(value)
        left -= value
    assert left == 0, "total out of range"
    return answers


def qids(sleep: int = 0, single: int = 0) -> list[int]:
    """QIDS-SR16 answers whose total is `sleep` (item 1) plus `single` spread over items 5 and 10-14."""
    answers = [0] * 16
    answers[0] = sleep
    for item in (5, 10, 11, 12, 13, 14):
        value = min(3, single)
        answers[item - 1] = value
        single -= value
    assert single == 0
    return answers


BAND_EDGES = [
    # PHQ-9: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe
    (Instrument.PHQ9, 0, "minimal"),
    (Instrument.PHQ9, 4, "minimal"),
    (Instrument.PHQ9, 5, "mild"),
    (Instrument.PHQ9, 9, "mild"),
    (Instrument.PHQ9, 10, "moderate"),
    (Instrument.PHQ9, 14, "moderate"),
    (Instrument.PHQ9, 15, "moderately_severe"),
    (Instrument.PHQ9, 19, "moderately_severe"),
    (Instrument.PHQ9, 20, "severe"),
    (Instrument.PHQ9, 24, "severe"),
    # GAD-7: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe
    (Instrument.GAD7, 0, "minimal"),
    (Instrument.GAD7, 4, "minimal"),
    (Instrument.GAD7, 5, "mild"),
    (Instrument.GAD7, 9, "mild"),
    (Instrument.GAD7, 10, "moderate"),
    (Instrument.GAD7, 14, "moderate"),
    (Instrument.GAD7, 15, "severe"),
    (Instrument.GAD7, 21, "severe"),
    # MADRS: 0-6 normal, 7-19 mild, 20-34 moderate, 35-60 severe
    (Instrument.MADRS, 0, "normal"),
    (Instrument.MADRS, 6, "normal"),
    (Instrument.MADRS, 7, "mild"),
    (Instrument.MADRS, 19, "mild"),
    (Instrument.MADRS, 20, "moderate"),
    (Instrument.MADRS, 34, "moderate"),
    (Instrument.MADRS, 35, "severe"),
    (Instrument.MADRS, 60, "severe"),
    # CADSS-6: 0-24, no bands
    (Instrument.CADSS6, 0, None),
    (Instrument.CADSS6, 13, None),
    (Instrument.CADSS6, 24, None),
]

SCALES = {
    Instrument.PHQ9: DEFAULT.phq9,
    Instrument.GAD7: DEFAULT.gad7,
    Instrument.MADRS: DEFAULT.madrs,
    Instrument.CADSS6: DEFAULT.cadss6,
}


@pytest.mark.parametrize(
    ("instrument", "total", "severity"), BAND_EDGES, ids=[f"{i.value}-{t}" for i, t, _ in BAND_EDGES]
)
def test_band_edges(instrument: Instrument, total: int, severity: str | None) -> None:
    scale = SCALES[instrument]
    result = score(instrument, with_total(total, scale.items, scale.item_max), DEFAULT)
    assert result == Score(instrument, total, severity, ())


@pytest.mark.parametrize(
    ("answers", "total", "severity", "flags"),
    [
        pytest.param([0] * 9, 0, "minimal", (), id="all-zero"),
        pytest.param([0] * 8 + [1], 1, "minimal", ("suicidal_ideation",), id="item9-is-1"),
        pytest.param([3] * 8 + [0], 24, "severe", (), id="24-item9-zero"),
        pytest.param([3] * 9, 27, "severe", ("suicidal_ideation",), id="maximum-27"),
        pytest.param([1, 0, 0, 0, 0, 0, 0, 0, 0], 1, "minimal", (), id="item1-is-not-item9"),
    ],
)
def test_phq9_total_and_suicidal_ideation_flag(
    answers: list[int], total: int, severity: str, flags: tuple[str, ...]
) -> None:
    assert score_phq9(answers, DEFAULT) == Score(Instrument.PHQ9, total, severity, flags)


@pytest.mark.parametrize(
    ("item9", "threshold", "flagged"),
    [(0, 0, False), (1, 0, True), (1, 1, False), (2, 1, True)],
)
def test_phq9_suicidal_item_threshold_comes_from_protocol(item9: int, threshold: int, flagged: bool) -> None:
    protocol = Instruments(phq9_suicidal_ideation_item_above=threshold)
    result = score_phq9([0] * 8 + [item9], protocol)
    assert (Flag.SUICIDAL_IDEATION in result.flags) is flagged


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        pytest.param([0] * 16, 0, "none", id="all-zero"),
        pytest.param([3] * 16, 27, "very_severe", id="all-three-is-27"),
        pytest.param([1, 2, 3, 0] + [0] * 12, 3, "none", id="sleep-is-max-of-1-4"),
        pytest.param([0] * 5 + [0, 2, 0, 1] + [0] * 7, 2, "none", id="weight-appetite-is-max-of-6-9"),
        pytest.param([0] * 14 + [1, 2], 2, "none", id="psychomotor-is-max-of-15-16"),
        pytest.param([0] * 4 + [3] + [0] * 11, 3, "none", id="item5-counts-alone"),
        pytest.param([0] * 9 + [1] * 5 + [0, 0], 5, "none", id="items-10-14-each-count"),
        pytest.param([3, 3, 3, 3, 0, 3, 3, 3, 3] + [0] * 5 + [3, 3], 9, "mild", id="three-domains-at-max"),
        pytest.param(qids(single=5), 5, "none", id="5-none"),
        pytest.param(qids(single=6), 6, "mild", id="6-mild"),
        pytest.param(qids(single=10), 10, "mild", id="10-mild"),
        pytest.param(qids(single=11), 11, "moderate", id="11-moderate"),
        pytest.param(qids(single=15), 15, "moderate", id="15-moderate"),
        pytest.param(qids(sleep=1, single=15), 16, "severe", id="16-severe"),
        pytest.param(qids(sleep=3, single=17), 20, "severe", id="20-severe"),
        pytest.param(qids(sleep=3, single=18), 21, "very_severe", id="21-very-severe"),
    ],
)
def test_qids_sr16_domains_and_bands(answers: list[int], total: int, severity: str) -> None:
    assert score(Instrument.QIDS_SR16, answers, DEFAULT) == Score(Instrument.QIDS_SR16, total, severity, ())


@pytest.mark.parametrize(
    ("answers", "total", "flags"),
    [
        pytest.param([0] * 5, 0, (), id="0"),
        pytest.param([2, 2, 2, 2, 0], 8, (), id="8-not-ready"),
        pytest.param([2, 2, 2, 2, 1], 9, ("discharge_ready",), id="9-ready"),
        pytest.param([2] * 5, 10, ("discharge_ready",), id="10-ready"),
    ],
)
def test_aldrete_discharge_ready_at_or_above_minimum(answers: list[int], total: int, flags: tuple[str, ...]) -> None:
    assert score(Instrument.ALDRETE, answers, DEFAULT) == Score(Instrument.ALDRETE, total, None, flags)


def test_aldrete_minimum_comes_from_protocol() -> None:
    protocol = Instruments(aldrete_discharge_min=10)
    assert score_aldrete([2, 2, 2, 2, 1], protocol).flags == ()
    assert score_aldrete([2] * 5, protocol).flags == (Flag.DISCHARGE_READY,)


def test_bands_come_from_protocol() -> None:
    protocol = Instruments(
        phq9=InstrumentScale(
            items=9, item_max=3, bands=(Band(name="low", low=0, high=9), Band(name="high", low=10, high=27))
        )
    )
    assert score_phq9(with_total(9, 9, 3), protocol).severity == "low"
    assert score_phq9(with_total(10, 9, 3), protocol).severity == "high"


def no(**yes: bool) -> dict[str, bool]:
    """C-SSRS answers, all "no" except those given."""
    return {question: yes.get(question, False) for question in CSSRS_QUESTIONS}


@pytest.mark.parametrize(
    ("answers", "risk", "flags"),
    [
        pytest.param(no(), "none", (), id="all-no"),
        pytest.param(no(q1=True), "low", (), id="q1-low"),
        pytest.param(no(q2=True), "low", (), id="q2-low"),
        pytest.param(no(q1=True, q2=True), "low", (), id="q1-q2-low"),
        pytest.param(no(q3=True), "moderate", ("suicide_risk_moderate",), id="q3-moderate"),
        pytest.param(no(q6_lifetime=True), "moderate", ("suicide_risk_moderate",), id="q6-lifetime-moderate"),
        pytest.param(no(q1=True, q2=True, q3=True), "moderate", ("suicide_risk_moderate",), id="q3-wins-q1"),
        pytest.param(no(q4=True), "high", ("suicide_risk_high",), id="q4-high"),
        pytest.param(no(q5=True), "high", ("suicide_risk_high",), id="q5-high"),
        pytest.param(no(q6_past_3_months=True), "high", ("suicide_risk_high",), id="q6-recent-high"),
        pytest.param(no(q6_lifetime=True, q6_past_3_months=True), "high", ("suicide_risk_high",), id="q6-both-high"),
        pytest.param(no(q2=True, q3=True, q5=True), "high", ("suicide_risk_high",), id="q5-wins-q3"),
    ],
)
def test_cssrs_screen_risk(answers: dict[str, bool], risk: str, flags: tuple[str, ...]) -> None:
    assert score(Instrument.CSSRS_SCREEN, answers, DEFAULT) == Score(Instrument.CSSRS_SCREEN, None, risk, flags)


@pytest.mark.parametrize(
    ("instrument", "answers", "item", "message"),
    [
        pytest.param("phq9", [0] * 8, "answers", "PHQ-9 needs 9 answers, got 8", id="phq9-too-few"),
        pytest.param("phq9", [0] * 10, "answers", "PHQ-9 needs 9 answers, got 10", id="phq9-too-many"),
        pytest.param("gad7", [], "answers", "GAD-7 needs 7 answers, got 0", id="gad7-empty"),
        pytest.param("qids_sr16", [0] * 15, "answers", "QIDS-SR16 needs 16 answers, got 15", id="qids-15"),
        pytest.param("madrs", [0] * 9, "answers", "MADRS needs 10 answers, got 9", id="madrs-9"),
        pytest.param("cadss6", [0] * 7, "answers", "CADSS-6 needs 6 answers, got 7", id="cadss-7"),
        pytest.param("aldrete", [0] * 4, "answers", "Modified Aldrete needs 5 answers, got 4", id="aldrete-4"),
        pytest.param("phq9", "000000000", "answers", "PHQ-9 needs a list of 9 answers", id="phq9-string"),
        pytest.param("phq9", None, "answers", "PHQ-9 needs a list of 9 answers", id="phq9-none"),
        pytest.param("phq9", {"a": 1}, "answers", "PHQ-9 needs a list of answers", id="phq9-mapping"),
        pytest.param(
            "phq9",
            [0, 0, 0, 4, 0, 0, 0, 0, 0],
            "answers[3]",
            "PHQ-9 item 4 must be a whole number from 0 to 3, got 4",
            id="phq9-above-max",
        ),
        pytest.param("phq9", [0, 0, 0, -1, 0, 0, 0, 0, 0], "answers[3]", "got -1", id="phq9-negative"),
        pytest.param("phq9", [0, 0, 0, True, 0, 0, 0, 0, 0], "answers[3]", "got True", id="phq9-bool"),
        pytest.param("phq9", [0, 0, 0, 1.0, 0, 0, 0, 0, 0], "answers[3]", "got 1.0", id="phq9-float"),
        pytest.param("phq9", [0, 0, 0, "1", 0, 0, 0, 0, 0], "answers[3]", "got '1'", id="phq9-string-item"),
        pytest.param("phq9", [0, 0, 0, 0, 0, 0, 0, 0, None], "answers[8]", "item 9", id="phq9-item9-none"),
        pytest.param("madrs", [7] + [0] * 9, "answers[0]", "from 0 to 6, got 7", id="madrs-above-6"),
        pytest.param("cadss6", [0] * 5 + [5], "answers[5]", "from 0 to 4, got 5", id="cadss-above-4"),
        pytest.param("aldrete", [3, 0, 0, 0, 0], "answers[0]", "from 0 to 2, got 3", id="aldrete-above-2"),
        pytest.param("qids_sr16", [0] * 15 + [4], "answers[15]", "item 16", id="qids-item16-above-3"),
        pytest.param("gad7", [0] * 6 + [False], "answers[6]", "got False", id="gad7-bool"),
        pytest.param("cssrs_screen", [False] * 7, "answers", "C-SSRS screener needs yes/no answers", id="cssrs-list"),
        pytest.param(
            "cssrs_screen",
            {k: v for k, v in no().items() if k != "q4"},
            "q4",
            "question q4 needs a yes/no (true/false) answer",
            id="cssrs-missing-q4",
        ),
        pytest.param("cssrs_screen", {**no(), "q4": 1}, "q4", "yes/no", id="cssrs-q4-is-int"),
        pytest.param("cssrs_screen", {**no(), "q4": None}, "q4", "yes/no", id="cssrs-q4-is-none"),
        pytest.param("cssrs_screen", {**no(), "q6": True}, "q6", "has no question q6", id="cssrs-unknown-key"),
        pytest.param(
            "cssrs_screen",
            {**no(), "q9": True, "q7": False},
            "q7",
            "no question q7, q9",
            id="cssrs-unknown-keys",
        ),
        pytest.param("phq10", [0] * 9, "instrument", "unknown instrument 'phq10'", id="unknown-instrument"),
    ],
)
def test_refuses_bad_answers_naming_the_item(instrument: str, answers: object, item: str, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        score(instrument, cast(Any, answers), DEFAULT)
    assert caught.value.item == item
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == f"{item}: {caught.value.message}"


@pytest.mark.parametrize("answers", [None, [False] * 7, "q1"])
def test_cssrs_scorer_refuses_answers_that_are_not_a_mapping(answers: object) -> None:
    with pytest.raises(AnswerError, match="needs yes/no answers") as caught:
        score_cssrs_screen(cast(Any, answers), DEFAULT)
    assert caught.value.item == "answers"


def test_accepts_a_tuple_and_an_instrument_member() -> None:
    assert score(Instrument.GAD7, (1,) * 7, DEFAULT).total == 7


def test_instrument_codes_are_stable() -> None:
    assert [i.value for i in Instrument] == [
        "phq9",
        "gad7",
        "cssrs_screen",
        "qids_sr16",
        "madrs",
        "cadss6",
        "aldrete",
    ]


@pytest.mark.parametrize(
    ("instrument", "answers", "expected"),
    [
        ("phq9", [0] * 9, Score(Instrument.PHQ9, 0, "minimal")),
        ("gad7", [0] * 7, Score(Instrument.GAD7, 0, "minimal")),
        ("cssrs_screen", no(), Score(Instrument.CSSRS_SCREEN, None, "none")),
        ("qids_sr16", [0] * 16, Score(Instrument.QIDS_SR16, 0, "none")),
        ("madrs", [0] * 10, Score(Instrument.MADRS, 0, "normal")),
        ("cadss6", [0] * 6, Score(Instrument.CADSS6, 0, None)),
        ("aldrete", [0] * 5, Score(Instrument.ALDRETE, 0, None)),
    ],
)
def test_dispatches_every_instrument_by_its_code(
    instrument: str, answers: Sequence[int] | Mapping[str, bool], expected: Score
) -> None:
    assert score(instrument, answers, DEFAULT) == expected


@pytest.mark.parametrize(
    ("instrument", "answers", "protocol", "message"),
    [
        pytest.param(
            Instrument.PHQ9,
            [0] * 8,
            Instruments(phq9=InstrumentScale(items=8, item_max=3)),
            "PHQ-9 has 9 items, the protocol configures 8",
            id="phq9-item-count",
        ),
        pytest.param(
            Instrument.QIDS_SR16,
            [0] * 15,
            Instruments(qids_sr16=InstrumentScale(items=15, item_max=3)),
            "QIDS-SR16 has 16 items, the protocol configures 15",
            id="qids-item-count",
        ),
        pytest.param(
            Instrument.GAD7,
            [3] * 7,
            Instruments(gad7=InstrumentScale(items=7, item_max=3, bands=(Band(name="all", low=0, high=14),))),
            "no GAD-7 severity band covers a total of 21",
            id="bands-do-not-cover-total",
        ),
    ],
)
def test_protocol_that_does_not_fit_the_instrument_is_an_error(
    instrument: Instrument, answers: Sequence[int] | Mapping[str, bool], protocol: Instruments, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        score(instrument, answers, protocol)
    assert not isinstance(caught.value, AnswerError)


def test_score_is_frozen() -> None:
    result = score_phq9([0] * 9, DEFAULT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("instrument", "answered", "flags"),
    [
        ("phq9", {}, ()),
        ("phq9", {"1": 3, "2": 3}, ()),  # a high total is not a risk answer
        ("phq9", {"9": 0}, ()),
        ("phq9", {"9": 1}, (Flag.SUICIDAL_IDEATION,)),  # item 9 alone, the rest not answered yet
        ("phq9", {"9": 7}, ()),  # out of range: the full scoring refuses it later
        ("cssrs_screen", {}, ()),
        ("cssrs_screen", {"q1": True, "q2": True}, ()),  # low risk: no alert
        ("cssrs_screen", {"q3": True}, (Flag.SUICIDE_RISK_MODERATE,)),
        ("cssrs_screen", {"q6_lifetime": True}, (Flag.SUICIDE_RISK_MODERATE,)),
        ("cssrs_screen", {"q4": True, "q1": False}, (Flag.SUICIDE_RISK_HIGH,)),
        ("cssrs_screen", {"q5": 1}, ()),  # not a yes/no: counts as not answered
        ("gad7", {"1": 3, "7": 3}, ()),  # no risk item
        (Instrument.PHQ9, {"9": 2}, (Flag.SUICIDAL_IDEATION,)),
    ],
)
def test_risk_flags_so_far(instrument: str, answered: dict[str, int | bool], flags: tuple[str, ...]) -> None:
    assert risk_flags_so_far(instrument, answered, DEFAULT) == flags


def test_risk_so_far_follows_the_protocol_threshold() -> None:
    strict = DEFAULT.model_copy(update={"phq9_suicidal_ideation_item_above": 1})
    assert risk_flags_so_far("phq9", {"9": 1}, strict) == ()
    assert risk_flags_so_far("phq9", {"9": 2}, strict) == (Flag.SUICIDAL_IDEATION,)
