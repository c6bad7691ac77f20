"""No clinical word in any message: every reminder template, of every registered kind and of the kinds whose templates
are written ahead of their booking hooks, rendered with a patient whose name, MRN, dose, scores and diagnoses are
planted in the context; none may appear, nor any clinical word of the template's own."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings

from clinic.models import NotificationKind
from clinic.notifications import notify_care_team
from clinic.reminders import channels, registry, staff_alerts
from clinic.reminders.models import Reminder
from tests.clinic.reminders.kinds import VISIT_CONTEXT
from tests.conftest import World
from tests.factories import PatientFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"
PLANTED = {
    "given_name": "Zephyrine",
    "family_name": "Plantedperson",
    "mrn": "PLANT-000777",
    "dose": "37.5 mg",
    "dose_per_kg": "0.5 mg/kg",
    "phq9": "PHQ-9 total 23",
    "cssrs": "C-SSRS high risk",
    "diagnosis": "treatment-resistant depression",
    "lot": "LOT-KET-4411",
}
CLINICAL_WORDS = re.compile(
    r"ketamine|esketamine|spravato|infusion|\bdose|\bmg\b|phq|gad-7|c-ssrs|madrs|\bscore|diagnos|depress|"
    r"suicid|psychosis|bipolar|overdose|sedat|dissociat",
    re.IGNORECASE,
)
# Kinds whose templates exist before the apps register them (sessions and intake hook them up with booking).
AHEAD = {
    "reminders/dosing-session-48h": ("sms/dosing-session-48h.txt", VISIT_CONTEXT),
    "reminders/dosing-session-2h": ("sms/dosing-session-2h.txt", VISIT_CONTEXT),
    "reminders/integration-24h": ("sms/integration-24h.txt", VISIT_CONTEXT),
    "reminders/questionnaire-due": ("sms/questionnaire-due.txt", {"link": "http://localhost:8000/p/q/abc/"}),
    "reminders/questionnaire-nudge": ("sms/questionnaire-nudge.txt", {"link": "http://localhost:8000/p/q/abc/"}),
}


def _planted_context(sample: dict[str, Any]) -> dict[str, Any]:
    patient = SimpleNamespace(**PLANTED, full_name=f"{PLANTED['given_name']} {PLANTED['family_name']}")
    session = SimpleNamespace(dose_mg=PLANTED["dose"], mg_per_kg=PLANTED["dose_per_kg"], lot=PLANTED["lot"])
    return {**sample, "patient": patient, "session": session, **PLANTED}


def _all_templates() -> list[tuple[str, str | None, dict[str, Any]]]:
    entries = {kind.email_template: (kind.sms_template, dict(kind.sample_context)) for kind in registry.all_kinds()}
    entries.update({name: spec for name, spec in AHEAD.items() if name not in entries})
    return [(email, sms, context) for email, (sms, context) in sorted(entries.items())]


def _rendered(email_template: str, sms_template: str | None, context: dict[str, Any]) -> list[str]:
    from clinic import emails

    parts = emails.render_email(email_template, context)
    texts = [parts.subject, parts.text, parts.html]
    if sms_template:
        kind = registry.ReminderKind(name="probe", audience="patient", clinical=True, subject_type="x",
                                     email_template=email_template, sms_template=sms_template,
                                     build_context=lambda _: None, sample_context={})  # fmt: skip
        texts.append(channels.render_sms(kind, context))
    return texts


def _assert_clean(texts: list[str]) -> None:
    for text in texts:
        for value in PLANTED.values():
            assert value not in text
        assert not CLINICAL_WORDS.search(text), CLINICAL_WORDS.search(text)


@pytest.mark.parametrize(("email_template", "sms_template", "sample"), _all_templates())
def test_no_template_shows_clinical_details(email_template: str, sms_template: str | None, sample: Any) -> None:
    texts = _rendered(email_template, sms_template, _planted_context(sample))
    _assert_clean(texts)
    assert all(text.strip() for text in texts)


def test_every_reminder_template_is_scanned() -> None:
    scanned = {email for email, _, _ in _all_templates()}
    trios = {
        f"reminders/{p.name.removesuffix('-subject.txt')}"
        for p in (TEMPLATES / "emails/reminders").glob("*-subject.txt")
    }
    assert trios <= scanned
    scanned_sms = {sms for _, sms, _ in _all_templates() if sms}
    assert {f"sms/{p.name}" for p in (TEMPLATES / "sms").glob("*.txt")} <= scanned_sms


def test_text_messages_fit_a_lock_screen() -> None:
    for email_template, sms_template, sample in _all_templates():
        if sms_template:
            body = _rendered(email_template, sms_template, dict(sample))[-1]
            assert len(body) <= 320, (sms_template, len(body))  # two SMS segments at most


@pytest.mark.django_db
def test_a_real_alert_about_a_planted_patient_reveals_nothing(world: World) -> None:
    patient = PatientFactory(site=world.site1, given_name=PLANTED["given_name"], family_name=PLANTED["family_name"])
    world.nurse1.email = "nurse1@example.invalid"
    world.nurse1.save()
    notes = notify_care_team(
        patient, kind=NotificationKind.SAFETY_ALERT,
        title=f"Safety alert ({patient.mrn}): {PLANTED['phq9']}, {PLANTED['cssrs']}",
        body=f"{PLANTED['diagnosis']}; last dose {PLANTED['dose']}", dedupe_key="planted",
    )  # fmt: skip
    assert notes
    reminder = Reminder.objects.filter(kind=staff_alerts.KIND).first()
    assert reminder is not None
    kind = registry.get(staff_alerts.KIND)
    assert kind is not None
    context = kind.build_context(reminder.subject_id)
    assert context is not None
    texts = _rendered(kind.email_template, None, dict(context))
    _assert_clean(texts)
    assert all(patient.mrn not in t for t in texts)
