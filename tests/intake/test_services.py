"""Intake services: scoring and safety alerts, screening decisions, override rules, consent, clearance, expiry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from clinic.domain import age_on
from clinic.errors import Conflict, InvalidInput, NotAllowed
from clinic.models import AuditEvent, Notification, NotificationKind, Role, Site
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import active_protocol_version, publish_protocol_version
from intake import services
from intake.consent import CURRENT_CONSENT_VERSION, consent_sha256, consent_text
from intake.models import Assessment, SafetyTask, SafetyTaskStatus, Screening, ScreeningStatus
from tests.conftest import World
from tests.factories import PatientFactory, staff
from tests.intake.factories import (
    CSSRS_NONE,
    NEW_YORK,
    PHQ9_MODERATE,
    clear_for_dosing,
    consent,
    eligible_facts,
    medical_clearance,
    noon,
    override,
    screen,
)


def publish(site: Site, **screening_changes: Any) -> None:
    """A new protocol version (number 2 on a fresh site) with these screening settings."""
    active_protocol_version(site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["screening"].update(screening_changes)
    publish_protocol_version(by=None, site=site, settings=settings, change_summary="test change")


def codes(screening: Screening) -> set[str]:
    return {f["code"] for f in screening.findings}


# --- Assessments and safety -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assessment_is_scored_with_the_protocol_and_stores_its_version(world: World) -> None:
    assessment = services.record_assessment(
        by=world.nurse1, patient=world.patient_a, instrument="phq9", answers=PHQ9_MODERATE
    )
    assert (assessment.total, assessment.severity, assessment.flags) == (11, "moderate", [])
    assert assessment.protocol_version == active_protocol_version(world.site1)
    assert assessment.source == "clinic"
    assert assessment.entered_by == world.nurse1
    assert not SafetyTask.objects.exists()
    event = AuditEvent.objects.get(action="intake.assessment.create")
    assert event.patient_id == world.patient_a.pk
    assert event.details["total"] == 11


@pytest.mark.django_db
def test_phq9_item_9_above_zero_alerts_the_care_team_and_opens_a_safety_task(world: World) -> None:
    answers = [0, 0, 0, 0, 0, 0, 0, 0, 1]
    assessment = services.record_assessment(
        by=world.patient_a_user, patient=world.patient_a, instrument="phq9", answers=answers
    )
    assert assessment.flags == ["suicidal_ideation"]
    assert assessment.source == "portal"
    task = SafetyTask.objects.get()
    assert (task.assessment, task.status) == (assessment, SafetyTaskStatus.OPEN)
    notes = Notification.objects.filter(patient=world.patient_a)
    assert {n.recipient for n in notes} == {world.therapist1}  # the care team (patient A has one member)
    assert all(n.kind == NotificationKind.SAFETY_ALERT for n in notes)
    assert notes[0].dedupe_key == f"intake.assessment.{assessment.pk}.safety"
    assert notes[0].link == f"/staff/patients/{world.patient_a.pk}/intake/"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"intake.assessment.create", "intake.safetytask.create", "clinic.notification.create"} <= actions


@pytest.mark.django_db
def test_without_a_care_team_the_site_prescribers_and_nurses_are_alerted(world: World) -> None:
    services.record_assessment(
        by=world.nurse2, patient=world.patient_b, instrument="phq9", answers=[0, 0, 0, 0, 0, 0, 0, 0, 3]
    )
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"nurse2"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "task"),
    [("q1", False), ("q2", False), ("q3", True), ("q6_lifetime", True), ("q4", True), ("q6_past_3_months", True)],
)
def test_cssrs_moderate_or_high_opens_a_safety_task(world: World, answer: str, task: bool) -> None:
    services.record_assessment(
        by=world.nurse1, patient=world.patient_a, instrument="cssrs_screen", answers={**CSSRS_NONE, answer: True}
    )
    assert SafetyTask.objects.exists() is task
    assert Notification.objects.exists() is task


@pytest.mark.django_db
def test_the_protocol_decides_what_counts_as_suicidal_ideation(world: World) -> None:
    active_protocol_version(world.site1)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["instruments"]["phq9_suicidal_ideation_item_above"] = 1
    publish_protocol_version(by=None, site=world.site1, settings=settings, change_summary="test")
    assessment = services.record_assessment(
        by=world.nurse1, patient=world.patient_a, instrument="phq9", answers=[0, 0, 0, 0, 0, 0, 0, 0, 1]
    )
    assert assessment.flags == []
    assert assessment.protocol_version.number == 2


@pytest.mark.django_db
def test_the_safety_task_names_the_protocols_item_9_threshold(world: World) -> None:
    active_protocol_version(world.site1)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["instruments"]["phq9_suicidal_ideation_item_above"] = 1
    publish_protocol_version(by=None, site=world.site1, settings=settings, change_summary="test")
    assessment = services.record_assessment(
        by=world.nurse1, patient=world.patient_a, instrument="phq9", answers=[0, 0, 0, 0, 0, 0, 0, 0, 2]
    )
    assert services.raises_safety_alert(assessment)
    assert SafetyTask.objects.get().reason.endswith("item 9 (thoughts of death or self-harm) answered above 1")


@pytest.mark.django_db
@pytest.mark.parametrize(("answers", "alert"), [([0] * 9, False), ([3] * 8 + [0], False), ([0] * 8 + [1], True)])
def test_raises_safety_alert_follows_the_flags_not_the_total(world: World, answers: list[int], alert: bool) -> None:
    assessment = services.record_assessment(
        by=world.nurse1, patient=world.patient_a, instrument="phq9", answers=answers
    )
    assert services.raises_safety_alert(assessment) is alert
    assert SafetyTask.objects.filter(assessment=assessment).exists() is alert


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("instrument", "answers", "field"),
    [
        ("phq9", [0] * 8, "answers"),
        ("phq9", [0, 0, 0, 4, 0, 0, 0, 0, 0], "answers[3]"),
        ("gad7", [0, 0, 0, 0, 0, 0, -1], "answers[6]"),
        ("cssrs_screen", {**CSSRS_NONE, "q4": "maybe"}, "answers.q4"),
        ("cssrs_screen", [0, 1], "answers"),
        ("nonsense", [0], "instrument"),
    ],
)
def test_bad_answers_name_the_item(world: World, instrument: str, answers: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.record_assessment(by=world.nurse1, patient=world.patient_a, instrument=instrument, answers=answers)
    assert list(caught.value.errors) == [field]
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_front_desk_and_other_patients_cannot_enter_assessments(world: World) -> None:
    with pytest.raises(NotAllowed):
        services.record_assessment(by=world.front_desk1, patient=world.patient_a, instrument="phq9", answers=[0] * 9)
    with pytest.raises(NotAllowed):
        services.record_assessment(by=world.patient_b_user, patient=world.patient_a, instrument="phq9", answers=[0] * 9)


@pytest.mark.django_db
def test_an_assessment_cannot_be_dated_in_the_future(world: World) -> None:
    with pytest.raises(InvalidInput, match="future"):
        services.record_assessment(
            by=world.nurse1,
            patient=world.patient_a,
            instrument="phq9",
            answers=[0] * 9,
            administered_at=timezone.now() + dt.timedelta(hours=1),
        )


@pytest.mark.django_db
def test_resolving_a_safety_task_needs_a_note_and_is_audited(world: World) -> None:
    services.record_assessment(by=world.nurse1, patient=world.patient_a, instrument="phq9", answers=[0] * 8 + [2])
    task = SafetyTask.objects.get()
    with pytest.raises(NotAllowed):
        services.resolve_safety_task(task, by=world.front_desk1, note="x")
    with pytest.raises(InvalidInput):
        services.resolve_safety_task(task, by=world.nurse1, note="  ")
    services.resolve_safety_task(task, by=world.nurse1, note="Called the patient; safety plan reviewed.")
    task.refresh_from_db()
    assert (task.status, task.resolved_by) == (SafetyTaskStatus.RESOLVED, world.nurse1)
    event = AuditEvent.objects.get(action="intake.safetytask.status")
    assert event.details == {"from": "open", "to": "resolved", "reason": "Called the patient; safety plan reviewed."}
    with pytest.raises(Conflict):
        services.resolve_safety_task(task, by=world.nurse1, note="again")


# --- Screening --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_eligible_screening_is_decided_with_the_active_protocol_and_audited(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1)
    assert screening.decision == "eligible"
    assert screening.findings == []
    assert screening.status == ScreeningStatus.DECIDED
    assert screening.protocol_version == active_protocol_version(world.site1)
    assert screening.protocol_version.is_locked
    assert screening.age_at_screening == age_on(world.patient_a.date_of_birth, timezone.localdate())
    assert screening.cssrs_risk == "none"
    assert screening.expires_at == screening.screened_at + dt.timedelta(days=180)
    actions = list(
        AuditEvent.objects.filter(object_id=str(screening.pk), object_type="intake.screening")
        .order_by("occurred_at")
        .values_list("action", flat=True)
    )
    assert actions == ["intake.screening.create", "intake.screening.status", "intake.screening.decide"]
    status = AuditEvent.objects.get(action="intake.screening.status")
    assert (status.details["from"], status.details["to"]) == ("draft", "decided")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("facts", "decision", "code"),
    [
        ({"systolic": 141}, "override_required", "elevated_blood_pressure"),
        ({"systolic": 181}, "ineligible", "uncontrolled_hypertension"),
        ({"history": ["psychosis_current"]}, "ineligible", "psychosis_active"),
        ({"pregnant_or_breastfeeding": True}, "ineligible", "pregnancy"),
        ({"failed_antidepressant_trials": 1}, "override_required", "not_treatment_resistant"),
        ({"history": ["ptsd"]}, "eligible", "ptsd"),
        (
            {
                "medications": [
                    {
                        "name": "Lorazepam",
                        "category": "benzodiazepine",
                        "diazepam_equivalent_mg_per_day": Decimal("8.1"),
                    }
                ]
            },
            "override_required",
            "benzodiazepine_high_dose",
        ),
        (
            {
                "substance_use_disorder": {
                    "status": "remission",
                    "remission_since": timezone.localdate() - dt.timedelta(days=30),
                }
            },
            "ineligible",
            "substance_use_disorder_active",
        ),
    ],
)
def test_screening_decisions_come_from_the_engine(world: World, facts: dict, decision: str, code: str) -> None:
    screening = screen(world.patient_a, by=world.nurse1, **facts)
    assert screening.decision == decision
    assert code in codes(screening)


@pytest.mark.django_db
def test_screening_uses_the_latest_cssrs_within_the_lookback(world: World) -> None:
    services.record_assessment(
        by=world.nurse1, patient=world.patient_a, instrument="cssrs_screen",
        answers={**CSSRS_NONE, "q5": True}, administered_at=noon(31),
    )  # fmt: skip
    outside = screen(world.patient_a, by=world.nurse1, cssrs=False, at=noon(0))
    assert outside.cssrs_assessment is None
    assert "high_suicide_risk" not in codes(outside)
    services.record_assessment(
        by=world.nurse1, patient=world.patient_a, instrument="cssrs_screen",
        answers={**CSSRS_NONE, "q5": True}, administered_at=noon(30),
    )  # fmt: skip
    inside = screen(world.patient_a, by=world.nurse1, cssrs=False, at=noon(0))
    assert inside.cssrs_risk == "high"
    assert "high_suicide_risk" in codes(inside)
    assert inside.decision == "override_required"


@pytest.mark.django_db
def test_age_comes_from_the_date_of_birth(world: World) -> None:
    today = timezone.now().astimezone(NEW_YORK).date()
    old = PatientFactory(site=world.site1, date_of_birth=today.replace(year=today.year - 65) - dt.timedelta(days=1))
    screening = screen(old, by=world.nurse1)
    assert screening.age_at_screening == 65
    assert "age_65_or_over" in codes(screening)


@pytest.mark.django_db
def test_screening_updates_the_patients_height_and_weight(world: World) -> None:
    screen(world.patient_a, by=world.nurse1, height_cm=Decimal("180.0"), weight_kg=Decimal("90.5"))
    world.patient_a.refresh_from_db()
    assert (world.patient_a.height_cm, world.patient_a.weight_kg) == (Decimal("180.0"), Decimal("90.5"))
    assert AuditEvent.objects.filter(action="clinic.patient.update", patient=world.patient_a).exists()


@pytest.mark.django_db
def test_unknown_vocabulary_is_refused_listing_every_code(world: World) -> None:
    facts = eligible_facts(
        history=["ptsd", "heart_attack", "psychosis_curent"],
        medications=[{"name": "X", "category": "opioid"}, {"name": "Y", "category": "other"}],
    )
    with pytest.raises(InvalidInput) as caught:
        services.screen_patient(by=world.nurse1, patient=world.patient_a, facts=facts)
    assert caught.value.errors == {
        "history": ["Unknown history code 'heart_attack'.", "Unknown history code 'psychosis_curent'."],
        "medications": ["Unknown medication category 'opioid'."],
    }
    assert not Screening.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"myocardial_infarction_date": timezone.localdate() + dt.timedelta(days=2)}, "myocardial_infarction_date"),
        ({"substance_use_disorder": {"status": "none", "remission_since": dt.date(2020, 1, 1)}},
         "substance_use_disorder.remission_since"),
        ({"medications": [{"name": " ", "category": "other"}]}, "medications[0].name"),
        ({"height_cm": Decimal("20")}, "height_cm"),
        ({"bogus": 1}, "bogus"),
    ],
)  # fmt: skip
def test_bad_facts_name_the_field(world: World, facts: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.screen_patient(by=world.nurse1, patient=world.patient_a, facts=eligible_facts(**facts))
    assert field in caught.value.errors
    assert not Screening.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["therapist1", "front_desk1", "admin1", "patient_a"])
def test_only_nurses_and_prescribers_screen(world: World, who: str) -> None:
    with pytest.raises(NotAllowed):
        services.screen_patient(by=world.users()[who], patient=world.patient_a, facts=eligible_facts())


# --- Override ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prescriber_overrides_a_relative_finding_with_a_reason(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    assert not services.screening_cleared(screening, timezone.now())
    services.override_screening(
        screening,
        world.prescriber1,
        "  BP 150/80 rechecked at 138/82 after rest.  ",
        addressed=["elevated_blood_pressure"],
    )
    screening.refresh_from_db()
    assert screening.status == ScreeningStatus.OVERRIDDEN
    assert screening.override.prescriber == world.prescriber1
    assert screening.override.reason == "BP 150/80 rechecked at 138/82 after rest."
    assert services.screening_cleared(screening, timezone.now())
    event = AuditEvent.objects.get(action="intake.screening.override")
    assert event.actor == world.prescriber1
    assert event.details["reason"] == "BP 150/80 rechecked at 138/82 after rest."
    assert event.details["findings"] == ["elevated_blood_pressure"]
    transition = AuditEvent.objects.filter(action="intake.screening.status").latest("occurred_at")
    assert (transition.details["from"], transition.details["to"]) == ("decided", "overridden")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nurse1", "therapist1", "admin1", "front_desk1"])
def test_only_a_prescriber_may_override(world: World, who: str) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    with pytest.raises(NotAllowed):
        services.override_screening(screening, world.users()[who], "reason")
    assert not hasattr(Screening.objects.get(), "override")


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "\n"])
def test_override_needs_a_reason(world: World, reason: str) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150)
    with pytest.raises(InvalidInput) as caught:
        services.override_screening(screening, world.prescriber1, reason)
    assert "reason" in caught.value.errors
    assert Screening.objects.get().status == ScreeningStatus.DECIDED


@pytest.mark.django_db
def test_refuses_override_of_absolute_finding(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, systolic=150, history=["ketamine_allergy"])
    with pytest.raises(Conflict) as caught:
        services.override_screening(screening, world.prescriber1, "I accept the risk")
    assert caught.value.code == "absolute_finding"
    assert caught.value.details["findings"] == ["ketamine_hypersensitivity"]
    assert Screening.objects.get().status == ScreeningStatus.DECIDED


@pytest.mark.django_db
def test_override_refuses_eligible_twice_expired_and_superseded(world: World) -> None:
    eligible = screen(world.patient_a, by=world.nurse1, at=noon(5))
    with pytest.raises(Conflict, match="needs no override"):
        services.override_screening(eligible, world.prescriber1, "why")
    old = screen(world.patient_b, by=world.nurse2, systolic=150, at=noon(181))
    prescriber2 = staff(Role.PRESCRIBER, world.site2)
    with pytest.raises(Conflict) as caught:
        services.override_screening(old, prescriber2, "why")
    assert caught.value.code == "screening_expired"
    relative = screen(world.patient_a, by=world.nurse1, systolic=150, at=noon(3))
    latest = screen(world.patient_a, by=world.nurse1, systolic=150)
    with pytest.raises(Conflict) as caught:
        services.override_screening(relative, world.prescriber1, "why")
    assert caught.value.code == "superseded"
    override(latest, world.prescriber1)
    with pytest.raises(Conflict) as caught:
        override(latest, world.prescriber1)
    assert caught.value.code == "already_overridden"


@pytest.mark.django_db
def test_can_be_overridden_answers_as_the_service_would(world: World) -> None:
    eligible = screen(world.patient_b, by=world.nurse2)
    older = screen(world.patient_a, by=world.nurse1, systolic=150, at=noon(3))
    assert services.can_be_overridden(older, timezone.now())
    latest = screen(world.patient_a, by=world.nurse1, systolic=150)
    refusals = {s.pk: services.override_refusal(s, timezone.now()) for s in (eligible, older, latest)}
    assert [getattr(refusals[s.pk], "code", None) for s in (eligible, older)] == ["override_not_required", "superseded"]
    assert refusals[latest.pk] is None
    override(latest, world.prescriber1)
    latest.refresh_from_db()
    assert not services.can_be_overridden(latest, timezone.now())


@pytest.mark.django_db
@pytest.mark.parametrize("diastolic", [120, 130])
def test_screening_refuses_diastolic_at_or_above_systolic(world: World, diastolic: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.screen_patient(
            by=world.nurse1, patient=world.patient_a, facts=eligible_facts(systolic=120, diastolic=diastolic)
        )
    assert caught.value.errors == {"diastolic": ["Diastolic must be below systolic."]}
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_status_transitions_are_validated(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1)
    with pytest.raises(Conflict) as caught:
        screening.set_status(ScreeningStatus.DRAFT, by=world.nurse1)
    assert caught.value.code == "invalid_transition"
    screening.set_status(ScreeningStatus.EXPIRED, by=None)
    with pytest.raises(Conflict):
        screening.set_status(ScreeningStatus.OVERRIDDEN, by=world.prescriber1)


# --- Consent and medical clearance ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_portal_consent_stores_version_hash_and_name(world: World) -> None:
    signed = services.record_consent(
        by=world.patient_a_user, patient=world.patient_a, document_version="v1", signed_name="  alpha  TESTPERSON "
    )
    assert signed.method == "portal"
    assert signed.witnessed_by is None
    assert signed.signed_name == "alpha TESTPERSON"
    assert signed.text_sha256 == consent_sha256(CURRENT_CONSENT_VERSION)
    assert len(signed.text_sha256) == 64
    assert "ketamine" in consent_text(CURRENT_CONSENT_VERSION).lower()
    event = AuditEvent.objects.get(action="intake.consent.create")
    assert event.details["text_sha256"] == signed.text_sha256


@pytest.mark.django_db
def test_witnessed_consent_records_the_witness(world: World) -> None:
    signed = consent(world.patient_a, by=world.nurse1)
    assert (signed.method, signed.witnessed_by, signed.recorded_by) == ("witnessed", world.nurse1, world.nurse1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("version", "name", "field"),
    [
        ("v0", "Alpha Testperson", "document_version"),
        ("v1", "", "signed_name"),
        ("v1", "Bravo Testperson", "signed_name"),
    ],
)
def test_consent_refuses_unknown_versions_and_wrong_names(world: World, version: str, name: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.record_consent(by=world.nurse1, patient=world.patient_a, document_version=version, signed_name=name)
    assert field in caught.value.errors


@pytest.mark.django_db
def test_consent_refuses_front_desk_and_other_patients(world: World) -> None:
    for who in (world.front_desk1, world.admin1, world.patient_b_user):
        with pytest.raises(NotAllowed):
            services.record_consent(
                by=who, patient=world.patient_a, document_version="v1", signed_name="Alpha Testperson"
            )


@pytest.mark.django_db
def test_medical_clearance_is_for_prescribers_with_a_note(world: World) -> None:
    with pytest.raises(NotAllowed):
        services.record_medical_clearance(by=world.nurse1, patient=world.patient_a, note="fine")
    with pytest.raises(InvalidInput):
        services.record_medical_clearance(by=world.prescriber1, patient=world.patient_a, note=" ")
    clearance = services.record_medical_clearance(by=world.prescriber1, patient=world.patient_a, note="ECG normal.")
    assert clearance.prescriber == world.prescriber1
    assert AuditEvent.objects.filter(action="intake.medicalclearance.create", actor=world.prescriber1).exists()


# --- Cleared for dosing -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cleared_when_screening_consent_and_clearance_are_in_place(world: World) -> None:
    screening = clear_for_dosing(world.patient_a, nurse=world.nurse1, prescriber=world.prescriber1)
    clearance = services.is_cleared_for_dosing(world.patient_a, timezone.now())
    assert clearance == services.Clearance(True, (), screening.pk, ())


@pytest.mark.django_db
def test_not_cleared_without_anything_says_every_reason(world: World) -> None:
    clearance = services.is_cleared_for_dosing(world.patient_a, timezone.now())
    assert not clearance.cleared
    assert clearance.screening_id is None
    assert clearance.reasons == (
        "No intake screening has been recorded.",
        "No signed consent (document v1).",
        "No medical clearance by a prescriber in the last 180 days.",
    )


@pytest.mark.django_db
def test_ineligible_screening_blocks_with_its_absolute_findings(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, history=["mania_current"])
    consent(world.patient_a, by=world.nurse1)
    medical_clearance(world.patient_a, by=world.prescriber1)
    clearance = services.is_cleared_for_dosing(world.patient_a, timezone.now())
    assert not clearance.cleared
    assert clearance.screening_id == screening.pk
    assert len(clearance.reasons) == 1
    assert "is ineligible" in clearance.reasons[0]
    assert "manic" in clearance.reasons[0]


@pytest.mark.django_db
def test_override_required_blocks_until_given(world: World) -> None:
    screening = screen(world.patient_a, by=world.nurse1, failed_antidepressant_trials=0)
    consent(world.patient_a, by=world.nurse1)
    medical_clearance(world.patient_a, by=world.prescriber1)
    before = services.is_cleared_for_dosing(world.patient_a, timezone.now())
    assert not before.cleared
    assert "needs a prescriber's override" in before.reasons[0]
    override(screening, world.prescriber1, "Two trials abroad, records pending.")
    assert services.is_cleared_for_dosing(world.patient_a, timezone.now()).cleared


@pytest.mark.django_db
def test_a_newer_ineligible_screening_outweighs_an_older_eligible_one(world: World) -> None:
    clear_for_dosing(world.patient_a, nurse=world.nurse1, prescriber=world.prescriber1, at=noon(10))
    newer = screen(world.patient_a, by=world.nurse1, pregnant_or_breastfeeding=True, at=noon(1))
    clearance = services.is_cleared_for_dosing(world.patient_a, timezone.now())
    assert (clearance.cleared, clearance.screening_id) == (False, newer.pk)
    assert services.is_cleared_for_dosing(world.patient_a, noon(5)).cleared  # as it stood before


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "cleared"), [(180, True), (181, False)])
def test_screening_expires_after_the_protocol_validity(world: World, days: int, cleared: bool) -> None:
    clear_for_dosing(world.patient_a, nurse=world.nurse1, prescriber=world.prescriber1, at=noon(days))
    medical_clearance(world.patient_a, by=world.prescriber1, at=noon(1))  # recent: only the screening's age counts
    clearance = services.is_cleared_for_dosing(world.patient_a, noon(0))
    assert clearance.cleared is cleared
    if not cleared:
        assert clearance.reasons == (
            f"The screening of {noon(days):%a, %b} {noon(days).day}, {noon(days).year} is older than 180 days and "
            "must be renewed.",
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "cleared"), [(120, True), (121, False)])
def test_a_shorter_validity_in_a_new_protocol_version_moves_the_expiry(world: World, days: int, cleared: bool) -> None:
    clear_for_dosing(world.patient_a, nurse=world.nurse1, prescriber=world.prescriber1, at=noon(days))
    medical_clearance(world.patient_a, by=world.prescriber1, at=noon(1))
    assert services.is_cleared_for_dosing(world.patient_a, noon(0)).cleared
    publish(world.site1, validity_days=120)
    clearance = services.is_cleared_for_dosing(world.patient_a, noon(0))
    assert clearance.cleared is cleared
    assert cleared or "older than 120 days" in clearance.reasons[0]


@pytest.mark.django_db
def test_a_screening_decided_under_a_shorter_validity_keeps_it(world: World) -> None:
    publish(world.site1, validity_days=90)
    screening = clear_for_dosing(world.patient_a, nurse=world.nurse1, prescriber=world.prescriber1, at=noon(100))
    assert screening.protocol_version.number == 2
    assert screening.expires_at == noon(100) + dt.timedelta(days=90)
    publish(world.site1, validity_days=180)
    medical_clearance(world.patient_a, by=world.prescriber1, at=noon(1))
    assert not services.is_cleared_for_dosing(world.patient_a, noon(0)).cleared


@pytest.mark.django_db
def test_every_screening_threshold_is_the_protocols(world: World) -> None:
    assert screen(world.patient_a, by=world.nurse1, systolic=150).decision == "override_required"
    publish(world.site1, bp_relative_systolic_above=150, min_failed_antidepressant_trials=3)
    screening = screen(world.patient_a, by=world.nurse1, systolic=150, failed_antidepressant_trials=3)
    assert screening.decision == "eligible"
    assert screening.protocol_version.number == 2


@pytest.mark.django_db
def test_consent_and_clearance_must_exist_at_the_time_asked(world: World) -> None:
    screen(world.patient_a, by=world.nurse1, at=noon(5))
    consent(world.patient_a, by=world.nurse1, at=noon(2))
    medical_clearance(world.patient_a, by=world.prescriber1, at=noon(2))
    assert services.is_cleared_for_dosing(world.patient_a, noon(1)).cleared
    early = services.is_cleared_for_dosing(world.patient_a, noon(3))
    assert early.reasons == (
        "No signed consent (document v1).",
        "No medical clearance by a prescriber in the last 180 days.",
    )


@pytest.mark.django_db
def test_an_old_medical_clearance_must_be_renewed(world: World) -> None:
    screen(world.patient_a, by=world.nurse1)
    consent(world.patient_a, by=world.nurse1)
    medical_clearance(world.patient_a, by=world.prescriber1, at=noon(181))
    clearance = services.is_cleared_for_dosing(world.patient_a, timezone.now())
    assert clearance.reasons == ("No medical clearance by a prescriber in the last 180 days.",)


@pytest.mark.django_db
def test_warnings_and_safety_alerts_never_block_and_a_safety_task_is_never_a_mere_warning(world: World) -> None:
    screen(world.patient_a, by=world.nurse1, cssrs=False, history=["ptsd"])
    consent(world.patient_a, by=world.nurse1)
    medical_clearance(world.patient_a, by=world.prescriber1)
    services.record_assessment(by=world.nurse1, patient=world.patient_a, instrument="phq9", answers=[0] * 8 + [1])
    clearance = services.is_cleared_for_dosing(world.patient_a, timezone.now())
    assert clearance.cleared
    assert any("PTSD" in w for w in clearance.warnings)
    assert any("No C-SSRS screener" in w for w in clearance.warnings)
    assert not any("safety task" in w for w in clearance.warnings)
    [alert] = clearance.safety_alerts
    assert alert.startswith("Open safety task since ")
    assert "PHQ-9 item 9" in alert


@pytest.mark.django_db
def test_expire_stale_screenings_marks_and_audits_once(world: World) -> None:
    old = screen(world.patient_a, by=world.nurse1, at=noon(181))
    fresh = screen(world.patient_b, by=world.nurse2, at=noon(180))
    assert services.expire_stale_screenings(at=noon(0)) == 1
    assert services.expire_stale_screenings(at=noon(0)) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (ScreeningStatus.EXPIRED, ScreeningStatus.DECIDED)
    assert AuditEvent.objects.filter(action="intake.screening.status", object_id=str(old.pk)).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("facts", "field", "sentence"),
    [
        ({"weight_kg": Decimal("0")}, "weight_kg", "Enter the weight in kg, a number above 0."),
        ({"heart_rate": -1}, "heart_rate", "Enter a whole number of 0 or more."),
        (
            {"substance_use_disorder": {"status": "none", "remission_since": dt.date(2020, 1, 1)}},
            "substance_use_disorder.remission_since",
            "A remission date needs the disorder marked as in remission.",
        ),
    ],
)
def test_facts_the_engine_refuses_read_as_sentences_never_code(
    world: World, facts: dict[str, Any], field: str, sentence: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        screen(world.patient_a, by=world.nurse1, **facts)
    assert refused.value.errors == {field: [sentence]}
    assert "Decimal" not in refused.value.message
    assert "got" not in refused.value.message
