from __future__ import annotations

from django import template

from intake.vocabulary import MEDICATION_CATEGORY_LABELS, SUBSTANCE_USE_LABELS
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


@register.filter
def medication_category(code: str) -> str:
    """The words of a medication category code."""
    return MEDICATION_CATEGORY_LABELS.get(str(code), str(code).replace("_", " "))


@register.filter
def substance_use(status: str) -> str:
    """The words of a substance use status ("none" when there is none)."""
    return SUBSTANCE_USE_LABELS.get(str(status or "none"), str(status))
