"""The consent document: its versions, its text as shown, and the hash stored with each signature."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.template.loader import render_to_string

from clinic.protocol import Protocol, Route

CURRENT_CONSENT_VERSION = "v1"
# A new version of the text gets a new template and a new entry; old entries stay so old signatures can be checked.
CONSENT_TEMPLATES: dict[str, str] = {
    "v1": "portal/consent_v1.html",
}


# What each version's text says in words that the protocol may later change: a signed text never changes, so the
# consent page adds a note when the clinic's protocol now differs (`preparation_note`).
STATED_FASTING: dict[str, dict[Route, tuple[Decimal, Decimal]]] = {
    # "You must not eat for 6 hours or drink clear liquids for 2 hours before an infusion or injection"
    "v1": {route: (Decimal("6"), Decimal("2")) for route in (Route.IV, Route.IM)},
}
ROUTE_WORDS = {Route.IV: "an infusion", Route.IM: "an injection"}


def _hours(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return f"{text} hour" if value == 1 else f"{text} hours"


def preparation_note(version: str, protocol: Protocol) -> str:
    """A sentence for the consent page when the clinic's fasting rules differ from what the signed text states
    (the text cannot change without a new version); "" when they agree."""
    changed = []
    for route, (solids, liquids) in STATED_FASTING.get(version, {}).items():
        rule = protocol.monitoring.fasting.get(route)
        if rule is not None and (rule.solids_hours, rule.clear_liquids_hours) != (solids, liquids):
            changed.append(
                f"before {ROUTE_WORDS[route]}, nothing to eat for {_hours(rule.solids_hours)} and no clear liquids "
                f"for {_hours(rule.clear_liquids_hours)}"
            )
    if not changed:
        return ""
    return (
        "Your clinic's preparation rules have changed since this document was written. Today they are: "
        + "; ".join(changed)
        + ". Your appointment reminders always give the rules that apply to you."
    )


def consent_text(version: str) -> str:
    """The consent text of `version` exactly as the portal and the staff screen show it (no variables)."""
    return render_to_string(CONSENT_TEMPLATES[version])


def consent_sha256(version: str) -> str:
    return hashlib.sha256(consent_text(version).encode("utf-8")).hexdigest()
