"""Relapse-prevention plans: each change a new revision, kept with its author; who may read and write them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from clinic.errors import InvalidInput, NotAllowed
from clinic.models import AuditEvent
from integration import services
from integration.models import RelapsePlanRevision
from tests.factories import patient_user
from tests.integration.conftest import Integ

PLAN: dict[str, Any] = {
    "warning_signs": ["Sleeping past noon", "Skipping meals"],
    "coping_strategies": ["Walk the dog", "Breathing exercise"],
    "distractions": ["Call a fictional friend"],
    "people_to_ask": ["Sister (fictional), 555-0100"],
    "professionals": ["Care team", "988 Suicide & Crisis Lifeline"],
    "safe_environment": ["Medication kept by partner"],
    "maintenance_criteria": "PHQ-9 at least 5 points above the lowest score after the course.",
}


def test_each_revision_is_kept_with_its_author_and_time(integ: Integ) -> None:
    first = services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data=PLAN)
    assert first.number == 1
    assert first.review_date == dt.date(2026, 8, 3)  # 90 days from 5 May at the site
    integ.clock.advance(days=1)
    second = services.revise_relapse_plan(
        by=integ.prescriber, patient=integ.patient, data={**PLAN, "distractions": [" Library ", ""]}
    )
    assert second.number == 2
    assert second.distractions == ["Library"]
    assert second.author == integ.prescriber
    revisions = services.relapse_plan_revisions(integ.therapist, integ.patient)
    assert [(r.number, r.author_id) for r in revisions] == [(2, integ.prescriber.pk), (1, integ.therapist.pk)]
    assert revisions[1].distractions == ["Call a fictional friend"]
    event = AuditEvent.objects.filter(action="integration.relapseplan.revise").order_by("occurred_at").last()
    assert event is not None
    assert event.details == {"revision": 2, "changed": ["distractions", "review_date"]}
    with pytest.raises(ValidationError):
        first.save()


def test_the_patient_reads_their_own_plan(integ: Integ) -> None:
    services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data=PLAN)
    user = patient_user(integ.patient)
    current = services.current_relapse_plan(user, integ.patient)
    assert current is not None
    assert current.warning_signs == PLAN["warning_signs"]
    assert AuditEvent.objects.filter(action="integration.relapseplan.view", actor=user).exists()
    with pytest.raises(NotAllowed):
        services.revise_relapse_plan(by=user, patient=integ.patient, data=PLAN)


def test_no_plan_yet_reads_as_none(integ: Integ) -> None:
    assert services.current_relapse_plan(integ.nurse, integ.patient) is None


@pytest.mark.parametrize("who", ["other_therapist", "front_desk", "admin", "other_patient"])
def test_others_do_not_see_the_plan(integ: Integ, who: str) -> None:
    users = {
        "other_therapist": integ.other_therapist,
        "front_desk": integ.front_desk,
        "admin": integ.admin,
        "other_patient": patient_user(integ.clinic.cleared_patient(given_name="Other")),
    }
    with pytest.raises(Http404):
        services.current_relapse_plan(users[who], integ.patient)
    with pytest.raises(Http404):
        services.revise_relapse_plan(by=users[who], patient=integ.patient, data=PLAN)


def test_a_nurse_reads_but_does_not_revise(integ: Integ) -> None:
    with pytest.raises(NotAllowed):
        services.revise_relapse_plan(by=integ.nurse, patient=integ.patient, data=PLAN)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"warning_signs": "one long text"}, {"warning_signs": ["Give this section as a list of short entries."]}),
        ({"coping_strategies": ["ok", 3]}, {"coping_strategies": ["Entry 2 must be text."]}),
        ({"distractions": ["x" * 501]}, {"distractions": ["Entry 1 is longer than 500 characters; shorten it."]}),
        ({"people_to_ask": ["p"] * 21}, {"people_to_ask": ["A section holds at most 20 entries."]}),
        ({"review_date": "next month"}, {"review_date": ["Give the review date as a date, e.g. 2026-09-30."]}),
        ({"review_date": 5}, {"review_date": ["Give the review date as a date, e.g. 2026-09-30."]}),
        ({"review_date": "2026-05-01"}, {"review_date": ["The review date cannot be in the past."]}),
        (
            {"maintenance_criteria": ["a list"]},
            {"maintenance_criteria": ["Write the maintenance criteria as text of at most 20000 letters."]},
        ),
        ({"hobbies": ["chess"]}, {"hobbies": ["This is not a part of the plan."]}),
    ],
)
def test_bad_plans_are_refused_field_by_field(integ: Integ, changes: dict[str, Any], expected: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data={**PLAN, **changes})
    assert raised.value.errors == expected
    assert not RelapsePlanRevision.objects.exists()


def test_a_chosen_review_date_is_kept(integ: Integ) -> None:
    revision = services.revise_relapse_plan(
        by=integ.therapist, patient=integ.patient, data={"review_date": "2026-06-30", "warning_signs": None}
    )
    assert revision.review_date == dt.date(2026, 6, 30)
    assert revision.warning_signs == []
