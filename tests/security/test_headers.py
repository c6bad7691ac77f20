"""Content-Security-Policy with nonces, Permissions-Policy, and no-store on everything a signed-in person gets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import World, api_as

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Emails and PDFs are not pages: mail clients need inline styles, and WeasyPrint runs no script.
NOT_PAGES = ("emails", "pdf")


def _page_templates() -> list[Path]:
    return [path for path in TEMPLATES.rglob("*.html") if path.relative_to(TEMPLATES).parts[0] not in NOT_PAGES]


def test_no_template_has_inline_script_handlers_or_style_attributes() -> None:
    offenders = []
    for path in _page_templates():
        text = path.read_text()
        # A script file from the app's own origin is allowed ('self'); inline code needs the request's nonce.
        for match in re.finditer(r"<script\b(?![^>]*\bsrc=)[^>]*>", text):
            if "nonce=" not in match.group(0):
                offenders.append(f"{path.relative_to(TEMPLATES)}: inline script without a nonce")
        for attribute in re.findall(r"\s(on[a-z]+|hx-on[:\w-]*|style)=", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: {attribute}= attribute")
    assert offenders == []


@pytest.mark.django_db
def test_pages_get_a_strict_policy_with_a_fresh_nonce_on_their_scripts(world: World) -> None:
    client = Client()
    client.force_login(world.nurse1)
    first, second = client.get("/staff/"), client.get("/staff/")
    policy = first["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "default-src 'self'" in policy
    assert f"script-src 'self' 'nonce-{nonce}'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    scripts = re.findall(r"<script\b[^>]*>", first.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert nonce not in second["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_admin_and_the_api_docs_run_under_the_same_policy(world: World) -> None:
    admin = Client()
    admin.force_login(world.admin1)
    assert "Content-Security-Policy" in admin.get("/admin/")
    docs = admin.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert "Content-Security-Policy" in docs
    assert not re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>", docs.content.decode())  # the start-up script is a file
    assert admin.get("/api/v1/docs/?script").status_code == 200


@pytest.mark.django_db
def test_permissions_policy_switches_off_camera_microphone_and_location(world: World) -> None:
    policy = Client().get("/accounts/login/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/staff/", "/staff/patients/{pk}/", "/api/v1/patients/", "/api/v1/patients/{pk}/", "/accounts/security/"]
)
def test_everything_behind_sign_in_is_no_store(world: World, url: str) -> None:
    client = Client()
    client.force_login(world.nurse1)
    response = client.get(url.format(pk=world.patient_a.pk))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_token_answers_are_no_store_too(world: World) -> None:
    response = api_as(world.nurse1).get("/api/v1/patients/", HTTP_AUTHORIZATION="Token x")
    assert response["Cache-Control"] == "no-store"
    portal = Client()
    portal.force_login(world.patient_a_user)
    assert portal.get("/portal/")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_the_sign_in_page_is_not_stored_either() -> None:
    assert "no-store" in Client().get("/accounts/login/")["Cache-Control"]
