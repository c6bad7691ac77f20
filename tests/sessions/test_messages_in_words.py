"""Messages in words (issue 8, item 11): what a nurse reads on the sessions pages when a service refuses is a sentence
a nurse would write, naming the field by its label; never a field code ("mg_per_kg:"), a programmer's value report
("got 0"), a file reference ("CLINICAL_RULES.md") or reasons run together without full stops.

The walk drives the services with the bad input a chair sees (the same services the pages call; a refusal reaches
the page as the form error beside the field or as the message at the top) and checks every text of every refusal."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest

from clinic.errors import DomainError, InvalidInput
from clinic.protocol import Protocol
from sessions import services
from sessions.dosing import DoseRequest
from tests.sessions.conftest import PROCEED, Clinic, Clock, advance_to, book, ny

IDENTIFIER = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")  # mg_per_kg, benzodiazepine_high_dose, weight_kg
PROGRAMMER = re.compile(r"\bgot\b|\.md\b|CLINICAL_RULES|^\w+: |\bNone\b|\bTrue\b|\bFalse\b|'[^']*'")
RUN_TOGETHER = re.compile(r"[a-z0-9] [A-Z][a-z]+ [a-z]")  # "... needs none for 8 h Last clear liquids ..."


def texts_of(error: DomainError) -> list[str]:
    texts = [error.message]
    if isinstance(error, InvalidInput):
        texts += [message for messages in error.errors.values() for message in messages]
    return texts


def problems_in(text: str) -> list[str]:
    found = []
    if identifier := IDENTIFIER.search(text):
        found.append(f"a code name ({identifier.group(0)})")
    if programmer := PROGRAMMER.search(text):
        found.append(f"programmer's words ({programmer.group(0)!r})")
    if not text[:1].isupper():
        found.append("does not start with a capital")
    if not text.rstrip().endswith((".", "?", "!", ")")):
        found.append("does not end as a sentence")
    return found


def refusal(action: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        action()
    return raised.value


def test_the_checker_catches_what_the_issue_saw() -> None:
    assert problems_in("mg_per_kg: IV infusion dose 1.2 mg/kg is above the maximum of 1.0 mg/kg")
    assert problems_in("weight_kg: must be positive, got 0")
    assert problems_in("Rule: CLINICAL_RULES.md §1: benzodiazepine_high_dose")
    assert problems_in("must be positive, got 0")
    assert not problems_in("The weight must be more than 0.")


BASE = {"route": "iv", "weight_kg": D("70"), "height_cm": D("170"), "sex_at_birth": "female", "age": 40}
BAD_DOSES = [
    {"route": "oral"},
    {"sex_at_birth": "x"},
    {"age": -1},
    {"route": "sublingual", "mg_per_kg": D("1")},
    {"dose_mg": D("40")},
    {"route": "im", "duration_min": 5},
    {"route": "esketamine", "bag_volume_ml": D("100")},
    {"route": "sublingual", "concentration_mg_per_ml": D("10")},
    {"bag_volume_ml": D("0")},
    {"mg_per_kg": D("0")},
    {"weight_kg": D("0")},
    {"weight_kg": D("NaN")},
    {"mg_per_kg": D("1.2")},
    {"weight_kg": D("29.9")},
    {"duration_min": 19},
    {"route": "esketamine", "dose_mg": D("50")},
    {"route": "sublingual", "dose_mg": D("100.05")},
    {"route": "esketamine", "first_dose": True, "age": None},
]


@pytest.mark.parametrize("changes", BAD_DOSES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_every_dose_refusal_is_a_sentence_naming_the_field(changes: dict[str, Any]) -> None:
    error = refusal(lambda: services.calculate(DoseRequest(**{**BASE, **changes}), Protocol()))
    assert isinstance(error, InvalidInput)
    for text in texts_of(error):
        assert problems_in(text) == [], text
    (field,) = error.errors
    label = services.INPUT_NAMES[field].removeprefix("The ").lower()
    assert all(label in m.lower() for m in error.errors[field]), error.errors  # named by its label


def _refusals_at_the_chair(clinic: Clinic, clock: Clock) -> list[DomainError]:
    nurse = clinic.nurse
    found: list[DomainError] = []
    session = book(clinic, ny(2026, 5, 4, 9))
    found.append(refusal(lambda: book(clinic, ny(2026, 5, 4, 9, 30))))  # the chair and the patient are busy
    found.append(
        refusal(
            lambda: services.book_course(
                by=clinic.front_desk, patient=clinic.patient, template="no_such_template",
                start_date=dt.date(2026, 6, 1), weekdays=[0, 3], local_time=dt.time(9), chair=clinic.chair,
            )
        )
    )  # fmt: skip
    found.append(
        refusal(
            lambda: services.check_in(
                by=nurse, session=session, fasting_solids_hours=D("-1"), fasting_clear_liquids_hours=D("3"),
                escort_confirmed=True,
            )
        )
    )  # fmt: skip
    services.check_in(
        by=nurse, session=session, fasting_solids_hours=D("2"), fasting_clear_liquids_hours=D("1"),
        escort_confirmed=False,
    )  # fmt: skip
    found.append(refusal(lambda: services.record_vitals(by=nurse, session=session, **{**PROCEED, "heart_rate": 400})))
    found.append(
        refusal(
            lambda: services.record_adverse_event(
                by=nurse, session=session, kind="nausea", severity="awful", action_taken="Watched."
            )
        )
    )
    services.record_vitals(by=nurse, session=session, **PROCEED)
    # Fasting too short (two reasons: solids and clear liquids) and no escort: the start is refused.
    found.append(refusal(lambda: services.start_dosing(by=nurse, session=session, lot_number="LOT-1")))
    found.append(
        refusal(
            lambda: services.start_dosing(
                by=nurse, session=session, lot_number="LOT-1", mg_per_kg=D("0"), review_reason="Reviewed the fasting.",
                escort_confirmed=True,
            )
        )
    )  # fmt: skip
    return found


def test_every_refusal_at_the_chair_is_in_words(clinic: Clinic, clock: Clock) -> None:
    refusals = _refusals_at_the_chair(clinic, clock)
    assert len(refusals) == 7
    for error in refusals:
        for text in texts_of(error):
            assert problems_in(text) == [], text
            assert not RUN_TOGETHER.search(text), text


def test_the_fasting_reasons_are_sentences_one_after_the_other(clinic: Clinic, clock: Clock) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    services.check_in(
        by=clinic.nurse, session=session, fasting_solids_hours=D("2"), fasting_clear_liquids_hours=D("1"),
        escort_confirmed=True,
    )  # fmt: skip
    services.record_vitals(by=clinic.nurse, session=session, **PROCEED)
    error = refusal(lambda: services.start_dosing(by=clinic.nurse, session=session, lot_number="LOT-1"))
    assert "6 hours. Last clear liquids" in error.message, error.message  # two reasons, each its own sentence


def test_discharge_refusals_are_in_words(clinic: Clinic, clock: Clock) -> None:
    session = advance_to(clinic, book(clinic, ny(2026, 5, 4, 9)), "monitoring", clock)
    error = refusal(
        lambda: services.discharge_session(
            by=clinic.nurse, session=session, aldrete=[2, 2, 2, 1, 1], escort_confirmed=False
        )
    )
    for text in texts_of(error):
        assert problems_in(text) == [], text


def test_course_and_reading_refusals_are_in_words(clinic: Clinic, clock: Clock) -> None:
    def course(weekdays: list[int]) -> DomainError:
        return refusal(
            lambda: services.book_course(
                by=clinic.front_desk, patient=clinic.patient, template="standard_induction",
                start_date=dt.date(2026, 6, 1), weekdays=weekdays, local_time=dt.time(9), chair=clinic.chair,
            )
        )  # fmt: skip

    session = book(clinic, ny(2026, 5, 4, 9))
    services.check_in(
        by=clinic.nurse, session=session, fasting_solids_hours=D("8"), fasting_clear_liquids_hours=D("3"),
        escort_confirmed=True,
    )  # fmt: skip
    wrong_phase = refusal(lambda: services.record_vitals(by=clinic.nurse, session=session, phase="during", **PROCEED))
    refusals = [course([3]), course([0, 1]), wrong_phase]  # one weekday for twice a week; Monday + Tuesday: 24 h
    for error in refusals:
        for text in texts_of(error):
            assert problems_in(text) == [], text
    assert "this reading is before dosing." in texts_of(wrong_phase)[-1]
