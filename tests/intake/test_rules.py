"""Table-driven tests of the contraindication engine intake.rules (clinical protocol §1).

No database, no Django. Every finding code is tested on both sides of its threshold, and a changed protocol
value moves each threshold.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from clinic.protocol import Protocol, Screening
from intake.rules import (
    HISTORY_CODES,
    MEDICATION_CATEGORIES,
    Decision,
    FactsError,
    Finding,
    FindingCode,
    FindingKind,
    Medication,
    ScreeningFacts,
    ScreeningOutcome,
    SubstanceUse,
    decide,
    evaluate_screening,
    finding_kind,
    screening_is_current,
    unknown_vocabulary,
)

TODAY = date(2025, 6, 1)
DEFAULT = Protocol()

# An eligible patient: every test below changes only what it is about.
BASE = ScreeningFacts(
    age=40,
    height_cm=Decimal("170"),
    weight_kg=Decimal("70"),
    systolic=120,
    diastolic=80,
    heart_rate=70,
    history=frozenset(),
    medications=(),
    substance_use=SubstanceUse("none"),
    myocardial_infarction_date=None,
    stroke_date=None,
    pregnant_or_breastfeeding=False,
    failed_antidepressant_trials=2,
    cssrs_risk="none",
)


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def facts(**changes: Any) -> ScreeningFacts:
    return dataclasses.replace(BASE, **changes)


def history(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def med(category: str, mg: str | None = None, name: str | None = None) -> Medication:
    return Medication(name or category.title(), category, None if mg is None else Decimal(mg))


def codes(outcome: ScreeningOutcome) -> set[str]:
    return {finding.code.value for finding in outcome.findings}


def evaluate(screening_facts: ScreeningFacts, protocol: Protocol = DEFAULT) -> ScreeningOutcome:
    return evaluate_screening(screening_facts, TODAY, protocol)


def finding(outcome: ScreeningOutcome, code: FindingCode) -> Finding:
    (found,) = [f for f in outcome.findings if f.code is code]
    return found


def test_base_patient_is_eligible_without_findings() -> None:
    assert evaluate(BASE) == ScreeningOutcome(Decision.ELIGIBLE, ())


THRESHOLDS = [
    # blood pressure: relative above 140/90, absolute above 180/110, never both
    ("bp-140-90", {"systolic": 140, "diastolic": 90}, set()),
    ("bp-141-90", {"systolic": 141, "diastolic": 90}, {"elevated_blood_pressure"}),
    ("bp-140-91", {"systolic": 140, "diastolic": 91}, {"elevated_blood_pressure"}),
    ("bp-180-110", {"systolic": 180, "diastolic": 110}, {"elevated_blood_pressure"}),
    ("bp-181-110", {"systolic": 181, "diastolic": 110}, {"uncontrolled_hypertension"}),
    ("bp-180-111", {"systolic": 180, "diastolic": 111}, {"uncontrolled_hypertension"}),
    ("bp-181-80", {"systolic": 181, "diastolic": 80}, {"uncontrolled_hypertension"}),
    ("bp-120-111", {"systolic": 120, "diastolic": 111}, {"uncontrolled_hypertension"}),
    # myocardial infarction and stroke/TIA within 180 days
    ("mi-180-days", {"myocardial_infarction_date": days_ago(180)}, {"recent_cardiac_event"}),
    ("mi-181-days", {"myocardial_infarction_date": days_ago(181)}, set()),
    ("mi-today", {"myocardial_infarction_date": TODAY}, {"recent_cardiac_event"}),
    ("stroke-180-days", {"stroke_date": days_ago(180)}, {"recent_stroke"}),
    ("stroke-181-days", {"stroke_date": days_ago(181)}, set()),
    # substance use disorder: active within 90 days absolute, remission under 365 days relative
    ("sud-none", {"substance_use": SubstanceUse("none")}, set()),
    ("sud-active", {"substance_use": SubstanceUse("active")}, {"substance_use_disorder_active"}),
    (
        "sud-active-with-old-date",
        {"substance_use": SubstanceUse("active", days_ago(1000))},
        {"substance_use_disorder_active"},
    ),
    (
        "sud-remission-90-days",
        {"substance_use": SubstanceUse("remission", days_ago(90))},
        {"substance_use_disorder_active"},
    ),
    (
        "sud-remission-91-days",
        {"substance_use": SubstanceUse("remission", days_ago(91))},
        {"substance_use_disorder_remission"},
    ),
    (
        "sud-remission-364-days",
        {"substance_use": SubstanceUse("remission", days_ago(364))},
        {"substance_use_disorder_remission"},
    ),
    ("sud-remission-365-days", {"substance_use": SubstanceUse("remission", days_ago(365))}, set()),
    (
        "sud-remission-no-date",
        {"substance_use": SubstanceUse("remission")},
        {"substance_use_disorder_remission"},
    ),
    # BMI > 35.0, computed to one decimal half up (200 cm: 4 m^2)
    ("bmi-35.0", {"height_cm": Decimal("200"), "weight_kg": Decimal("140.0")}, set()),
    ("bmi-35.025-rounds-to-35.0", {"height_cm": Decimal("200"), "weight_kg": Decimal("140.1")}, set()),
    (
        "bmi-35.05-rounds-to-35.1",
        {"height_cm": Decimal("200"), "weight_kg": Decimal("140.2")},
        {"bmi_over_35"},
    ),
    ("bmi-35.1", {"height_cm": Decimal("200"), "weight_kg": Decimal("140.4")}, {"bmi_over_35"}),
    # benzodiazepines: above 8 mg diazepam-equivalent relative, at or below a warning, unknown dose relative
    ("benzo-8-mg", {"medications": (med("benzodiazepine", "8"),)}, {"benzodiazepine"}),
    ("benzo-8.1-mg", {"medications": (med("benzodiazepine", "8.1"),)}, {"benzodiazepine_high_dose"}),
    ("benzo-0-mg", {"medications": (med("benzodiazepine", "0"),)}, {"benzodiazepine"}),
    (
        "benzo-4-plus-4",
        {"medications": (med("benzodiazepine", "4", "Lorazepam"), med("benzodiazepine", "4", "Diazepam"))},
        {"benzodiazepine"},
    ),
    (
        "benzo-4-plus-4.1-summed",
        {"medications": (med("benzodiazepine", "4", "Lorazepam"), med("benzodiazepine", "4.1", "Diazepam"))},
        {"benzodiazepine_high_dose"},
    ),
    ("benzo-unknown-dose", {"medications": (med("benzodiazepine"),)}, {"benzodiazepine_high_dose"}),
    (
        "benzo-known-and-unknown",
        {
            "medications": (
                med("benzodiazepine", "2", "Clonazepam"),
                med("benzodiazepine", None, "Alprazolam"),
            )
        },
        {"benzodiazepine_high_dose"},
    ),
    ("benzo-dose-on-other-category-ignored", {"medications": (med("other", "50"),)}, set()),
    # treatment resistance: fewer than 2 failed trials
    ("trials-0", {"failed_antidepressant_trials": 0}, {"not_treatment_resistant"}),
    ("trials-1", {"failed_antidepressant_trials": 1}, {"not_treatment_resistant"}),
    ("trials-2", {"failed_antidepressant_trials": 2}, set()),
    # age 65 or over
    ("age-64", {"age": 64}, set()),
    ("age-65", {"age": 65}, {"age_65_or_over"}),
    # C-SSRS screener risk
    ("cssrs-high", {"cssrs_risk": "high"}, {"high_suicide_risk"}),
    ("cssrs-moderate", {"cssrs_risk": "moderate"}, set()),
    ("cssrs-low", {"cssrs_risk": "low"}, set()),
    ("cssrs-unknown", {"cssrs_risk": None}, set()),
    # pregnancy
    ("pregnant", {"pregnant_or_breastfeeding": True}, {"pregnancy"}),
    # medications
    ("maoi", {"medications": (med("maoi"),)}, {"maoi_or_stimulant"}),
    ("psychostimulant", {"medications": (med("psychostimulant"),)}, {"maoi_or_stimulant"}),
    ("lamotrigine", {"medications": (med("lamotrigine"),)}, {"lamotrigine"}),
    (
        "antidepressant-antipsychotic-other",
        {"medications": (med("antidepressant"), med("antipsychotic"), med("other"), med("mood_stabilizer"))},
        set(),
    ),
    # history codes
    ("psychosis-current", {"history": history("psychosis_current")}, {"psychosis_active"}),
    ("mania-current", {"history": history("mania_current")}, {"mania_active"}),
    ("aneurysm", {"history": history("aneurysmal_vascular_disease")}, {"aneurysmal_vascular_disease"}),
    ("avm", {"history": history("arteriovenous_malformation")}, {"aneurysmal_vascular_disease"}),
    ("ich", {"history": history("intracerebral_hemorrhage")}, {"intracerebral_hemorrhage_history"}),
    ("ketamine-allergy", {"history": history("ketamine_allergy")}, {"ketamine_hypersensitivity"}),
    ("raised-icp", {"history": history("raised_intracranial_pressure")}, {"raised_intracranial_pressure"}),
    ("intracranial-mass", {"history": history("intracranial_mass")}, {"raised_intracranial_pressure"}),
    ("unstable-angina", {"history": history("unstable_angina")}, {"unstable_cardiac_disease"}),
    ("heart-failure", {"history": history("heart_failure_decompensated")}, {"unstable_cardiac_disease"}),
    ("arrhythmia", {"history": history("arrhythmia_uncontrolled")}, {"unstable_cardiac_disease"}),
    ("cirrhosis", {"history": history("cirrhosis_decompensated")}, {"severe_hepatic_impairment"}),
    ("htn-uncontrolled", {"history": history("hypertension_uncontrolled")}, {"uncontrolled_hypertension"}),
    ("htn-controlled", {"history": history("hypertension_controlled")}, set()),
    ("psychosis-past", {"history": history("psychosis_past")}, {"psychosis_history"}),
    ("psychosis-family", {"history": history("psychosis_family_history")}, {"psychosis_history"}),
    ("ptsd", {"history": history("ptsd")}, {"ptsd"}),
    # bipolar disorder needs a mood stabiliser (lithium/valproate/carbamazepine, lamotrigine, antipsychotic)
    ("bipolar-no-medication", {"history": history("bipolar_disorder")}, {"bipolar_without_mood_stabilizer"}),
    (
        "bipolar-antidepressant-only",
        {"history": history("bipolar_disorder"), "medications": (med("antidepressant"),)},
        {"bipolar_without_mood_stabilizer"},
    ),
    (
        "bipolar-mood-stabilizer",
        {"history": history("bipolar_disorder"), "medications": (med("mood_stabilizer"),)},
        set(),
    ),
    (
        "bipolar-lamotrigine",
        {"history": history("bipolar_disorder"), "medications": (med("lamotrigine"),)},
        {"lamotrigine"},
    ),
    (
        "bipolar-antipsychotic",
        {"history": history("bipolar_disorder"), "medications": (med("antipsychotic"),)},
        set(),
    ),
    # combinations that must not hide or double a finding
    (
        "htn-uncontrolled-with-elevated-reading",
        {"history": history("hypertension_uncontrolled"), "systolic": 150, "diastolic": 95},
        {"uncontrolled_hypertension", "elevated_blood_pressure"},
    ),
    (
        "htn-uncontrolled-with-severe-reading",
        {"history": history("hypertension_uncontrolled"), "systolic": 190, "diastolic": 95},
        {"uncontrolled_hypertension"},
    ),
    (
        "psychosis-current-and-past",
        {"history": history("psychosis_current", "psychosis_past")},
        {"psychosis_active", "psychosis_history"},
    ),
]


@pytest.mark.parametrize(("changes", "expected"), [row[1:] for row in THRESHOLDS], ids=[row[0] for row in THRESHOLDS])
def test_findings_on_both_sides_of_each_threshold(changes: dict[str, Any], expected: set[str]) -> None:
    assert codes(evaluate(facts(**changes))) == expected


def test_every_finding_code_is_exercised() -> None:
    exercised = set().union(*(row[2] for row in THRESHOLDS))
    assert exercised == {code.value for code in FindingCode}


EXPECTED_KINDS = {
    "psychosis_active": "absolute",
    "mania_active": "absolute",
    "pregnancy": "absolute",
    "aneurysmal_vascular_disease": "absolute",
    "intracerebral_hemorrhage_history": "absolute",
    "ketamine_hypersensitivity": "absolute",
    "raised_intracranial_pressure": "absolute",
    "unstable_cardiac_disease": "absolute",
    "recent_cardiac_event": "absolute",
    "recent_stroke": "absolute",
    "severe_hepatic_impairment": "absolute",
    "uncontrolled_hypertension": "absolute",
    "substance_use_disorder_active": "absolute",
    "bipolar_without_mood_stabilizer": "relative",
    "psychosis_history": "relative",
    "substance_use_disorder_remission": "relative",
    "elevated_blood_pressure": "relative",
    "bmi_over_35": "relative",
    "benzodiazepine_high_dose": "relative",
    "maoi_or_stimulant": "relative",
    "high_suicide_risk": "relative",
    "not_treatment_resistant": "relative",
    "lamotrigine": "warning",
    "benzodiazepine": "warning",
    "ptsd": "warning",
    "age_65_or_over": "warning",
}


def test_finding_codes_and_kinds_are_exactly_the_table_of_section_1() -> None:
    assert {code.value: finding_kind(code).value for code in FindingCode} == EXPECTED_KINDS


@pytest.mark.parametrize(
    ("code", "changes"),
    [(row[2].copy().pop(), row[1]) for row in THRESHOLDS if len(row[2]) == 1],
    ids=[row[0] for row in THRESHOLDS if len(row[2]) == 1],
)
def test_each_finding_carries_its_kind_and_rule(code: str, changes: dict[str, Any]) -> None:
    found = finding(evaluate(facts(**changes)), FindingCode(code))
    assert found.kind.value == EXPECTED_KINDS[code]
    assert found.rule == f"clinical protocol §1: {code}"
    assert found.message


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        pytest.param(
            {"systolic": 182, "diastolic": 95},
            FindingCode.UNCONTROLLED_HYPERTENSION,
            "Screening blood pressure 182/95 is above 180/110.",
            id="bp-absolute",
        ),
        pytest.param(
            {"systolic": 150, "diastolic": 85},
            FindingCode.ELEVATED_BLOOD_PRESSURE,
            "Screening blood pressure 150/85 is above 140/90.",
            id="bp-relative",
        ),
        pytest.param(
            {"history": history("hypertension_uncontrolled"), "systolic": 190, "diastolic": 100},
            FindingCode.UNCONTROLLED_HYPERTENSION,
            "Hypertension is recorded as uncontrolled. Screening blood pressure 190/100 is above 180/110.",
            id="bp-history-and-reading",
        ),
        pytest.param(
            {"myocardial_infarction_date": date(2025, 1, 1)},
            FindingCode.RECENT_CARDIAC_EVENT,
            "Myocardial infarction on Jan 1, 2025, 151 days ago, is within 180 days.",
            id="mi",
        ),
        pytest.param(
            {"stroke_date": date(2025, 5, 1)},
            FindingCode.RECENT_STROKE,
            "Stroke or TIA on May 1, 2025, 31 days ago, is within 180 days.",
            id="stroke",
        ),
        pytest.param(
            {"substance_use": SubstanceUse("remission")},
            FindingCode.SUBSTANCE_USE_DISORDER_REMISSION,
            "remission date is unknown",
            id="sud-unknown-date",
        ),
        pytest.param(
            {"substance_use": SubstanceUse("remission", date(2025, 1, 1))},
            FindingCode.SUBSTANCE_USE_DISORDER_REMISSION,
            "in remission since Jan 1, 2025 (151 days): less than 365 days.",
            id="sud-remission",
        ),
        pytest.param(
            {"substance_use": SubstanceUse("remission", date(2025, 5, 1))},
            FindingCode.SUBSTANCE_USE_DISORDER_ACTIVE,
            "in remission since May 1, 2025 (31 days): active within the last 90 days.",
            id="sud-recent-remission",
        ),
        pytest.param(
            {"height_cm": Decimal("200"), "weight_kg": Decimal("150")},
            FindingCode.BMI_OVER_35,
            "BMI 37.5 (150 kg, 200 cm) is above 35.0.",
            id="bmi",
        ),
        pytest.param(
            {
                "medications": (
                    med("benzodiazepine", "6", "Lorazepam"),
                    med("benzodiazepine", "5", "Diazepam"),
                )
            },
            FindingCode.BENZODIAZEPINE_HIGH_DOSE,
            "Benzodiazepines (Lorazepam, Diazepam) total 11 mg diazepam-equivalent per day, above 8 mg.",
            id="benzo-high",
        ),
        pytest.param(
            {
                "medications": (
                    med("benzodiazepine", "2", "Clonazepam"),
                    med("benzodiazepine", None, "Alprazolam"),
                )
            },
            FindingCode.BENZODIAZEPINE_HIGH_DOSE,
            "Diazepam-equivalent dose unknown for Alprazolam",
            id="benzo-unknown",
        ),
        pytest.param(
            {"medications": (med("benzodiazepine", "5", "Diazepam"),)},
            FindingCode.BENZODIAZEPINE,
            "Benzodiazepines (Diazepam) total 5 mg diazepam-equivalent per day, at or below 8 mg",
            id="benzo-low",
        ),
        pytest.param(
            {"medications": (med("maoi", name="Phenelzine"), med("psychostimulant", name="Methylphenidate"))},
            FindingCode.MAOI_OR_STIMULANT,
            "(Phenelzine, Methylphenidate)",
            id="maoi-stimulant",
        ),
        pytest.param(
            {"history": history("unstable_angina", "arrhythmia_uncontrolled")},
            FindingCode.UNSTABLE_CARDIAC_DISEASE,
            "History records unstable angina, uncontrolled arrhythmia.",
            id="history-lists-what-it-found",
        ),
        pytest.param(
            {"history": history("ptsd")},
            FindingCode.PTSD,
            "calmed if distressed",
            id="ptsd-advice",
        ),
        pytest.param(
            {"failed_antidepressant_trials": 1},
            FindingCode.NOT_TREATMENT_RESISTANT,
            "1 failed adequate antidepressant trial(s), fewer than 2.",
            id="trials",
        ),
        pytest.param({"age": 71}, FindingCode.AGE_65_OR_OVER, "Age 71 is 65 or over", id="age"),
        pytest.param({"cssrs_risk": "high"}, FindingCode.HIGH_SUICIDE_RISK, "same-day safety evaluation", id="cssrs"),
    ],
)
def test_messages_say_what_triggered_the_finding(changes: dict[str, Any], code: FindingCode, message: str) -> None:
    assert message in finding(evaluate(facts(**changes)), code).message


@pytest.mark.parametrize(
    ("changes", "decision"),
    [
        pytest.param({}, Decision.ELIGIBLE, id="nothing"),
        pytest.param({"age": 70, "history": history("ptsd")}, Decision.ELIGIBLE, id="warnings-only"),
        pytest.param({"systolic": 150}, Decision.OVERRIDE_REQUIRED, id="relative"),
        pytest.param({"systolic": 150, "age": 70}, Decision.OVERRIDE_REQUIRED, id="relative-and-warning"),
        pytest.param({"pregnant_or_breastfeeding": True}, Decision.INELIGIBLE, id="absolute"),
        pytest.param(
            {"pregnant_or_breastfeeding": True, "systolic": 150, "age": 70},
            Decision.INELIGIBLE,
            id="absolute-relative-warning",
        ),
    ],
)
def test_decision(changes: dict[str, Any], decision: Decision) -> None:
    assert evaluate(facts(**changes)).decision is decision


def test_decide_on_no_findings_is_eligible() -> None:
    assert decide([]) is Decision.ELIGIBLE


def test_findings_are_ordered_absolute_relative_warning_then_by_code() -> None:
    outcome = evaluate(
        facts(
            age=70,
            systolic=150,
            history=history("ptsd", "psychosis_current", "ketamine_allergy", "psychosis_past", "bipolar_disorder"),
            medications=(med("lamotrigine"), med("maoi")),
            pregnant_or_breastfeeding=True,
            failed_antidepressant_trials=0,
        )
    )
    assert [(f.kind.value, f.code.value) for f in outcome.findings] == [
        ("absolute", "ketamine_hypersensitivity"),
        ("absolute", "pregnancy"),
        ("absolute", "psychosis_active"),
        ("relative", "elevated_blood_pressure"),
        ("relative", "maoi_or_stimulant"),
        ("relative", "not_treatment_resistant"),
        ("relative", "psychosis_history"),
        ("warning", "age_65_or_over"),
        ("warning", "lamotrigine"),
        ("warning", "ptsd"),
    ]
    assert outcome.decision is Decision.INELIGIBLE
    assert evaluate(BASE) == evaluate(BASE)


PROTOCOL_CHANGES = [
    # (id, screening settings, facts just at the new threshold (no finding), facts just over it, code)
    (
        "bp-relative-systolic",
        {"bp_relative_systolic_above": 150},
        {"systolic": 150},
        {"systolic": 151},
        "elevated_blood_pressure",
    ),
    (
        "bp-relative-diastolic",
        {"bp_relative_diastolic_above": 95},
        {"diastolic": 95},
        {"diastolic": 96},
        "elevated_blood_pressure",
    ),
    (
        "bp-absolute-systolic",
        {"bp_absolute_systolic_above": 170},
        {"systolic": 170},
        {"systolic": 171},
        "uncontrolled_hypertension",
    ),
    (
        "bp-absolute-diastolic",
        {"bp_absolute_diastolic_above": 100},
        {"diastolic": 100},
        {"diastolic": 101},
        "uncontrolled_hypertension",
    ),
    (
        "cardiac-days",
        {"recent_cardiac_event_days": 365},
        {"myocardial_infarction_date": days_ago(366)},
        {"myocardial_infarction_date": days_ago(365)},
        "recent_cardiac_event",
    ),
    (
        "stroke-days",
        {"recent_stroke_days": 30},
        {"stroke_date": days_ago(31)},
        {"stroke_date": days_ago(30)},
        "recent_stroke",
    ),
    (
        "sud-active-days",
        {"substance_use_active_days": 180},
        {"substance_use": SubstanceUse("remission", days_ago(181))},
        {"substance_use": SubstanceUse("remission", days_ago(180))},
        "substance_use_disorder_active",
    ),
    (
        "sud-remission-days",
        {"substance_use_remission_min_days": 730},
        {"substance_use": SubstanceUse("remission", days_ago(730))},
        {"substance_use": SubstanceUse("remission", days_ago(729))},
        "substance_use_disorder_remission",
    ),
    (
        "bmi",
        {"bmi_relative_above": Decimal("40.0")},
        {"height_cm": Decimal("200"), "weight_kg": Decimal("160")},
        {"height_cm": Decimal("200"), "weight_kg": Decimal("160.4")},
        "bmi_over_35",
    ),
    (
        "benzodiazepine",
        {"benzodiazepine_high_dose_above_mg_per_day": Decimal("10")},
        {"medications": (med("benzodiazepine", "10"),)},
        {"medications": (med("benzodiazepine", "10.1"),)},
        "benzodiazepine_high_dose",
    ),
    (
        "failed-trials",
        {"min_failed_antidepressant_trials": 3},
        {"failed_antidepressant_trials": 3},
        {"failed_antidepressant_trials": 2},
        "not_treatment_resistant",
    ),
    ("older-adult", {"older_adult_age": 70}, {"age": 69}, {"age": 70}, "age_65_or_over"),
]


@pytest.mark.parametrize(
    ("settings", "below", "over", "code"),
    [row[1:] for row in PROTOCOL_CHANGES],
    ids=[row[0] for row in PROTOCOL_CHANGES],
)
def test_a_changed_protocol_value_moves_the_threshold(
    settings: dict[str, Any], below: dict[str, Any], over: dict[str, Any], code: str
) -> None:
    changed = Protocol(screening=Screening(**settings))
    assert code not in codes(evaluate(facts(**below), changed))
    assert code in codes(evaluate(facts(**over), changed))
    # and the default protocol judges at least one of the two differently: the number came from the protocol
    by_default = [code in codes(evaluate(facts(**case))) for case in (below, over)]
    assert by_default != [False, True]


def test_changed_bp_threshold_example_from_the_brief() -> None:
    changed = Protocol(screening=Screening(bp_relative_systolic_above=150))
    assert codes(evaluate(facts(systolic=145))) == {"elevated_blood_pressure"}
    assert codes(evaluate(facts(systolic=145), changed)) == set()
    assert (
        "above 150/90" in finding(evaluate(facts(systolic=151), changed), FindingCode.ELEVATED_BLOOD_PRESSURE).message
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param(
            {"history": history("psychosis_curent")},
            "history",
            "unknown history code 'psychosis_curent'",
            id="misspelt-history",
        ),
        pytest.param(
            {"medications": (med("opioid"),)},
            "medications",
            "unknown medication category 'opioid'",
            id="unknown-category",
        ),
        pytest.param(
            {"history": history("zzz", "aaa"), "medications": (med("opioid"),)},
            "history",
            "unknown history code 'aaa', history code 'zzz', medication category 'opioid'",
            id="lists-all-unknown",
        ),
        pytest.param({"age": -1}, "age", "whole number of 0 or more, got -1", id="negative-age"),
        pytest.param({"age": True}, "age", "got True", id="bool-age"),
        pytest.param({"systolic": 120.0}, "systolic", "got 120.0", id="float-systolic"),
        pytest.param({"diastolic": None}, "diastolic", "got None", id="no-diastolic"),
        pytest.param({"heart_rate": -5}, "heart_rate", "got -5", id="negative-heart-rate"),
        pytest.param({"failed_antidepressant_trials": -1}, "failed_antidepressant_trials", "got -1", id="trials"),
        pytest.param({"height_cm": 170.0}, "height_cm", "positive Decimal, got 170.0", id="float-height"),
        pytest.param({"weight_kg": Decimal("0")}, "weight_kg", "positive Decimal", id="zero-weight"),
        pytest.param({"weight_kg": Decimal("NaN")}, "weight_kg", "positive Decimal", id="nan-weight"),
        pytest.param({"height_cm": Decimal("-170")}, "height_cm", "positive Decimal", id="negative-height"),
        pytest.param(
            {"medications": (med("other"), med("benzodiazepine", "-1"))},
            "medications[1].diazepam_equivalent_mg_per_day",
            "got Decimal('-1')",
            id="negative-dose",
        ),
        pytest.param(
            {"medications": (Medication("Diazepam", "benzodiazepine", cast(Any, 5.0)),)},
            "medications[0].diazepam_equivalent_mg_per_day",
            "got 5.0",
            id="float-dose",
        ),
        pytest.param(
            {"medications": (med("benzodiazepine", "Infinity"),)},
            "medications[0].diazepam_equivalent_mg_per_day",
            "Decimal of 0 or more",
            id="infinite-dose",
        ),
        pytest.param(
            {"pregnant_or_breastfeeding": None},
            "pregnant_or_breastfeeding",
            "must be yes or no (true/false), got None",
            id="pregnancy-unknown",
        ),
        pytest.param(
            {"substance_use": SubstanceUse("current")},
            "substance_use.status",
            "must be one of active, none, remission, got 'current'",
            id="unknown-status",
        ),
        pytest.param(
            {"substance_use": SubstanceUse("none", days_ago(400))},
            "substance_use.remission_since",
            "needs a substance use disorder recorded as in remission",
            id="remission-date-without-remission",
        ),
        pytest.param(
            {"cssrs_risk": "severe"},
            "cssrs_risk",
            "must be one of high, low, moderate, none or None, got 'severe'",
            id="unknown-cssrs-risk",
        ),
    ],
)
def test_refuses_facts_it_cannot_judge(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(FactsError) as caught:
        facts(**changes)
    assert caught.value.field == field
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == f"{field}: {caught.value.message}"


@pytest.mark.parametrize(
    ("history_codes", "categories", "unknown"),
    [
        pytest.param(sorted(HISTORY_CODES), sorted(MEDICATION_CATEGORIES), [], id="all-known"),
        pytest.param([], [], [], id="empty"),
        pytest.param(
            ["ptsd", "heart_attack", "angina"],
            ["other", "opioid"],
            ["history code 'angina'", "history code 'heart_attack'", "medication category 'opioid'"],
            id="unknown-listed-sorted",
        ),
    ],
)
def test_unknown_vocabulary(history_codes: list[str], categories: list[str], unknown: list[str]) -> None:
    assert unknown_vocabulary(history_codes, categories) == unknown


def test_vocabulary_is_exactly_the_brief() -> None:
    assert {
        "psychosis_current",
        "mania_current",
        "psychosis_past",
        "psychosis_family_history",
        "bipolar_disorder",
        "ptsd",
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_hemorrhage",
        "ketamine_allergy",
        "raised_intracranial_pressure",
        "intracranial_mass",
        "unstable_angina",
        "heart_failure_decompensated",
        "arrhythmia_uncontrolled",
        "cirrhosis_decompensated",
        "hypertension_uncontrolled",
        "hypertension_controlled",
    } == HISTORY_CODES
    assert {
        "mood_stabilizer",
        "lamotrigine",
        "benzodiazepine",
        "maoi",
        "psychostimulant",
        "antidepressant",
        "antipsychotic",
        "other",
    } == MEDICATION_CATEGORIES


@pytest.mark.parametrize(("age_days", "current"), [(0, True), (180, True), (181, False)])
def test_screening_older_than_validity_must_be_renewed(age_days: int, current: bool) -> None:
    assert screening_is_current(days_ago(age_days), TODAY, DEFAULT.screening) is current
    assert screening_is_current(days_ago(age_days), TODAY, Screening(validity_days=age_days)) is True


def test_outcome_and_findings_are_frozen() -> None:
    outcome = evaluate(facts(age=70))
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.decision = Decision.INELIGIBLE  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.findings[0].kind = FindingKind.ABSOLUTE  # type: ignore[misc]
