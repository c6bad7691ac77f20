"""One favicon everywhere: the admin (including its sign-in page), the staff and portal pages, the error pages."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client

from tests.conftest import World

ICON = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("admin1", "/admin/"),
        ("admin1", "/admin/clinic/patient/"),
        (None, "/admin/login/"),
        ("nurse1", "/staff/"),
        ("patient_a", "/portal/"),
        (None, "/accounts/login/"),
    ],
)
def test_every_page_carries_the_clinic_favicon(world: World, who: str | None, path: str) -> None:
    response = _client(world.users()[who] if who else None).get(path)
    assert response.status_code == 200
    assert ICON in response.content.decode()


@pytest.mark.parametrize("template", ["500.html", "403_csrf.html"])
def test_the_error_pages_carry_it_too(template: str) -> None:
    assert ICON in render_to_string(template)
