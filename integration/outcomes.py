"""Outcomes of a treatment course on the protocol's baseline questionnaire, the relapse watch after it, and when
the next questionnaire is due. Clinical protocol §5 ("Measurement-based care", docs/clinical-protocol.md).

Pure Python (no Django): scores come in as plain (time, total) values, the course as a few facts, the protocol's
`Outcomes` section as a value and "now" as an argument.

- baseline: the course's recorded baseline (the last score before its first dose, kept by the course);
- response: the latest total fell by at least `response_drop_percent` (50 %) from the baseline;
- remission: PHQ-9 below `remission_phq9_below` (5), MADRS at or below `remission_madrs_at_or_below` (10);
- after the course ended (completed or stopped): the nadir, the lowest score since it ended, and the relapse watch:
  the latest score is at least `relapse_rise_points` (5) above the nadir (`rise_from_nadir`), or it is at or above
  `relapse_phq9_threshold` (10) while the score before it was below (`crossed_threshold`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from clinic.protocol import Outcomes

ENDED_STATUSES = frozenset({"completed", "stopped"})


@dataclass(frozen=True, order=True)
class Score:
    """One questionnaire total at the time it was taken (`assessment_id` identifies it for the caller)."""

    at: dt.datetime
    total: int
    assessment_id: int | None = None


@dataclass(frozen=True)
class Course:
    """What the outcomes need of a treatment course."""

    course_id: int
    status: str  # planned | active | completed | stopped
    baseline: int | None
    ended_at: dt.datetime | None = None
    """When the course ended; scores after it are post-course. None while it runs."""

    @property
    def ended_since(self) -> dt.datetime | None:
        """When a completed or stopped course ended; None while it is planned or running."""
        return self.ended_at if self.status in ENDED_STATUSES else None


class RelapseReason(StrEnum):
    RISE_FROM_NADIR = "rise_from_nadir"
    CROSSED_THRESHOLD = "crossed_threshold"


@dataclass(frozen=True)
class RelapseWatch:
    triggered: bool
    reason: RelapseReason | None = None
    score: Score | None = None
    """The score that triggered the watch (the latest one)."""


NOT_TRIGGERED = RelapseWatch(triggered=False)


@dataclass(frozen=True)
class OutcomeSummary:
    instrument: str
    course_id: int | None
    baseline: int | None
    latest: Score | None
    nadir: Score | None
    response: bool | None
    remission: bool | None
    relapse_watch: RelapseWatch


def _in_order(scores: Sequence[Score]) -> list[Score]:
    return sorted(scores, key=lambda score: score.at)


def is_response(baseline: int | None, latest: int | None, rules: Outcomes) -> bool | None:
    """A fall of at least the protocol's percentage from the baseline; unknown without both or from a zero
    baseline (nothing can fall by half from 0)."""
    if baseline is None or latest is None or baseline == 0:
        return None
    return (baseline - latest) * Decimal(100) >= rules.response_drop_percent * baseline


def is_remission(instrument: str, latest: int | None, rules: Outcomes) -> bool | None:
    """PHQ-9 below the protocol's value, MADRS at or below its value; other instruments have no remission rule."""
    if latest is None:
        return None
    if instrument == "phq9":
        return latest < rules.remission_phq9_below
    if instrument == "madrs":
        return latest <= rules.remission_madrs_at_or_below
    return None


def relapse_watch(
    instrument: str, course: Course, scores: Sequence[Score], rules: Outcomes
) -> tuple[Score | None, RelapseWatch]:
    """The nadir since the course ended and whether the latest score trips the relapse watch. The watch's points
    and threshold are PHQ-9 points: on another instrument it reports the nadir but never triggers."""
    ended_at = course.ended_since
    if ended_at is None:
        return None, NOT_TRIGGERED
    ordered = _in_order(scores)
    post_course = [score for score in ordered if score.at > ended_at]
    if not post_course:
        return None, NOT_TRIGGERED
    nadir = min(post_course, key=lambda score: (score.total, score.at))
    latest = post_course[-1]
    if instrument != "phq9":
        return nadir, NOT_TRIGGERED
    if latest.total - nadir.total >= rules.relapse_rise_points:
        return nadir, RelapseWatch(True, RelapseReason.RISE_FROM_NADIR, latest)
    earlier = [score for score in ordered if score.at < latest.at]
    previous = earlier[-1] if earlier else None
    threshold = rules.relapse_phq9_threshold
    if previous is not None and previous.total < threshold <= latest.total:
        return nadir, RelapseWatch(True, RelapseReason.CROSSED_THRESHOLD, latest)
    return nadir, NOT_TRIGGERED


def summarize(instrument: str, course: Course | None, scores: Sequence[Score], rules: Outcomes) -> OutcomeSummary:
    """The outcome of the patient's latest course on `instrument`, from all of the patient's scores on it."""
    ordered = _in_order(scores)
    latest = ordered[-1] if ordered else None
    if course is None:
        return OutcomeSummary(instrument, None, None, latest, None, None, None, NOT_TRIGGERED)
    latest_total = latest.total if latest else None
    nadir, watch = relapse_watch(instrument, course, ordered, rules)
    return OutcomeSummary(
        instrument=instrument,
        course_id=course.course_id,
        baseline=course.baseline,
        latest=latest,
        nadir=nadir,
        response=is_response(course.baseline, latest_total, rules),
        remission=is_remission(instrument, latest_total, rules),
        relapse_watch=watch,
    )


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def describe(
    summary: OutcomeSummary,
    course: Course,
    rules: Outcomes,
    *,
    label: str,
    day: Callable[[dt.datetime], str],
    first_dose: dt.datetime | None,
) -> list[str]:
    """The outcome of `course` in sentences for a report (the course summary): baseline and response, remission,
    and after the course the lowest score and the relapse watch. `label` names the instrument ("PHQ-9"), `day`
    prints a time as the clinic's date; a score taken before `first_dose` (the course's first dose, None before
    it) is not an outcome of the course."""
    sentences: list[str] = []
    baseline, latest = summary.baseline, summary.latest
    if latest is not None and (first_dose is None or latest.at <= first_dose):
        latest = None
    if baseline is None:
        sentences.append(f"No baseline {label} was recorded before the course's first dose.")
    elif latest is None:
        sentences.append(f"Baseline {label} {baseline}; no score has been recorded since.")
    elif summary.response is True:
        fall = round((baseline - latest.total) * 100 / baseline)
        sentences.append(f"Response: {label} fell from {baseline} to {latest.total} ({fall} %).")
    elif summary.response is False:
        sentences.append(
            f"No response yet: {label} went from {baseline} to {latest.total}; a response is a fall of "
            f"{_percent(rules.response_drop_percent)} % or more."
        )
    if latest is not None and summary.remission is not None:  # `summary` judged this same latest score
        if summary.instrument == "madrs":
            limit = f"{rules.remission_madrs_at_or_below} or less"
            above = f"above {rules.remission_madrs_at_or_below}"
        else:
            limit = f"below {rules.remission_phq9_below}"
            above = f"{rules.remission_phq9_below} or more"
        latest_words = f"the latest {label}, {latest.total} on {day(latest.at)}"
        if summary.remission:
            sentences.append(f"Remission: {latest_words}, is {limit}.")
        else:
            sentences.append(f"Not in remission: {latest_words}, is {above}.")
    ended = course.ended_since
    if ended is None:
        sentences.append("Relapse watch: it begins when the course ends.")
        return sentences
    nadir, watch = summary.nadir, summary.relapse_watch
    if nadir is None:
        sentences.append(f"The course ended on {day(ended)}; no {label} score has been recorded since.")
        return sentences
    sentences.append(f"Lowest {label} since the course ended: {nadir.total} on {day(nadir.at)}.")
    if watch.triggered and watch.score is not None and watch.reason == RelapseReason.RISE_FROM_NADIR:
        sentences.append(
            f"Relapse watch: {label} {watch.score.total} on {day(watch.score.at)} is "
            f"{watch.score.total - nadir.total} points above the lowest (the watch opens at "
            f"{rules.relapse_rise_points})."
        )
    elif watch.triggered and watch.score is not None:
        threshold = rules.relapse_phq9_threshold
        sentences.append(
            f"Relapse watch: {label} reached {watch.score.total} on {day(watch.score.at)}, {threshold} or more "
            f"after a score below {threshold}."
        )
    else:
        sentences.append("Relapse watch: no sign of relapse since the course ended.")
    return sentences


# --- Questionnaire cadence ----------------------------------------------------------------------------------------


class DueReason(StrEnum):
    SESSION = "session"
    POST_COURSE_WEEKLY = "post_course_weekly"
    POST_COURSE_INTERVAL = "post_course_interval"


@dataclass(frozen=True)
class Due:
    at: dt.datetime
    reason: DueReason

    def overdue(self, now: dt.datetime) -> bool:
        return self.at <= now


@dataclass(frozen=True)
class Occasion:
    """A dosing session or an integration session of the course, from its start to its end."""

    start: dt.datetime
    end: dt.datetime


def next_due(
    *,
    course: Course | None,
    occasions: Sequence[Occasion],
    scored_at: Sequence[dt.datetime],
    now: dt.datetime,
    rules: Outcomes,
) -> Due | None:
    """When the patient's next questionnaire on the baseline instrument is due (clinical protocol §5, "Cadence").

    During a course, one at every dosing and integration session: an occasion is covered by a score taken after
    the previous occasion ended and before this one ends (the evening before a dosing session, or during an
    integration session); the first uncovered occasion that has not ended yet is due at its start.
    After the course, weekly for `post_course_weekly_weeks` weeks, then every `post_course_interval_days` days,
    counted from the later of the end of the course and the last score. None when nothing is due: no course, or a
    course with no session ahead.
    """
    if course is None:
        return None
    ended_at = course.ended_since
    if ended_at is not None:
        return _post_course_due(ended_at, scored_at, rules)
    previous_end: dt.datetime | None = None
    for occasion in sorted(occasions, key=lambda o: o.start):
        covered = any((previous_end is None or at > previous_end) and at <= occasion.end for at in scored_at)
        if occasion.end >= now and not covered:
            return Due(occasion.start, DueReason.SESSION)
        previous_end = occasion.end
    return None


def _post_course_due(ended_at: dt.datetime, scored_at: Sequence[dt.datetime], rules: Outcomes) -> Due:
    since = max([ended_at, *scored_at])
    weekly_until = ended_at + dt.timedelta(weeks=rules.post_course_weekly_weeks)
    if since < weekly_until:
        return Due(since + dt.timedelta(days=rules.post_course_weekly_interval_days), DueReason.POST_COURSE_WEEKLY)
    return Due(since + dt.timedelta(days=rules.post_course_interval_days), DueReason.POST_COURSE_INTERVAL)
