"""Template helpers of the sessions screens."""

from __future__ import annotations

from django import template

from sessions.queries import STATUS_BADGES

register = template.Library()


@register.filter
def status_badge(status: str) -> str:
    """The badge modifier class of a session status: `{{ session.status|status_badge }}`."""
    return STATUS_BADGES.get(status, "")
