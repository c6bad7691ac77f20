"""Every code of the rules has a place on the staff form and words for patients; consent text is stable."""

from __future__ import annotations

from decimal import Decimal

from clinic.protocol import Protocol
from intake.consent import CONSENT_TEMPLATES, CURRENT_CONSENT_VERSION, consent_sha256
from intake.instruments import Instrument
from intake.questionnaires import QUESTIONNAIRES
from intake.rules import HISTORY_CODES, MEDICATION_CATEGORIES, SUBSTANCE_USE_STATUSES, FindingCode
from intake.vocabulary import (
    FINDING_LABELS,
    FINDING_RULES,
    HISTORY_GROUPS,
    MEDICATION_CATEGORY_LABELS,
    PATIENT_HISTORY_LABELS,
    PATIENT_MEDICATION_CATEGORY_LABELS,
    PATIENT_SUBSTANCE_USE_LABELS,
    SUBSTANCE_USE_LABELS,
    finding_label,
    finding_rule,
)


def test_every_history_code_is_in_exactly_one_group() -> None:
    grouped = [code for _group, codes in HISTORY_GROUPS for code in codes]
    assert sorted(grouped) == sorted(HISTORY_CODES)


def test_every_code_has_patient_words() -> None:
    assert set(PATIENT_HISTORY_LABELS) == HISTORY_CODES
    assert set(MEDICATION_CATEGORY_LABELS) == set(PATIENT_MEDICATION_CATEGORY_LABELS) == MEDICATION_CATEGORIES
    assert set(SUBSTANCE_USE_LABELS) == set(PATIENT_SUBSTANCE_USE_LABELS) == SUBSTANCE_USE_STATUSES


def test_patient_words_for_substance_use_name_no_time_window() -> None:
    """How recent "active" is belongs to the protocol (screening.substance_use_active_days), not to a label."""
    assert not [label for label in PATIENT_SUBSTANCE_USE_LABELS.values() if any(c.isdigit() for c in label)]


def test_screening_form_and_api_share_the_plausible_ranges() -> None:
    from intake.api import ScreeningInputSerializer
    from intake.forms import ScreeningForm
    from intake.services import PLAUSIBLE_RANGES

    api_fields = ScreeningInputSerializer().fields
    for name, (low, high) in PLAUSIBLE_RANGES.items():
        form_field = ScreeningForm.base_fields[name]
        assert (getattr(form_field, "min_value"), getattr(form_field, "max_value")) == (low, high), name  # noqa: B009
        assert (api_fields[name].min_value, api_fields[name].max_value) == (low, high), name


def test_questionnaires_match_the_instruments_item_counts() -> None:
    from clinic.protocol import DEFAULT_PROTOCOL

    assert len(QUESTIONNAIRES[Instrument.PHQ9].items) == DEFAULT_PROTOCOL.instruments.phq9.items
    assert len(QUESTIONNAIRES[Instrument.GAD7].items) == DEFAULT_PROTOCOL.instruments.gad7.items
    assert len(QUESTIONNAIRES[Instrument.CSSRS_SCREEN].items) == 7


def test_consent_hash_is_stable_for_a_version() -> None:
    assert CURRENT_CONSENT_VERSION in CONSENT_TEMPLATES
    # Changing the text of a signed version breaks the stored hashes: make a new version instead.
    assert consent_sha256("v1") == "067633ae0a81100ab700c916110173c91c35343571dc2f176e08f1607d31b595"


def test_every_finding_code_has_a_name_and_a_rule_in_words() -> None:
    assert set(FINDING_LABELS) == set(FINDING_RULES) == set(FindingCode)
    settings = Protocol().screening
    for code in FindingCode:
        rule = finding_rule(code, settings)
        assert rule.startswith("Clinical protocol, section 1: "), code
        assert not {"{", "_", "§"} & set(rule), rule
        assert "_" not in finding_label(code), code


def test_a_finding_rule_carries_the_numbers_of_the_protocol_that_decided() -> None:
    settings = Protocol().screening.model_copy(update={"benzodiazepine_high_dose_above_mg_per_day": Decimal("10")})
    assert finding_rule("benzodiazepine_high_dose", settings) == (
        "Clinical protocol, section 1: benzodiazepines above 10 mg diazepam-equivalent a day"
    )
    assert finding_label("benzodiazepine_high_dose") == "High benzodiazepine dose"


def test_a_code_the_rules_no_longer_know_still_reads_as_words() -> None:
    assert finding_label("retired_finding") == "Retired finding"
    assert finding_rule("retired_finding", Protocol().screening) == "Clinical protocol, section 1"
