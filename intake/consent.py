"""The consent document: its versions, its text as shown, and the hash stored with each signature."""

from __future__ import annotations

import hashlib

from django.template.loader import render_to_string

CURRENT_CONSENT_VERSION = "v1"
# A new version of the text gets a new template and a new entry; old entries stay so old signatures can be checked.
CONSENT_TEMPLATES: dict[str, str] = {
    "v1": "portal/consent_v1.html",
}


def consent_text(version: str) -> str:
    """The consent text of `version` exactly as the portal and the staff screen show it (no variables)."""
    return render_to_string(CONSENT_TEMPLATES[version])


def consent_sha256(version: str) -> str:
    return hashlib.sha256(consent_text(version).encode("utf-8")).hexdigest()
