"""Audit action codes read as words in the audit log; every code the application writes has words, and a code
nobody described yet still reads as a sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clinic.audit_words import describe

ROOT = Path(__file__).resolve().parents[2]
# A literal action passed to audit.record, _audit_step, or written as a model's status-change action.
LITERAL_ACTION = re.compile(r"""(?:record|_audit_step)\(\s*"([a-z_]+\.[a-z_]+\.[a-z_]+)\"""")


@pytest.mark.parametrize(
    ("action", "details", "words"),
    [
        ("clinic.patient.view", {"via": "staff"}, "viewed the patient's record"),
        ("clinic.patient.view", {"via": "admin"}, "viewed the patient's record in the admin"),
        ("clinic.patient.update", {}, "changed the patient's details"),
        ("clinic.careteam.add", {}, "added someone to the care team"),
        ("clinic.access.denied", {"via": "admin"}, "was refused access to a record in the admin"),
        ("clinic.user.login_failed", {}, "failed to sign in"),
        ("intake.screening.override", {}, "overrode a screening decision"),
        ("sessions.dosingsession.view", {"via": "staff"}, "viewed a dosing session"),
        ("treatment_sessions.vitalsign.list", {"via": "admin"}, "listed vital signs in the admin"),
        ("treatment_sessions.vitalsign.view", {"via": "admin"}, "viewed a vital sign in the admin"),
        ("intake.assessment.view", {"via": "api"}, "viewed an assessment through the API"),
        ("portal.consent.view", {}, "viewed the consent in the portal"),
        ("clinic.auditevent.export", {}, "exported the audit log"),
        # Codes nobody described: the verb and the object still read as words.
        ("integration.note.create", {}, "recorded a note"),
        ("integration.maintenanceevaluation.open", {}, "opened a maintenance evaluation"),
        ("integration.note.sign", {"via": "api"}, "signed a note through the API"),
        ("integration.relapseplan.archive", {}, "archive: relapseplan"),
        ("oddly-formed", {}, "oddly-formed"),
    ],
)
def test_action_codes_read_as_words(action: str, details: dict[str, str], words: str) -> None:
    assert describe(action, details) == words


def _written_actions() -> set[str]:
    found: set[str] = set()
    for app in ("clinic", "intake", "sessions", "integration", "portal"):
        for path in (ROOT / app).rglob("*.py"):
            found.update(LITERAL_ACTION.findall(path.read_text()))
    return found


def test_every_action_the_application_writes_reads_without_code_names() -> None:
    actions = _written_actions()
    assert len(actions) > 30  # the scan finds the application's actions
    unreadable = {a: describe(a) for a in actions if re.search(r"[._:]", describe(a))}
    assert unreadable == {}
