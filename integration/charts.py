"""The outcome chart (clinical protocol §5, "Measurement-based care"): PHQ-9 and GAD-7 totals over time, the dosing
sessions marked, and the PHQ-9 response and remission lines.

Pure Python (no Django): scores and dosing times come in as values, the protocol's `Outcomes` as a value. Drawn by
clinic.charts, so the staff patient page, the portal and a PDF (clinic.pdf.chart_for_pdf) show the same picture;
colours are the `chart-phq9`, `chart-gad7`, `chart-response` and `chart-remission` classes of static/css/charts.css.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from clinic.charts import Guide, Marker, Series, time_chart_svg
from clinic.protocol import Outcomes
from integration.outcomes import Score

PHQ9_MAX = 27  # the highest PHQ-9 total; GAD-7 tops out at 21 and shares the axis
MARGIN = dt.timedelta(days=2)


@dataclass(frozen=True)
class Wording:
    """The chart's words: for staff, or in plain words for the patient in the portal."""

    title: str
    phq9: str
    gad7: str
    remission: str
    response: str  # formatted with `threshold` and `baseline`
    # The portal's chart is narrower and taller, so that its words stay readable when a phone scales it down.
    width: int = 720
    height: int = 280


STAFF_WORDING = Wording(
    title="PHQ-9 and GAD-7 over time",
    phq9="PHQ-9",
    gad7="GAD-7",
    remission="PHQ-9 remission: below {remission}",
    response="PHQ-9 response: {threshold} or lower (baseline {baseline})",
)
PATIENT_WORDING = Wording(
    title="Your mood and anxiety questionnaires over time",
    phq9="Mood (PHQ-9)",
    gad7="Anxiety (GAD-7)",
    remission="Below {remission}: few or no symptoms",
    response="Half of where you started ({baseline})",
    width=420,
    height=320,
)


def response_threshold(baseline: int, rules: Outcomes) -> Decimal:
    """The total at or below which the fall from `baseline` is a response (clinical protocol §5: at least 50 %)."""
    return baseline * (Decimal(100) - rules.response_drop_percent) / Decimal(100)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def outcome_chart_svg(
    *,
    phq9: Sequence[Score],
    gad7: Sequence[Score],
    dosings: Sequence[dt.datetime],
    baseline: int | None,
    rules: Outcomes,
    tz: dt.tzinfo,
    wording: Wording = STAFF_WORDING,
    chart_id: str = "chart",
) -> str:
    """The chart as SVG, or "" when there is no score to draw. The dosing sessions are numbered markers in the order
    given (1 is the first); the response line needs the course's PHQ-9 baseline. `chart_id` names the chart's title
    element (give each chart of one document its own)."""
    times = [score.at for score in (*phq9, *gad7)]
    if not times:
        return ""
    start = min([*times, *dosings]) - MARGIN
    end = max([*times, *dosings]) + MARGIN
    guides = [
        Guide(
            rules.remission_phq9_below,
            wording.remission.format(remission=rules.remission_phq9_below),
            "chart-remission",
        ),
    ]
    if baseline is not None and rules.baseline_instrument == "phq9":
        threshold = response_threshold(baseline, rules)
        label = wording.response.format(threshold=_number(threshold), baseline=baseline)
        guides.append(Guide(float(threshold), label, "chart-response"))
    series = [
        Series(label, tuple((score.at, float(score.total)) for score in scores), css_class)
        for label, scores, css_class in ((wording.phq9, phq9, "chart-phq9"), (wording.gad7, gad7, "chart-gad7"))
        if scores
    ]
    return time_chart_svg(
        series,
        start=start,
        end=end,
        y_min=0,
        y_max=PHQ9_MAX,
        y_step=5,
        tz=tz,
        title=wording.title,
        guides=guides,
        markers=[Marker(at, str(number)) for number, at in enumerate(dosings, start=1)],
        width=wording.width,
        height=wording.height,
        chart_id=chart_id,
    )
