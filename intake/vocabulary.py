"""How the screening vocabulary of intake/rules.py is shown: grouped for clinicians, in plain words for patients,
and each finding by its name and its rule as the clinical protocol words it (wherever findings are shown).

Presentation only (no Django import, no rule): the codes and the clinical labels are intake.rules'. A test checks
that every code of the rules has a group and a patient wording, and every finding code its name and its rule, so a
new code cannot be left off a form or shown as a code name.
"""

from __future__ import annotations

from clinic.protocol import Screening as ScreeningSettings
from intake.rules import HISTORY_LABELS, FindingCode

# Staff form: the history checkboxes in groups a nurse reads top to bottom.
HISTORY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Psychiatric",
        (
            "psychosis_current",
            "mania_current",
            "psychosis_past",
            "psychosis_family_history",
            "bipolar_disorder",
            "ptsd",
        ),
    ),
    (
        "Cardiovascular",
        (
            "hypertension_controlled",
            "hypertension_uncontrolled",
            "unstable_angina",
            "heart_failure_decompensated",
            "arrhythmia_uncontrolled",
            "aneurysmal_vascular_disease",
        ),
    ),
    (
        "Brain and nervous system",
        (
            "arteriovenous_malformation",
            "intracerebral_hemorrhage",
            "raised_intracranial_pressure",
            "intracranial_mass",
        ),
    ),
    ("Liver and allergy", ("cirrhosis_decompensated", "ketamine_allergy")),
)

# Portal: the same codes as a patient would say them.
PATIENT_HISTORY_LABELS: dict[str, str] = {
    "psychosis_current": "Right now I hear or see things other people don't, or have beliefs others find very "
    "unusual (psychosis)",
    "mania_current": "Right now I am in a manic or hypomanic episode (unusually high energy, little need for sleep, "
    "racing thoughts)",
    "psychosis_past": "In the past I have had psychosis",
    "psychosis_family_history": "A parent, brother, sister or child of mine has schizophrenia or another psychotic "
    "illness",
    "bipolar_disorder": "I have been told I have bipolar disorder",
    "ptsd": "I have post-traumatic stress disorder (PTSD)",
    "hypertension_controlled": "I have high blood pressure that is under control with treatment",
    "hypertension_uncontrolled": "I have high blood pressure that is not under control",
    "unstable_angina": "I get chest pain or tightness at rest or with little effort (unstable angina)",
    "heart_failure_decompensated": "I have heart failure that is getting worse",
    "arrhythmia_uncontrolled": "I have an irregular heartbeat that is not under control",
    "aneurysmal_vascular_disease": "I have an aneurysm (a bulge in a blood vessel) in my chest, belly, brain or "
    "elsewhere",
    "arteriovenous_malformation": "I have an arteriovenous malformation (AVM)",
    "intracerebral_hemorrhage": "I have had bleeding in the brain",
    "raised_intracranial_pressure": "I have been told I have raised pressure inside my head",
    "intracranial_mass": "I have a tumour or other growth in my brain",
    "cirrhosis_decompensated": "I have advanced liver disease (cirrhosis with complications)",
    "ketamine_allergy": "I am allergic to ketamine or esketamine",
}

MEDICATION_CATEGORY_LABELS: dict[str, str] = {
    "antidepressant": "Antidepressant (other than an MAOI)",
    "mood_stabilizer": "Mood stabiliser (lithium, valproate, carbamazepine)",
    "lamotrigine": "Lamotrigine",
    "antipsychotic": "Antipsychotic",
    "benzodiazepine": "Benzodiazepine",
    "maoi": "MAOI antidepressant",
    "psychostimulant": "Psychostimulant",
    "other": "Other",
}

PATIENT_MEDICATION_CATEGORY_LABELS: dict[str, str] = {
    "antidepressant": "Antidepressant (for example sertraline, fluoxetine, venlafaxine, bupropion)",
    "mood_stabilizer": "Mood stabiliser (lithium, valproate / Depakote, carbamazepine / Tegretol)",
    "lamotrigine": "Lamotrigine (Lamictal)",
    "antipsychotic": "Antipsychotic (for example quetiapine / Seroquel, aripiprazole / Abilify, olanzapine)",
    "benzodiazepine": "Sedative or anti-anxiety pill (for example diazepam / Valium, lorazepam / Ativan, "
    "alprazolam / Xanax, clonazepam / Klonopin)",
    "maoi": "MAOI antidepressant (phenelzine, tranylcypromine, selegiline patch)",
    "psychostimulant": "Stimulant (for example methylphenidate / Ritalin, amphetamine / Adderall)",
    "other": "Something else, or I am not sure",
}

SUBSTANCE_USE_LABELS: dict[str, str] = {
    "none": "No substance use disorder",
    "active": "Active substance use disorder",
    "remission": "Substance use disorder in remission",
}
# No time window in these words: how recent a remission still counts as active is the protocol's
# (screening.substance_use_active_days), decided from the date the patient gives.
PATIENT_SUBSTANCE_USE_LABELS: dict[str, str] = {
    "none": "No, I have not had a problem with alcohol or drugs",
    "active": "Yes, and it is still a problem now",
    "remission": "Yes, but I have stopped (tell us since when)",
}


def history_groups_with_labels() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(group, [(code, clinical label), ...]), ...] for the staff checkboxes."""
    return [(group, [(code, HISTORY_LABELS[code]) for code in codes]) for group, codes in HISTORY_GROUPS]


def history_label(code: str) -> str:
    return HISTORY_LABELS.get(code, code)


# Findings: a short name for lists and checkboxes, and the rule of clinical protocol §1 in words, with the numbers
# of the protocol version that decided the screening ({...} are fields of `protocol.screening`).
FINDING_LABELS: dict[FindingCode, str] = {
    FindingCode.PSYCHOSIS_ACTIVE: "Active psychosis",
    FindingCode.MANIA_ACTIVE: "Current mania or hypomania",
    FindingCode.PREGNANCY: "Pregnant or breastfeeding",
    FindingCode.ANEURYSMAL_VASCULAR_DISEASE: "Aneurysm or arteriovenous malformation",
    FindingCode.INTRACEREBRAL_HEMORRHAGE_HISTORY: "Past bleeding in the brain",
    FindingCode.KETAMINE_HYPERSENSITIVITY: "Allergy to ketamine",
    FindingCode.RAISED_INTRACRANIAL_PRESSURE: "Raised intracranial pressure",
    FindingCode.UNSTABLE_CARDIAC_DISEASE: "Unstable heart disease",
    FindingCode.RECENT_CARDIAC_EVENT: "Recent heart attack",
    FindingCode.RECENT_STROKE: "Recent stroke or TIA",
    FindingCode.SEVERE_HEPATIC_IMPAIRMENT: "Severe liver impairment",
    FindingCode.UNCONTROLLED_HYPERTENSION: "Uncontrolled high blood pressure",
    FindingCode.SUBSTANCE_USE_DISORDER_ACTIVE: "Active substance use disorder",
    FindingCode.BIPOLAR_WITHOUT_MOOD_STABILIZER: "Bipolar disorder without a mood stabiliser",
    FindingCode.PSYCHOSIS_HISTORY: "History of psychosis",
    FindingCode.SUBSTANCE_USE_DISORDER_REMISSION: "Substance use disorder in early remission",
    FindingCode.ELEVATED_BLOOD_PRESSURE: "Raised blood pressure",
    FindingCode.BMI_OVER_35: "High body mass index",
    FindingCode.BENZODIAZEPINE_HIGH_DOSE: "High benzodiazepine dose",
    FindingCode.MAOI_OR_STIMULANT: "MAOI or stimulant",
    FindingCode.HIGH_SUICIDE_RISK: "High suicide risk (C-SSRS)",
    FindingCode.NOT_TREATMENT_RESISTANT: "Not treatment-resistant",
    FindingCode.LAMOTRIGINE: "Lamotrigine",
    FindingCode.BENZODIAZEPINE: "Benzodiazepine",
    FindingCode.PTSD: "PTSD",
    FindingCode.AGE_65_OR_OVER: "Older adult",
}
FINDING_RULES: dict[FindingCode, str] = {
    FindingCode.PSYCHOSIS_ACTIVE: "a current psychotic disorder or psychotic symptoms",
    FindingCode.MANIA_ACTIVE: "a current manic or hypomanic episode",
    FindingCode.PREGNANCY: "pregnancy or breastfeeding",
    FindingCode.ANEURYSMAL_VASCULAR_DISEASE: "an aortic, intracranial or peripheral aneurysm, or an arteriovenous "
    "malformation",
    FindingCode.INTRACEREBRAL_HEMORRHAGE_HISTORY: "any past intracerebral haemorrhage",
    FindingCode.KETAMINE_HYPERSENSITIVITY: "an allergy to ketamine or esketamine",
    FindingCode.RAISED_INTRACRANIAL_PRESSURE: "raised intracranial pressure or an intracranial mass",
    FindingCode.UNSTABLE_CARDIAC_DISEASE: "unstable angina, decompensated heart failure or an uncontrolled arrhythmia",
    FindingCode.RECENT_CARDIAC_EVENT: "a myocardial infarction within {recent_cardiac_event_days} days",
    FindingCode.RECENT_STROKE: "a stroke or TIA within {recent_stroke_days} days",
    FindingCode.SEVERE_HEPATIC_IMPAIRMENT: "decompensated cirrhosis (Child-Pugh C)",
    FindingCode.UNCONTROLLED_HYPERTENSION: "hypertension recorded as uncontrolled, or a screening blood pressure "
    "above {bp_absolute_systolic_above}/{bp_absolute_diastolic_above} mmHg",
    FindingCode.SUBSTANCE_USE_DISORDER_ACTIVE: "a substance use disorder active within the last "
    "{substance_use_active_days} days",
    FindingCode.BIPOLAR_WITHOUT_MOOD_STABILIZER: "bipolar disorder without a current mood stabiliser",
    FindingCode.PSYCHOSIS_HISTORY: "past psychosis, or a parent, sibling or child with a psychotic disorder",
    FindingCode.SUBSTANCE_USE_DISORDER_REMISSION: "a substance use disorder in remission for less than "
    "{substance_use_remission_min_days} days",
    FindingCode.ELEVATED_BLOOD_PRESSURE: "a screening blood pressure above "
    "{bp_relative_systolic_above}/{bp_relative_diastolic_above} mmHg",
    FindingCode.BMI_OVER_35: "a body mass index above {bmi_relative_above}",
    FindingCode.BENZODIAZEPINE_HIGH_DOSE: "benzodiazepines above {benzodiazepine_high_dose_above_mg_per_day} mg "
    "diazepam-equivalent a day",
    FindingCode.MAOI_OR_STIMULANT: "a current MAOI or stimulant, which adds to the rise in blood pressure",
    FindingCode.HIGH_SUICIDE_RISK: "a high C-SSRS screener risk, which needs a same-day safety evaluation before "
    "clearance",
    FindingCode.NOT_TREATMENT_RESISTANT: "fewer than {min_failed_antidepressant_trials} failed adequate "
    "antidepressant trials",
    FindingCode.LAMOTRIGINE: "lamotrigine, which may blunt the effect",
    FindingCode.BENZODIAZEPINE: "a benzodiazepine at or below {benzodiazepine_high_dose_above_mg_per_day} mg "
    "diazepam-equivalent a day, which may reduce the response",
    FindingCode.PTSD: "PTSD, so plan in advance how the patient wants to be calmed if distressed",
    FindingCode.AGE_65_OR_OVER: "age {older_adult_age} or over, so start low",
}
FINDING_SECTION = "Clinical protocol, section 1"


def finding_label(code: str) -> str:
    """The finding's name, e.g. "High benzodiazepine dose" (a code the rules no longer know reads as words)."""
    known = FindingCode._value2member_map_.get(code)
    return FINDING_LABELS[FindingCode(code)] if known is not None else code.replace("_", " ").capitalize()


def finding_rule(code: str, settings: ScreeningSettings) -> str:
    """The rule behind a finding as the protocol section in words, with the numbers of `settings`: "Clinical
    protocol, section 1: benzodiazepines above 8 mg diazepam-equivalent a day"."""
    known = FindingCode._value2member_map_.get(code)
    if known is None:
        return FINDING_SECTION
    return f"{FINDING_SECTION}: {FINDING_RULES[FindingCode(code)].format_map(settings.model_dump())}"
