"""How the screening vocabulary of intake/rules.py is shown: grouped for clinicians, in plain words for patients.

Presentation only (no Django import, no rule): the codes and the clinical labels are intake.rules'. A test checks
that every code of the rules has a group and a patient wording, so a new code cannot be left off a form.
"""

from __future__ import annotations

from intake.rules import HISTORY_LABELS

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
