"""Sections other apps add to the staff patient page and the portal home, without clinic importing them.

An app registers a panel in its AppConfig.ready(); the page renders `template` with the context `build` returns.
`build` receives the request and a patient the requester may already see (scoped by the page's view).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from django.http import HttpRequest

    from clinic.models import Patient

# "operations": sections of the clinic administrators' operations page (failed reminders, report jobs).
Audience = Literal["staff", "portal", "staff_home", "operations"]


@dataclass(frozen=True)
class Panel[P: (Patient, None)]:
    """`build(request, patient)`: a Panel[Patient] on a patient's page; on the staff home (audience "staff_home") and
    the operations page (audience "operations") a Panel[None], whose `build` gets None."""

    key: str
    audience: Audience
    template: str
    build: Callable[[HttpRequest, P], dict[str, Any] | None]
    order: int = 100
    clinical: bool = True


_panels: dict[tuple[Audience, str], Panel[Any]] = {}


def register(panel: Panel[Patient] | Panel[None]) -> None:
    _panels[(panel.audience, panel.key)] = panel


def render_context(
    audience: Audience, request: HttpRequest, patient: Patient | None, *, clinical: bool
) -> list[dict[str, Any]]:
    """The panels to show, in order; a panel whose `build` returns None is left out."""
    shown = []
    for panel in sorted((p for (a, _), p in _panels.items() if a == audience), key=lambda p: (p.order, p.key)):
        if panel.clinical and not clinical:
            continue
        context = panel.build(request, patient)
        if context is not None:
            shown.append({"key": panel.key, "template": panel.template, **context})
    return shown
