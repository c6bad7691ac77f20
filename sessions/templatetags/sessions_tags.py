"""Template helpers of the sessions screens: the badge colour of a value (sessions.chairside.BADGES)."""

from __future__ import annotations

from django import template

from sessions.chairside import BADGES

register = template.Library()


@register.filter
def status_badge(status: str) -> str:
    """The badge modifier class of a session status: `{{ session.status|status_badge }}`."""
    return BADGES["status"].get(status, "")


@register.filter
def gate_badge(decision: str) -> str:
    return BADGES["gate"].get(decision, "")


@register.filter
def gate_list_class(decision: str) -> str:
    """The reasons of a `defer` gate read as alerts."""
    return "alert-list" if decision == "defer" else ""


@register.filter
def severity_badge(severity: str) -> str:
    return BADGES["severity"].get(severity, "")


@register.filter
def fasting_badge(fasting: str) -> str:
    return BADGES["fasting"].get(fasting, "")


@register.filter
def rems_badge(status: str) -> str:
    return BADGES["rems"].get(status, "")


@register.filter
def rems_label(status: str) -> str:
    return status.replace("_", " ")
