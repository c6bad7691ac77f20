"""Every registered reminder kind, rendered from its real context builder (not a sample) for a patient who was
dosed, has high PHQ-9 scores and a depression history on record: no email part (subject, text, HTML) and no text
message shows the dose, a score, a diagnosis, a drug, the name or the MRN (clinical protocol §8, "Content")."""

from __future__ import annotations

import re

import pytest

from clinic.reminders import registry, staff_alerts
from integration.models import QuestionnaireDue
from sessions import services as session_services
from sessions.models import DoseRecord
from tests.clinic.reminders.test_message_content import CLINICAL_WORDS, _rendered
from tests.integration.conftest import Integ
from tests.sessions.conftest import book, ny

pytestmark = pytest.mark.django_db
URL = re.compile(r"https?://\S+")


def test_every_kind_built_from_real_records_reveals_nothing(integ: Integ) -> None:
    patient = integ.patient
    patient.given_name, patient.family_name = "Zephyrine", "Plantedperson"
    patient.save()
    dose = DoseRecord.objects.get(session=integ.session)
    integ.phq9(23, ny(2026, 5, 5, 17))
    session = book(integ.clinic, ny(2026, 5, 8, 9), route="esketamine", chair=integ.clinic.chair2)
    appointment = session_services.book_integration_appointment(
        by=integ.front_desk, patient=patient, therapist=integ.therapist, start=ny(2026, 5, 9, 14), duration_min=60,
        room="Room A",
    ).appointment  # fmt: skip
    questionnaire = QuestionnaireDue.objects.create(
        patient=patient, instrument="phq9", due_at=ny(2026, 5, 6, 9), reason="session"
    )
    subjects = {
        "treatment_sessions.dosingsession": session.pk,
        "treatment_sessions.integrationappointment": appointment.pk,
        "integration.questionnairedue": questionnaire.pk,
    }
    kinds = [
        kind for kind in registry.all_kinds() if kind.name != staff_alerts.KIND and not kind.name.startswith("test")
    ]
    assert {k.name for k in kinds} >= {
        "dosing_session_48h", "dosing_session_2h", "integration_24h", "questionnaire_due", "questionnaire_nudge",
    }  # fmt: skip
    dose_words = {f"{dose.dose_mg}", f"{dose.dose_mg.normalize()} mg", f"{dose.mg_per_kg}", "23/27", "total 23"}
    for kind in kinds:
        context = kind.build_context(subjects[kind.subject_type])
        assert context is not None, kind.name
        texts = _rendered(kind.email_template, kind.sms_template, dict(context))
        assert len(texts) == 4  # subject, text, HTML, text message
        for text in texts:
            assert text.strip()
            bare = URL.sub("", text)  # a link's token is random letters, not words
            assert not CLINICAL_WORDS.search(bare), (kind.name, CLINICAL_WORDS.search(bare))
            for secret in (*dose_words, patient.mrn, patient.family_name, patient.given_name, "esketamine"):
                assert secret not in bare, (kind.name, secret)
            assert not re.search(r"\b23\b", bare), kind.name  # the PHQ-9 total
