"""The outcome chart and the progress across notes and plan revisions (pure: no database)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinic.protocol import Outcomes
from integration.charts import PATIENT_WORDING, outcome_chart_svg, response_threshold
from integration.history import (
    NO_TARGET,
    NoteRecord,
    SectionChange,
    emdr_targets,
    ifs_parts,
    plan_changes,
)
from integration.outcomes import Score

NY = ZoneInfo("America/New_York")
RULES = Outcomes()


def day(n: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 5, 1, hour, tzinfo=NY) + dt.timedelta(days=n)


def texts(svg: str) -> list[str]:
    return re.findall(r">([^<]+)</text>", svg)


# --- The outcome chart ----------------------------------------------------------------------------------------------


def test_no_score_draws_no_chart() -> None:
    assert outcome_chart_svg(phq9=[], gad7=[], dosings=[day(1)], baseline=18, rules=RULES, tz=NY) == ""


def test_the_chart_draws_both_questionnaires_numbered_dosings_and_the_phq9_lines() -> None:
    svg = outcome_chart_svg(
        phq9=[Score(day(0), 18), Score(day(10), 9), Score(day(30), 4)],
        gad7=[Score(day(0), 12)],
        dosings=[day(1), day(4), day(8)],
        baseline=18,
        rules=RULES,
        tz=NY,
    )
    labels = texts(svg)
    assert "PHQ-9 and GAD-7 over time" in svg
    assert '<polyline class="chart-phq9"' in svg
    assert '<polyline class="chart-gad7"' not in svg  # one GAD-7 score: a point, no line
    assert svg.count('class="chart-gad7 chart-point"') == 1
    assert [t for t in labels if t in {"1", "2", "3"}] == ["1", "2", "3"]
    assert "PHQ-9 remission: below 5" in labels
    assert "PHQ-9 response: 9 or lower (baseline 18)" in labels
    assert 'class="chart-response"' in svg
    assert 'class="chart-remission"' in svg


@pytest.mark.parametrize(
    ("baseline", "rules", "response_line"),
    [
        (None, RULES, False),  # no baseline: no response line
        (17, RULES, True),
        (18, Outcomes(baseline_instrument="madrs"), False),  # the baseline is not a PHQ-9 total
    ],
)
def test_the_response_line_needs_a_phq9_baseline(baseline: int | None, rules: Outcomes, response_line: bool) -> None:
    svg = outcome_chart_svg(phq9=[], gad7=[Score(day(0), 7)], dosings=[], baseline=baseline, rules=rules, tz=NY)
    assert ('class="chart-response"' in svg) is response_line
    assert '<polyline class="chart-phq9"' not in svg
    if response_line:
        assert "PHQ-9 response: 8.5 or lower (baseline 17)" in texts(svg)


def test_the_patient_reads_the_chart_in_plain_words() -> None:
    svg = outcome_chart_svg(
        phq9=[Score(day(0), 16), Score(day(7), 6)],
        gad7=[],
        dosings=[day(2)],
        baseline=16,
        rules=RULES,
        tz=NY,
        wording=PATIENT_WORDING,
    )
    labels = texts(svg)
    assert "Your mood and anxiety questionnaires over time" in svg
    assert 'viewBox="0 0 420 320"' in svg
    assert "Half of where you started (16)" in labels
    assert "Below 5: few or no symptoms" in labels
    assert "Mood (PHQ-9)" in labels


@pytest.mark.parametrize(("baseline", "percent", "threshold"), [(18, "50", "9"), (15, "50", "7.5"), (20, "40", "12")])
def test_the_response_threshold_follows_the_protocol(baseline: int, percent: str, threshold: str) -> None:
    rules = Outcomes(response_drop_percent=Decimal(percent))
    assert response_threshold(baseline, rules) == Decimal(threshold)


# --- EMDR targets ---------------------------------------------------------------------------------------------------


def emdr(note_id: int, at: dt.datetime, **fields: Any) -> NoteRecord:
    return NoteRecord(note_id, at, "emdr", fields)


def test_emdr_sessions_are_grouped_by_target_whatever_its_spelling() -> None:
    notes = [
        emdr(
            3,
            day(14),
            target="storm  at sea",
            phase="installation",
            sud_before=2,
            sud_after=0,
            voc=7,
            body_scan_clear=True,
            target_complete=True,
        ),
        emdr(1, day(0), target="Storm at sea", phase="desensitisation", sud_before=8, sud_after=5, voc=3),
        emdr(2, day(7), target="The empty house", phase="assessment", sud_before=6, sud_after=6, voc=2),
        emdr(4, day(21), phase="closure"),
        NoteRecord(5, day(3), "ifs", {"parts": []}),
    ]
    targets = emdr_targets(notes)
    assert [t.target for t in targets] == ["Storm at sea", "The empty house", NO_TARGET]
    storm = targets[0]
    assert [(s.note_id, s.sud_before, s.sud_after, s.voc) for s in storm.sessions] == [(1, 8, 5, 3), (3, 2, 0, 7)]
    assert storm.complete is True
    assert targets[1].complete is False
    assert targets[2].sessions[0].sud_before is None
    assert targets[2].sessions[0].body_scan_clear is False


# --- IFS parts ------------------------------------------------------------------------------------------------------


def test_ifs_parts_are_followed_by_name_and_sessions_keep_their_steps() -> None:
    notes = [
        NoteRecord(
            2,
            day(7),
            "ifs",
            {
                "parts": [{"name": "the critic", "type": "firefighter", "body_location": "jaw", "fears": "failure"}],
                "self_energy": ["calm", "curious"],
                "permission_granted": True,
                "unburdening_steps": ["witness"],
            },
        ),
        NoteRecord(
            1,
            day(0),
            "ifs",
            {
                "parts": [
                    {"name": "The Critic", "type": "manager", "body_location": "shoulders", "fears": ""},
                    {"name": "Little one", "type": "exile"},
                ],
            },
        ),
        NoteRecord(3, day(10), "emdr", {"target": "x"}),
    ]
    progress = ifs_parts(notes)
    assert [p.name for p in progress.parts] == ["The Critic", "Little one"]
    critic = progress.parts[0]
    assert [(s.note_id, s.type, s.body_location) for s in critic.seen] == [
        (1, "manager", "shoulders"),
        (2, "firefighter", "jaw"),
    ]
    assert critic.type == "firefighter"
    assert progress.parts[1].seen[0].fears == ""
    first, second = progress.sessions
    assert (first.parts, first.permission_granted, first.unburdening_steps) == (("The Critic", "Little one"), False, ())
    assert (second.self_energy, second.unburdening_steps) == (("calm", "curious"), ("witness",))


def test_an_ifs_note_without_parts_is_a_session_without_parts() -> None:
    progress = ifs_parts([NoteRecord(1, day(0), "ifs", {})])
    assert progress.parts == ()
    assert progress.sessions[0].parts == ()


# --- Plan revisions -------------------------------------------------------------------------------------------------

FIELDS = ("warning_signs", "coping_strategies", "maintenance_criteria", "review_date")


def test_the_first_revision_is_all_new() -> None:
    after = {
        "warning_signs": ["Sleeping badly"],
        "coping_strategies": [],
        "maintenance_criteria": "PHQ-9 >= 10",
        "review_date": "2026-08-01",
    }
    assert plan_changes(None, after, FIELDS) == [
        SectionChange("warning_signs", added=("Sleeping badly",)),
        SectionChange("maintenance_criteria", before="", after="PHQ-9 >= 10"),
        SectionChange("review_date", before="", after="2026-08-01"),
    ]


def test_a_revision_shows_what_it_added_and_removed_and_what_text_changed() -> None:
    before = {
        "warning_signs": ["Sleeping badly", "Skipping meals"],
        "coping_strategies": ["Walk"],
        "maintenance_criteria": "old",
        "review_date": "2026-08-01",
    }
    after = {
        "warning_signs": ["Skipping meals", "Avoiding friends"],
        "coping_strategies": ["Walk"],
        "maintenance_criteria": "new",
        "review_date": "2026-08-01",
    }
    assert plan_changes(before, after, FIELDS) == [
        SectionChange("warning_signs", added=("Avoiding friends",), removed=("Sleeping badly",)),
        SectionChange("maintenance_criteria", before="old", after="new"),
    ]


def test_reordering_a_section_is_no_change_and_lists_become_text_when_the_shape_changes() -> None:
    before = {"warning_signs": ["a", "b"], "coping_strategies": ["x", "y"]}
    after = {"warning_signs": ["b", "a"], "coping_strategies": "x"}
    assert plan_changes(before, after, ("warning_signs", "coping_strategies")) == [
        SectionChange("coping_strategies", before="x; y", after="x"),
    ]
