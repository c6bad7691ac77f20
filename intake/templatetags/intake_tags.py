from __future__ import annotations

from django import template

from intake.vocabulary import history_label as _history_label

register = template.Library()


@register.filter
def history_label(code: str) -> str:
    """The clinical label of a history code."""
    return _history_label(code)


@register.filter
def spaced(code: str) -> str:
    """`moderately_severe` -> `moderately severe`."""
    return str(code).replace("_", " ")
