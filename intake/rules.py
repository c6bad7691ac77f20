"""The intake contraindication engine (clinical protocol §1, "Intake screening").

Pure Python, no Django import. `evaluate_screening(facts, today, protocol)` turns the facts a screening
collected into findings and exactly one decision; every threshold comes from `protocol.screening`, and "today"
is passed in.

Decision: any absolute finding makes the patient `ineligible` (no override); otherwise any relative finding
makes the screening `override_required` (a prescriber clears it with a reason); otherwise `eligible`. Warnings
never change the decision. No finding is ever hidden: every rule that fires contributes its finding, even when
another finding already decides the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from clinic import clock
from clinic.measures import bmi
from clinic.protocol import Protocol, Screening

__all__ = [
    "CSSRS_RISKS",
    "HISTORY_CODES",
    "HISTORY_LABELS",
    "MEDICATION_CATEGORIES",
    "MOOD_STABILIZER_CATEGORIES",
    "SUBSTANCE_USE_STATUSES",
    "Decision",
    "FactsError",
    "Finding",
    "FindingCode",
    "FindingKind",
    "Medication",
    "ScreeningFacts",
    "ScreeningOutcome",
    "SubstanceUse",
    "decide",
    "evaluate_screening",
    "finding_kind",
    "screening_is_current",
    "unknown_vocabulary",
]

RULE_SOURCE = "clinical protocol §1"


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    OVERRIDE_REQUIRED = "override_required"
    INELIGIBLE = "ineligible"


class FindingKind(StrEnum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"
    WARNING = "warning"


class FindingCode(StrEnum):
    """The stable finding codes of the table of clinical protocol §1."""

    PSYCHOSIS_ACTIVE = "psychosis_active"
    MANIA_ACTIVE = "mania_active"
    PREGNANCY = "pregnancy"
    ANEURYSMAL_VASCULAR_DISEASE = "aneurysmal_vascular_disease"
    INTRACEREBRAL_HEMORRHAGE_HISTORY = "intracerebral_hemorrhage_history"
    KETAMINE_HYPERSENSITIVITY = "ketamine_hypersensitivity"
    RAISED_INTRACRANIAL_PRESSURE = "raised_intracranial_pressure"
    UNSTABLE_CARDIAC_DISEASE = "unstable_cardiac_disease"
    RECENT_CARDIAC_EVENT = "recent_cardiac_event"
    RECENT_STROKE = "recent_stroke"
    SEVERE_HEPATIC_IMPAIRMENT = "severe_hepatic_impairment"
    UNCONTROLLED_HYPERTENSION = "uncontrolled_hypertension"
    SUBSTANCE_USE_DISORDER_ACTIVE = "substance_use_disorder_active"
    BIPOLAR_WITHOUT_MOOD_STABILIZER = "bipolar_without_mood_stabilizer"
    PSYCHOSIS_HISTORY = "psychosis_history"
    SUBSTANCE_USE_DISORDER_REMISSION = "substance_use_disorder_remission"
    ELEVATED_BLOOD_PRESSURE = "elevated_blood_pressure"
    BMI_OVER_35 = "bmi_over_35"
    BENZODIAZEPINE_HIGH_DOSE = "benzodiazepine_high_dose"
    MAOI_OR_STIMULANT = "maoi_or_stimulant"
    HIGH_SUICIDE_RISK = "high_suicide_risk"
    NOT_TREATMENT_RESISTANT = "not_treatment_resistant"
    LAMOTRIGINE = "lamotrigine"
    BENZODIAZEPINE = "benzodiazepine"
    PTSD = "ptsd"
    AGE_65_OR_OVER = "age_65_or_over"


_ABSOLUTE = frozenset(
    {
        FindingCode.PSYCHOSIS_ACTIVE,
        FindingCode.MANIA_ACTIVE,
        FindingCode.PREGNANCY,
        FindingCode.ANEURYSMAL_VASCULAR_DISEASE,
        FindingCode.INTRACEREBRAL_HEMORRHAGE_HISTORY,
        FindingCode.KETAMINE_HYPERSENSITIVITY,
        FindingCode.RAISED_INTRACRANIAL_PRESSURE,
        FindingCode.UNSTABLE_CARDIAC_DISEASE,
        FindingCode.RECENT_CARDIAC_EVENT,
        FindingCode.RECENT_STROKE,
        FindingCode.SEVERE_HEPATIC_IMPAIRMENT,
        FindingCode.UNCONTROLLED_HYPERTENSION,
        FindingCode.SUBSTANCE_USE_DISORDER_ACTIVE,
    }
)
_WARNING = frozenset(
    {FindingCode.LAMOTRIGINE, FindingCode.BENZODIAZEPINE, FindingCode.PTSD, FindingCode.AGE_65_OR_OVER}
)


def finding_kind(code: FindingCode) -> FindingKind:
    """The kind of a finding code, as the table of clinical protocol §1 fixes it."""
    if code in _ABSOLUTE:
        return FindingKind.ABSOLUTE
    if code in _WARNING:
        return FindingKind.WARNING
    return FindingKind.RELATIVE


# --- Vocabulary ---------------------------------------------------------------------------------------------

HISTORY_LABELS: dict[str, str] = {
    "psychosis_current": "current psychotic disorder or psychotic symptoms",
    "mania_current": "current manic or hypomanic episode",
    "psychosis_past": "past psychosis",
    "psychosis_family_history": "first-degree relative with a psychotic disorder",
    "bipolar_disorder": "bipolar disorder",
    "ptsd": "PTSD",
    "aneurysmal_vascular_disease": "aneurysmal vascular disease",
    "arteriovenous_malformation": "arteriovenous malformation",
    "intracerebral_hemorrhage": "intracerebral haemorrhage",
    "ketamine_allergy": "allergy to ketamine or esketamine",
    "raised_intracranial_pressure": "raised intracranial pressure",
    "intracranial_mass": "intracranial mass",
    "unstable_angina": "unstable angina",
    "heart_failure_decompensated": "decompensated heart failure",
    "arrhythmia_uncontrolled": "uncontrolled arrhythmia",
    "cirrhosis_decompensated": "decompensated cirrhosis (Child-Pugh C)",
    "hypertension_uncontrolled": "hypertension recorded as uncontrolled",
    "hypertension_controlled": "controlled hypertension",
}
HISTORY_CODES: frozenset[str] = frozenset(HISTORY_LABELS)

MEDICATION_CATEGORIES: frozenset[str] = frozenset(
    {
        "mood_stabilizer",
        "lamotrigine",
        "benzodiazepine",
        "maoi",
        "psychostimulant",
        "antidepressant",
        "antipsychotic",
        "other",
    }
)
# Lamotrigine is a mood stabiliser (and also raises its own warning); an antipsychotic counts as antimanic.
MOOD_STABILIZER_CATEGORIES: frozenset[str] = frozenset({"mood_stabilizer", "lamotrigine", "antipsychotic"})

SUBSTANCE_USE_STATUSES: frozenset[str] = frozenset({"none", "active", "remission"})
CSSRS_RISKS: frozenset[str] = frozenset({"none", "low", "moderate", "high"})


def unknown_vocabulary(history: Iterable[str], medication_categories: Iterable[str]) -> list[str]:
    """Codes outside HISTORY_CODES / MEDICATION_CATEGORIES, sorted, each saying which list it belongs to, e.g.
    ["history code 'heart_attack'", "medication category 'opioid'"]. Empty when everything is known.

    The engine refuses unknown codes instead of ignoring them: a misspelt `psychosis_curent` must never pass
    as "no psychosis".
    """
    unknown = [f"history code {code!r}" for code in sorted(set(history) - HISTORY_CODES)]
    unknown += [
        f"medication category {category!r}" for category in sorted(set(medication_categories) - MEDICATION_CATEGORIES)
    ]
    return unknown


# --- Facts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Medication:
    """A current medication; its diazepam-equivalent daily dose counts for benzodiazepines (None: unknown)."""

    name: str
    category: str
    diazepam_equivalent_mg_per_day: Decimal | None = None


@dataclass(frozen=True)
class SubstanceUse:
    """Substance use disorder (DSM-5): status "none", "active" or "remission", and when remission began."""

    status: str = "none"
    remission_since: date | None = None


class FactsError(ValueError):
    """Screening facts the engine cannot judge. `field` names the fact: "history", "medications[1]...", ..."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ScreeningFacts:
    """What an intake screening collected (clinical protocol §1). Validated on construction."""

    age: int
    height_cm: Decimal
    weight_kg: Decimal
    systolic: int
    diastolic: int
    heart_rate: int
    history: frozenset[str] = frozenset()
    medications: tuple[Medication, ...] = ()
    substance_use: SubstanceUse = SubstanceUse()
    myocardial_infarction_date: date | None = None
    stroke_date: date | None = None
    """Date of the latest stroke or TIA."""
    pregnant_or_breastfeeding: bool = False
    failed_antidepressant_trials: int = 0
    cssrs_risk: str | None = None
    """Risk of the latest C-SSRS screener ("none", "low", "moderate", "high"), or None if there is none."""

    def __post_init__(self) -> None:
        unknown_history = unknown_vocabulary(self.history, ())
        unknown = unknown_history + unknown_vocabulary((), (m.category for m in self.medications))
        if unknown:
            raise FactsError("history" if unknown_history else "medications", f"unknown {', '.join(unknown)}")
        for name, value in (
            ("age", self.age),
            ("systolic", self.systolic),
            ("diastolic", self.diastolic),
            ("heart_rate", self.heart_rate),
            ("failed_antidepressant_trials", self.failed_antidepressant_trials),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FactsError(name, f"must be a whole number of 0 or more, got {value!r}")
        for name, measure in (("height_cm", self.height_cm), ("weight_kg", self.weight_kg)):
            if not isinstance(measure, Decimal) or not measure.is_finite() or measure <= 0:
                raise FactsError(name, f"must be a positive Decimal, got {measure!r}")
        for index, medication in enumerate(self.medications):
            dose = medication.diazepam_equivalent_mg_per_day
            if dose is not None and (not isinstance(dose, Decimal) or not dose.is_finite() or dose < 0):
                raise FactsError(
                    f"medications[{index}].diazepam_equivalent_mg_per_day",
                    f"must be a Decimal of 0 or more, or unknown (None), got {dose!r}",
                )
        if not isinstance(self.pregnant_or_breastfeeding, bool):
            raise FactsError(
                "pregnant_or_breastfeeding",
                f"must be yes or no (true/false), got {self.pregnant_or_breastfeeding!r}",
            )
        if self.substance_use.status not in SUBSTANCE_USE_STATUSES:
            raise FactsError(
                "substance_use.status",
                f"must be one of {', '.join(sorted(SUBSTANCE_USE_STATUSES))}, got {self.substance_use.status!r}",
            )
        if self.substance_use.status == "none" and self.substance_use.remission_since is not None:
            raise FactsError(
                "substance_use.remission_since",
                "a remission date needs a substance use disorder recorded as in remission",
            )
        if self.cssrs_risk is not None and self.cssrs_risk not in CSSRS_RISKS:
            raise FactsError(
                "cssrs_risk",
                f"must be one of {', '.join(sorted(CSSRS_RISKS))} or None, got {self.cssrs_risk!r}",
            )

    def medications_in(self, categories: Iterable[str]) -> tuple[Medication, ...]:
        wanted = frozenset(categories)
        return tuple(m for m in self.medications if m.category in wanted)


# --- Outcome ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    code: FindingCode
    kind: FindingKind
    message: str
    rule: str


@dataclass(frozen=True)
class ScreeningOutcome:
    decision: Decision
    findings: tuple[Finding, ...]


def _finding(code: FindingCode, message: str) -> Finding:
    return Finding(code, finding_kind(code), message, f"{RULE_SOURCE}: {code.value}")


_KIND_ORDER = {FindingKind.ABSOLUTE: 0, FindingKind.RELATIVE: 1, FindingKind.WARNING: 2}


def decide(findings: Iterable[Finding]) -> Decision:
    """Any absolute finding: ineligible; else any relative finding: override required; else eligible."""
    kinds = {finding.kind for finding in findings}
    if FindingKind.ABSOLUTE in kinds:
        return Decision.INELIGIBLE
    if FindingKind.RELATIVE in kinds:
        return Decision.OVERRIDE_REQUIRED
    return Decision.ELIGIBLE


def screening_is_current(screened_on: date, today: date, screening: Screening) -> bool:
    """A screening older than `validity_days` (default 180) must be renewed (clinical protocol §1)."""
    return (today - screened_on).days <= screening.validity_days


# --- Rules --------------------------------------------------------------------------------------------------

Rule = Callable[[ScreeningFacts, date, Screening], Sequence[Finding]]

# Findings raised by history codes alone: code -> the history codes that raise it.
_HISTORY_RULES: dict[FindingCode, tuple[str, ...]] = {
    FindingCode.PSYCHOSIS_ACTIVE: ("psychosis_current",),
    FindingCode.MANIA_ACTIVE: ("mania_current",),
    FindingCode.ANEURYSMAL_VASCULAR_DISEASE: ("aneurysmal_vascular_disease", "arteriovenous_malformation"),
    FindingCode.INTRACEREBRAL_HEMORRHAGE_HISTORY: ("intracerebral_hemorrhage",),
    FindingCode.KETAMINE_HYPERSENSITIVITY: ("ketamine_allergy",),
    FindingCode.RAISED_INTRACRANIAL_PRESSURE: ("raised_intracranial_pressure", "intracranial_mass"),
    FindingCode.UNSTABLE_CARDIAC_DISEASE: (
        "unstable_angina",
        "heart_failure_decompensated",
        "arrhythmia_uncontrolled",
    ),
    FindingCode.SEVERE_HEPATIC_IMPAIRMENT: ("cirrhosis_decompensated",),
    FindingCode.PSYCHOSIS_HISTORY: ("psychosis_past", "psychosis_family_history"),
    FindingCode.PTSD: ("ptsd",),
}

_HISTORY_ADVICE: dict[FindingCode, str] = {
    FindingCode.PTSD: " Plan in advance how the patient wants to be calmed if distressed.",
}


def _history_findings(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    findings = []
    for code, history_codes in _HISTORY_RULES.items():
        present = [HISTORY_LABELS[h] for h in history_codes if h in facts.history]
        if present:
            message = f"History records {', '.join(present)}.{_HISTORY_ADVICE.get(code, '')}"
            findings.append(_finding(code, message))
    return findings


def _pregnancy(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    if facts.pregnant_or_breastfeeding:
        return [_finding(FindingCode.PREGNANCY, "Patient is pregnant or breastfeeding.")]
    return []


def _days_since(event: date, today: date) -> int:
    return (today - event).days


def _day(value: date) -> str:
    """A date as every page shows one ("Jan 5, 2025", docs/architecture.md "Times on pages")."""
    return clock.day_words(value, weekday=False)


def _recent_events(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    findings = []
    for code, event, what, limit_days in (
        (
            FindingCode.RECENT_CARDIAC_EVENT,
            facts.myocardial_infarction_date,
            "Myocardial infarction",
            screening.recent_cardiac_event_days,
        ),
        (FindingCode.RECENT_STROKE, facts.stroke_date, "Stroke or TIA", screening.recent_stroke_days),
    ):
        if event is not None and _days_since(event, today) <= limit_days:
            findings.append(
                _finding(
                    code,
                    f"{what} on {_day(event)}, {_days_since(event, today)} days ago, is within {limit_days} days.",
                )
            )
    return findings


def _blood_pressure(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    reading = f"{facts.systolic}/{facts.diastolic}"
    above_absolute = (
        facts.systolic > screening.bp_absolute_systolic_above or facts.diastolic > screening.bp_absolute_diastolic_above
    )
    above_relative = (
        facts.systolic > screening.bp_relative_systolic_above or facts.diastolic > screening.bp_relative_diastolic_above
    )
    reasons = []
    if "hypertension_uncontrolled" in facts.history:
        reasons.append("Hypertension is recorded as uncontrolled.")
    if above_absolute:
        reasons.append(
            f"Screening blood pressure {reading} is above "
            f"{screening.bp_absolute_systolic_above}/{screening.bp_absolute_diastolic_above}."
        )
    findings = []
    if reasons:
        findings.append(_finding(FindingCode.UNCONTROLLED_HYPERTENSION, " ".join(reasons)))
    if above_relative and not above_absolute:
        findings.append(
            _finding(
                FindingCode.ELEVATED_BLOOD_PRESSURE,
                f"Screening blood pressure {reading} is above "
                f"{screening.bp_relative_systolic_above}/{screening.bp_relative_diastolic_above}.",
            )
        )
    return findings


def _substance_use(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    """DSM-5: "early remission" starts after 3 months without criteria, "sustained remission" after 12 months.

    A remission that began `substance_use_active_days` or fewer days ago means the disorder was active within
    that window (the same inclusive "within" as for a myocardial infarction): absolute, like status "active".
    """
    use = facts.substance_use
    if use.status == "active":
        return [_finding(FindingCode.SUBSTANCE_USE_DISORDER_ACTIVE, "Substance use disorder is recorded as active.")]
    if use.status != "remission":
        return []
    if use.remission_since is None:
        return [
            _finding(
                FindingCode.SUBSTANCE_USE_DISORDER_REMISSION,
                "Substance use disorder is in remission, but the remission date is unknown, so a remission "
                f"of at least {screening.substance_use_remission_min_days} days is not established.",
            )
        ]
    days = _days_since(use.remission_since, today)
    since = f"in remission since {_day(use.remission_since)} ({days} days)"
    if days <= screening.substance_use_active_days:
        return [
            _finding(
                FindingCode.SUBSTANCE_USE_DISORDER_ACTIVE,
                f"Substance use disorder {since}: active within the last {screening.substance_use_active_days} days.",
            )
        ]
    if days < screening.substance_use_remission_min_days:
        return [
            _finding(
                FindingCode.SUBSTANCE_USE_DISORDER_REMISSION,
                f"Substance use disorder {since}: less than {screening.substance_use_remission_min_days} days.",
            )
        ]
    return []


def _bipolar(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    if "bipolar_disorder" in facts.history and not facts.medications_in(MOOD_STABILIZER_CATEGORIES):
        return [
            _finding(
                FindingCode.BIPOLAR_WITHOUT_MOOD_STABILIZER,
                "Bipolar disorder without a current mood stabiliser (lithium, valproate, carbamazepine, "
                "lamotrigine or an antimanic antipsychotic).",
            )
        ]
    return []


def _body_mass_index(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    value = bmi(facts.weight_kg, facts.height_cm)
    if value > screening.bmi_relative_above:
        return [
            _finding(
                FindingCode.BMI_OVER_35,
                f"BMI {value} ({facts.weight_kg} kg, {facts.height_cm} cm) is above {screening.bmi_relative_above}.",
            )
        ]
    return []


def _names(medications: Iterable[Medication]) -> str:
    return ", ".join(m.name for m in medications)


def _benzodiazepines(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    """An unknown diazepam-equivalent dose cannot be shown to be at or below the limit, so it is treated like
    a high dose: relative, for a prescriber to review."""
    benzodiazepines = facts.medications_in(("benzodiazepine",))
    if not benzodiazepines:
        return []
    limit = screening.benzodiazepine_high_dose_above_mg_per_day
    known = [m for m in benzodiazepines if m.diazepam_equivalent_mg_per_day is not None]
    unknown = [m for m in benzodiazepines if m.diazepam_equivalent_mg_per_day is None]
    total = sum((m.diazepam_equivalent_mg_per_day or Decimal(0) for m in known), Decimal(0))
    if unknown:
        return [
            _finding(
                FindingCode.BENZODIAZEPINE_HIGH_DOSE,
                f"Diazepam-equivalent dose unknown for {_names(unknown)}, so the benzodiazepine total cannot "
                f"be shown to be at or below {limit} mg per day (known doses: {total} mg).",
            )
        ]
    described = f"Benzodiazepines ({_names(benzodiazepines)}) total {total} mg diazepam-equivalent per day"
    if total > limit:
        return [_finding(FindingCode.BENZODIAZEPINE_HIGH_DOSE, f"{described}, above {limit} mg.")]
    return [_finding(FindingCode.BENZODIAZEPINE, f"{described}, at or below {limit} mg; may reduce the response.")]


def _interacting_medications(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    findings = []
    raising_bp = facts.medications_in(("maoi", "psychostimulant"))
    if raising_bp:
        findings.append(
            _finding(
                FindingCode.MAOI_OR_STIMULANT,
                f"Current MAOI or psychostimulant ({_names(raising_bp)}): additive blood-pressure effect.",
            )
        )
    lamotrigine = facts.medications_in(("lamotrigine",))
    if lamotrigine:
        findings.append(
            _finding(
                FindingCode.LAMOTRIGINE,
                f"Current lamotrigine ({_names(lamotrigine)}) may blunt the acute effect.",
            )
        )
    return findings


def _suicide_risk(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    if facts.cssrs_risk == "high":
        return [
            _finding(
                FindingCode.HIGH_SUICIDE_RISK,
                "Latest C-SSRS screener risk is high: a same-day safety evaluation must be documented before "
                "clearance.",
            )
        ]
    return []


def _treatment_resistance(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    if facts.failed_antidepressant_trials < screening.min_failed_antidepressant_trials:
        return [
            _finding(
                FindingCode.NOT_TREATMENT_RESISTANT,
                f"{facts.failed_antidepressant_trials} failed adequate antidepressant trial(s), fewer than "
                f"{screening.min_failed_antidepressant_trials}.",
            )
        ]
    return []


def _older_adult(facts: ScreeningFacts, today: date, screening: Screening) -> list[Finding]:
    if facts.age >= screening.older_adult_age:
        return [
            _finding(
                FindingCode.AGE_65_OR_OVER,
                f"Age {facts.age} is {screening.older_adult_age} or over: start low "
                "(esketamine: the older-adult first dose).",
            )
        ]
    return []


RULES: tuple[Rule, ...] = (
    _history_findings,
    _pregnancy,
    _recent_events,
    _blood_pressure,
    _substance_use,
    _bipolar,
    _body_mass_index,
    _benzodiazepines,
    _interacting_medications,
    _suicide_risk,
    _treatment_resistance,
    _older_adult,
)


def evaluate_screening(facts: ScreeningFacts, today: date, protocol: Protocol) -> ScreeningOutcome:
    """Apply every contraindication rule of clinical protocol §1 with the thresholds of
    `protocol.screening`. Findings are ordered absolute, relative, warning, then by code."""
    findings = [finding for rule in RULES for finding in rule(facts, today, protocol.screening)]
    findings.sort(key=lambda f: (_KIND_ORDER[f.kind], f.code.value))
    return ScreeningOutcome(decide(findings), tuple(findings))
