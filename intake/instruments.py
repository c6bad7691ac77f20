"""Scoring of the clinic's rating instruments (clinical protocol §5, "Measurement-based care").

Pure Python, no Django import. Every scorer takes the patient's answers and the protocol's `Instruments`
section (item counts, item ranges, severity bands, flag thresholds) and returns a frozen `Score`. Bad answers
raise `AnswerError`, naming the offending item so that a form or the API can point at it.

Item paths are zero-based like the JSON the API receives: `answers[8]` is PHQ-9 item 9. Messages use the
instrument's own one-based item numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from clinic.protocol import Instruments, InstrumentScale

__all__ = [
    "CSSRS_QUESTIONS",
    "AnswerError",
    "CssrsRisk",
    "Flag",
    "Instrument",
    "Score",
    "risk_flags_so_far",
    "score",
    "score_aldrete",
    "score_cadss6",
    "score_cssrs_screen",
    "score_gad7",
    "score_madrs",
    "score_phq9",
    "score_qids_sr16",
]


class Instrument(StrEnum):
    PHQ9 = "phq9"
    GAD7 = "gad7"
    CSSRS_SCREEN = "cssrs_screen"
    QIDS_SR16 = "qids_sr16"
    MADRS = "madrs"
    CADSS6 = "cadss6"
    ALDRETE = "aldrete"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: dict[Instrument, str] = {
    Instrument.PHQ9: "PHQ-9",
    Instrument.GAD7: "GAD-7",
    Instrument.CSSRS_SCREEN: "C-SSRS screener",
    Instrument.QIDS_SR16: "QIDS-SR16",
    Instrument.MADRS: "MADRS",
    Instrument.CADSS6: "CADSS-6",
    Instrument.ALDRETE: "Modified Aldrete",
}


class Flag(StrEnum):
    """Flags a score can raise; `suicidal_ideation` and the C-SSRS risks notify the care team (section 5)."""

    SUICIDAL_IDEATION = "suicidal_ideation"
    SUICIDE_RISK_MODERATE = "suicide_risk_moderate"
    SUICIDE_RISK_HIGH = "suicide_risk_high"
    DISCHARGE_READY = "discharge_ready"


class CssrsRisk(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


CSSRS_QUESTIONS: tuple[str, ...] = ("q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months")

# Instrument structure, not clinic policy: which item holds what (one-based item numbers).
PHQ9_ITEMS = 9
PHQ9_SUICIDAL_ITEM = 9
QIDS_ITEMS = 16
QIDS_SLEEP_ITEMS = (1, 2, 3, 4)
QIDS_WEIGHT_APPETITE_ITEMS = (6, 7, 8, 9)
QIDS_PSYCHOMOTOR_ITEMS = (15, 16)
QIDS_SINGLE_ITEMS = (5, 10, 11, 12, 13, 14)


@dataclass(frozen=True)
class Score:
    """The result of scoring one instrument. `severity` is a protocol band name, or the C-SSRS risk."""

    instrument: Instrument
    total: int | None
    severity: str | None
    flags: tuple[str, ...] = ()


class AnswerError(ValueError):
    """Answers that cannot be scored. `item` names the field: "answers", "answers[3]", "q4", ..."""

    def __init__(self, item: str, message: str) -> None:
        super().__init__(f"{item}: {message}")
        self.item = item
        self.message = message


def _check_numeric_answers(instrument: Instrument, answers: object, scale: InstrumentScale) -> list[int]:
    label = instrument.label
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise AnswerError("answers", f"{label} needs a list of {scale.items} answers")
    if len(answers) != scale.items:
        raise AnswerError("answers", f"{label} needs {scale.items} answers, got {len(answers)}")
    checked: list[int] = []
    for index, value in enumerate(answers):
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not is_int or not scale.item_min <= value <= scale.item_max:
            raise AnswerError(
                f"answers[{index}]",
                f"{label} item {index + 1} must be a whole number from {scale.item_min} to {scale.item_max}, "
                f"got {value!r}",
            )
        checked.append(value)
    return checked


def _require_structure(instrument: Instrument, scale: InstrumentScale, items: int) -> None:
    """The protocol may not change how many items an instrument with positional scoring rules has."""
    if scale.items != items:
        raise ValueError(f"protocol error: {instrument.label} has {items} items, the protocol configures {scale.items}")


def _severity(instrument: Instrument, scale: InstrumentScale, total: int) -> str | None:
    if not scale.bands:
        return None
    for band in scale.bands:
        if band.low <= total <= band.high:
            return band.name
    raise ValueError(f"protocol error: no {instrument.label} severity band covers a total of {total}")


def _banded(instrument: Instrument, scale: InstrumentScale, total: int, flags: tuple[str, ...] = ()) -> Score:
    return Score(instrument, total, _severity(instrument, scale, total), flags)


def score_phq9(answers: Sequence[int], protocol: Instruments) -> Score:
    """PHQ-9 (Kroenke 2001): sum of 9 items 0-3, protocol bands; item 9 above the protocol's threshold raises
    `suicidal_ideation` (clinical protocol §5)."""
    scale = protocol.phq9
    _require_structure(Instrument.PHQ9, scale, PHQ9_ITEMS)
    items = _check_numeric_answers(Instrument.PHQ9, answers, scale)
    flags: tuple[str, ...] = ()
    if items[PHQ9_SUICIDAL_ITEM - 1] > protocol.phq9_suicidal_ideation_item_above:
        flags = (Flag.SUICIDAL_IDEATION,)
    return _banded(Instrument.PHQ9, scale, sum(items), flags)


def score_gad7(answers: Sequence[int], protocol: Instruments) -> Score:
    """GAD-7 (Spitzer 2006): sum of 7 items 0-3, protocol bands (clinical protocol §5)."""
    scale = protocol.gad7
    return _banded(Instrument.GAD7, scale, sum(_check_numeric_answers(Instrument.GAD7, answers, scale)))


def score_qids_sr16(answers: Sequence[int], protocol: Instruments) -> Score:
    """QIDS-SR16 (Rush 2003): sleep = max(items 1-4), weight/appetite = max(items 6-9), psychomotor =
    max(items 15, 16), plus items 5 and 10-14; total 0-27, protocol bands (clinical protocol §5)."""
    scale = protocol.qids_sr16
    _require_structure(Instrument.QIDS_SR16, scale, QIDS_ITEMS)
    items = _check_numeric_answers(Instrument.QIDS_SR16, answers, scale)

    def item(number: int) -> int:
        return items[number - 1]

    total = (
        max(item(n) for n in QIDS_SLEEP_ITEMS)
        + max(item(n) for n in QIDS_WEIGHT_APPETITE_ITEMS)
        + max(item(n) for n in QIDS_PSYCHOMOTOR_ITEMS)
        + sum(item(n) for n in QIDS_SINGLE_ITEMS)
    )
    return _banded(Instrument.QIDS_SR16, scale, total)


def score_madrs(answers: Sequence[int], protocol: Instruments) -> Score:
    """MADRS: sum of 10 items 0-6, protocol bands (clinical protocol §5)."""
    scale = protocol.madrs
    return _banded(Instrument.MADRS, scale, sum(_check_numeric_answers(Instrument.MADRS, answers, scale)))


def score_cadss6(answers: Sequence[int], protocol: Instruments) -> Score:
    """CADSS 6-item short form: sum of 6 items 0-4, no bands (clinical protocol §4 and §5)."""
    scale = protocol.cadss6
    return _banded(Instrument.CADSS6, scale, sum(_check_numeric_answers(Instrument.CADSS6, answers, scale)))


def score_aldrete(answers: Sequence[int], protocol: Instruments) -> Score:
    """Modified Aldrete: activity, respiration, circulation, consciousness, SpO2, each 0-2; a total at or
    above the protocol's minimum raises `discharge_ready` (clinical protocol §4 and §5)."""
    scale = protocol.aldrete
    total = sum(_check_numeric_answers(Instrument.ALDRETE, answers, scale))
    flags: tuple[str, ...] = (Flag.DISCHARGE_READY,) if total >= protocol.aldrete_discharge_min else ()
    return _banded(Instrument.ALDRETE, scale, total, flags)


def score_cssrs_screen(answers: Mapping[str, bool], protocol: Instruments) -> Score:
    """C-SSRS screener triage (clinical protocol §5): `high` for Q4, Q5 or Q6 in the past 3 months;
    `moderate` for Q3 or Q6 lifetime only; `low` for Q1 or Q2 only; else `none`. No total.

    Every question must be answered yes or no, even those the interview's skip logic would not ask: a "yes" is
    never ignored, so answers that skip logic would have hidden still count toward the risk.
    """
    del protocol  # the screener's triage has no protocol settings yet; kept for a uniform signature
    label = Instrument.CSSRS_SCREEN.label
    if not isinstance(answers, Mapping):
        raise AnswerError("answers", f"{label} needs yes/no answers for {', '.join(CSSRS_QUESTIONS)}")
    unknown = sorted(str(key) for key in answers if key not in CSSRS_QUESTIONS)
    if unknown:
        raise AnswerError(
            unknown[0],
            f"{label} has no question {', '.join(unknown)}; expected {', '.join(CSSRS_QUESTIONS)}",
        )
    for question in CSSRS_QUESTIONS:
        if not isinstance(answers.get(question), bool):
            raise AnswerError(question, f"{label} question {question} needs a yes/no (true/false) answer")

    if answers["q4"] or answers["q5"] or answers["q6_past_3_months"]:
        return Score(Instrument.CSSRS_SCREEN, None, CssrsRisk.HIGH, (Flag.SUICIDE_RISK_HIGH,))
    if answers["q3"] or answers["q6_lifetime"]:
        return Score(Instrument.CSSRS_SCREEN, None, CssrsRisk.MODERATE, (Flag.SUICIDE_RISK_MODERATE,))
    if answers["q1"] or answers["q2"]:
        return Score(Instrument.CSSRS_SCREEN, None, CssrsRisk.LOW)
    return Score(Instrument.CSSRS_SCREEN, None, CssrsRisk.NONE)


_NUMERIC_SCORERS: dict[Instrument, Callable[[Sequence[int], Instruments], Score]] = {
    Instrument.PHQ9: score_phq9,
    Instrument.GAD7: score_gad7,
    Instrument.QIDS_SR16: score_qids_sr16,
    Instrument.MADRS: score_madrs,
    Instrument.CADSS6: score_cadss6,
    Instrument.ALDRETE: score_aldrete,
}


def score(
    instrument: Instrument | str,
    answers: Sequence[int] | Mapping[str, bool],
    instruments_protocol: Instruments,
) -> Score:
    """Score any instrument of clinical protocol §5 by its code (`Instrument` value)."""
    try:
        chosen = Instrument(instrument)
    except ValueError:
        raise AnswerError(
            "instrument",
            f"unknown instrument {instrument!r}; expected one of {', '.join(i.value for i in Instrument)}",
        ) from None
    if chosen is Instrument.CSSRS_SCREEN:
        if not isinstance(answers, Mapping):
            raise AnswerError("answers", f"{chosen.label} needs yes/no answers for {', '.join(CSSRS_QUESTIONS)}")
        return score_cssrs_screen(answers, instruments_protocol)
    if isinstance(answers, Mapping):
        raise AnswerError("answers", f"{chosen.label} needs a list of answers, not a mapping")
    return _NUMERIC_SCORERS[chosen](answers, instruments_protocol)


def risk_flags_so_far(
    instrument: Instrument | str, answered: Mapping[str, int | bool], instruments_protocol: Instruments
) -> tuple[str, ...]:
    """The safety flags that the answers given so far already raise, before the questionnaire is finished
    (clinical protocol §5: the crisis response starts as soon as a risk answer appears, not when the last question
    is answered).

    `answered` holds what has been answered: numeric items by their one-based number as text ("9": 2), C-SSRS
    questions by code ("q4": True). A question not answered yet counts as the lowest answer (0, "no"), which can
    only lower the risk, so a flag raised here stays raised whatever the remaining answers are. The scorers
    themselves decide; an answer out of range raises nothing here (the full scoring refuses it later)."""
    chosen = Instrument(instrument)
    try:
        if chosen is Instrument.CSSRS_SCREEN:
            yes_no = {question: answered.get(question) is True for question in CSSRS_QUESTIONS}
            result = score_cssrs_screen(yes_no, instruments_protocol)
        elif chosen is Instrument.PHQ9:
            low = instruments_protocol.phq9.item_min
            items = [answered.get(str(n), low) for n in range(1, instruments_protocol.phq9.items + 1)]
            result = score_phq9([int(item) for item in items], instruments_protocol)
        else:
            return ()
    except AnswerError:
        return ()
    return tuple(flag for flag in result.flags if flag in RISK_FLAGS)


RISK_FLAGS = frozenset({Flag.SUICIDAL_IDEATION, Flag.SUICIDE_RISK_MODERATE, Flag.SUICIDE_RISK_HIGH})
"""The flags that alert the care team and show the patient crisis resources (clinical protocol §5)."""
