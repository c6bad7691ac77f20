"""DRF throttles: per anonymous address, per signed-in user, and a tighter one on the token endpoint; the rates come
from the environment (API_THROTTLE_ANON, API_THROTTLE_USER, API_THROTTLE_SIGN_IN)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from clinic.config import load
from tests.conftest import World


def _address() -> str:
    # A fresh address each run: the counts live in the shared cache (Redis in CI) for a minute.
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


@pytest.mark.django_db
def test_the_token_endpoint_allows_few_attempts_per_address(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "sign_in", "3/minute")
    client = APIClient(REMOTE_ADDR=_address())
    statuses = [
        client.post("/api/v1/auth/token/", {"username": f"nobody{n}", "password": "x"}, format="json").status_code
        for n in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


@pytest.mark.django_db
def test_signed_in_users_are_throttled_per_user(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/minute")
    from clinic.security import tokens

    token = tokens.create(world.nurse1, via="test").token
    cache.delete(f"throttle_user_{world.nurse1.pk}")  # test databases reuse ids; the cache outlives them
    statuses = []
    for _ in range(3):
        client = APIClient(REMOTE_ADDR=_address())  # another address each time: the count follows the user
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        statuses.append(client.get("/api/v1/patients/").status_code)
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_anonymous_requests_are_throttled_per_address(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF refuses an unauthenticated request to a protected endpoint before counting it; what anonymous clients
    # can reach (the token endpoint) is counted per address.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/minute")
    client = APIClient(REMOTE_ADDR=_address())
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    assert APIClient(REMOTE_ADDR=_address()).post("/api/v1/auth/token/", {}, format="json").status_code == 400


def test_rates_come_from_the_environment_and_bad_ones_name_the_variable(tmp_path: Path) -> None:
    config = load({"SECRET_KEY": "x" * 60, "API_THROTTLE_USER": "300/minute"}, tmp_path)
    assert config.security.api_throttle_user == "300/minute"
    assert config.security.api_throttle_anon == "60/minute"
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_ANON"):
        load({"SECRET_KEY": "x" * 60, "API_THROTTLE_ANON": "lots"}, tmp_path)
