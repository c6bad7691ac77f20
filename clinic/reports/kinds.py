"""The kinds of PDF report, registered by the app that owns their data (as clinic.panels registers page sections).

clinic knows how to queue, render, store, scope and serve a report; it does not know what a course summary holds.
An app registers each kind it can fill in its AppConfig.ready():

    from clinic.reports import kinds
    kinds.register(kinds.ReportKind(
        name="course_summary",                  # the API's `kind`, stable
        label="Course summary",
        template="pdf/course-summary.html",     # extends pdf/report.html
        build=course_summary,                   # (patient, {"course": id}) -> ReportContent
        parameter="course",                     # the id a request carries: "course", "session" or None
        choices=courses_of,                     # (patient) -> [Choice(id, label)]: what may be asked for
        patient_may_download=True,              # the portal offers it to the patient
    ))

and another app may add a part to a kind it does not own (`register_section`), e.g. the integration app's summary
in the sessions app's course summary: the part's builder returns the value of one context key, or None.

A builder reads (never writes), runs in the Celery worker, and raises `ReportUnavailable` (or any DomainError)
with a sentence for the person who asked when the report cannot be made; the job then fails with that sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from clinic.errors import Conflict
from clinic.models import CLINICAL_ROLES, Role

if TYPE_CHECKING:
    from clinic.models import Patient

Parameter = Literal["course", "session"]
PARAMETERS: tuple[Parameter, ...] = ("course", "session")
Parameters = Mapping[str, int]


class ReportUnavailable(Conflict):
    """This report cannot be made (yet) for this patient; `message` says why, in words for the person who asked."""

    code = "report_unavailable"


@dataclass(frozen=True)
class Choice:
    """One thing a report may be asked for: a course or a session of the patient, by id, with its label."""

    value: int
    label: str


@dataclass(frozen=True)
class ReportContent:
    """What a builder returns: the document's title (running header, PDF title), the template's context, and the
    label of the protocol version the reported records were made under (footer of every page)."""

    title: str
    context: Mapping[str, Any]
    protocol_version: str


Builder = Callable[["Patient", Parameters], ReportContent]
SectionBuilder = Callable[["Patient", Parameters], Any]


@dataclass(frozen=True)
class ReportKind:
    name: str
    label: str
    template: str
    build: Builder
    parameter: Parameter | None = None
    choices: Callable[[Patient], Sequence[Choice]] | None = None
    # Staff roles that may request and download it; never the front desk (clinical data only).
    staff_roles: frozenset[str] = field(default=frozenset(CLINICAL_ROLES))
    patient_may_download: bool = False
    description: str = ""
    order: int = 100

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"report kind {self.name!r}: the name must look like course_summary")
        if (self.parameter is None) != (self.choices is None):
            raise ValueError(f"report kind {self.name!r}: give `choices` exactly when it takes a `parameter`")
        if self.parameter is not None and self.parameter not in PARAMETERS:
            raise ValueError(f"report kind {self.name!r}: the parameter must be one of {PARAMETERS}")
        if not self.staff_roles <= CLINICAL_ROLES:
            raise ValueError(f"report kind {self.name!r}: reports hold clinical data, only clinical roles may get them")

    @property
    def in_a_sentence(self) -> str:
        """The label inside a sentence: "course summary", but "REMS monitoring form"."""
        first = self.label.split(" ", 1)[0]
        return self.label if first.isupper() else self.label[:1].lower() + self.label[1:]

    def choices_for(self, patient: Patient) -> list[Choice]:
        return list(self.choices(patient)) if self.choices is not None else []

    def allows_role(self, role: str) -> bool:
        return role in self.staff_roles or (role == Role.PATIENT and self.patient_may_download)


_kinds: dict[str, ReportKind] = {}
_sections: dict[str, dict[str, SectionBuilder]] = {}


def register(kind: ReportKind) -> None:
    """Add (or replace) a kind; called from an AppConfig.ready()."""
    _kinds[kind.name] = kind


def register_section(kind: str, key: str, build: SectionBuilder) -> None:
    """Fill the context key `key` of every `kind` report with `build(patient, parameters)` (None leaves it out)."""
    _sections.setdefault(kind, {})[key] = build


def get(name: str) -> ReportKind | None:
    return _kinds.get(name)


def all_kinds() -> list[ReportKind]:
    return sorted(_kinds.values(), key=lambda k: (k.order, k.name))


def sections(kind: str) -> dict[str, SectionBuilder]:
    return dict(_sections.get(kind, {}))
