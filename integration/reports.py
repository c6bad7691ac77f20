"""The integration app's part of the PDF reports (clinic.reports): the patient's relapse-prevention plan, and the
integration summary inside the sessions app's course summary.

NOT FINISHED: both builders below are stubs that refuse with "not available yet" until the integration app's plans,
notes and outcomes exist; the templates and the context each must return are ready. When they are written, call
`register()` from IntegrationConfig.ready().
"""

from __future__ import annotations

from typing import Any

from clinic.models import Patient
from clinic.reports.kinds import Parameters, ReportContent, ReportKind, ReportUnavailable, register_section
from clinic.reports.kinds import register as add

NOT_YET = "The {what} cannot be printed yet: the integration records it is made from are not in this version."


def relapse_plan(patient: Patient, parameters: Parameters) -> ReportContent:
    """The newest revision of the patient's relapse-prevention plan (clinical protocol §7), for the patient.

    Must return ReportContent(title="Relapse-prevention plan", protocol_version=<label of the site's protocol
    version the revision was written under>, context={
        "plan": {
            "revision": int, "updated": "YYYY-MM-DD", "review_date": "YYYY-MM-DD",
            "sections": [{"heading": str, "items": [str]}],   # the Stanley-Brown sections, in order, in plain
                # words: early warning signs, things I can do on my own, people and places that distract me,
                # people I can ask for help, professionals and services, making my surroundings safe
            "maintenance_criteria": str,
        },
        "care_team": [{"name": str, "role": str}],
    }) for templates/pdf/relapse-plan.html; ReportUnavailable("There is no relapse-prevention plan yet.") when
    the patient has none. Reads the plan without auditing a view (the report's request and download are audited).
    """
    raise ReportUnavailable(NOT_YET.format(what="relapse-prevention plan"))


def integration_summary(patient: Patient, parameters: Parameters) -> dict[str, Any] | None:
    """The integration part of the course summary of course `parameters["course"]`:

        {"outcome": [str],    # e.g. "Response: PHQ-9 fell from 18 to 6 (67 %).", from integration.outcomes
         "notes": [{"date", "modality", "therapist", "duration", "phq9", "plan"}],   # signed notes of the course
         "relapse_plan": {"revision", "updated", "review_date"} | None}

    (templates/pdf/course-summary.html). Never the notes' narrative: a course summary may go to the patient.
    """
    raise ReportUnavailable(NOT_YET.format(what="integration summary"))


def register() -> None:
    """Called from IntegrationConfig.ready() once the builders above are written."""
    add(
        ReportKind(
            name="relapse_plan",
            label="Relapse-prevention plan",
            template="pdf/relapse-plan.html",
            build=relapse_plan,
            patient_may_download=True,
            description="The patient's plan in plain words and large type, with crisis resources.",
            order=30,
        )
    )
    register_section("course_summary", "integration_summary", integration_summary)
