"""Template helpers of the sessions screens: the badge colour of a value (sessions.chairside.BADGES)."""

from __future__ import annotations

from django import template

from sessions.chairside import BADGES

register = template.Library()


@register.filter
def status_badge(status: str) -> str:
    """The badge modifier class of a session status: `{{ session.status|status_badge }}`."""
    return badge(status, "status")


@register.filter
def badge(value: str, kind: str) -> str:
    """The badge modifier class of a gate decision, a severity, a fasting result or a REMS form's status:
    `{{ reading.gate|badge:"gate" }}`."""
    return BADGES[kind].get(value, "")


@register.filter
def gate_list_class(decision: str) -> str:
    """The reasons of a `defer` gate read as alerts."""
    return "alert-list" if decision == "defer" else ""


@register.filter
def rems_label(status: str) -> str:
    return status.replace("_", " ")
