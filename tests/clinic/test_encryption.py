"""The keys of encryption at rest (clinic.encryption) come from FIELD_ENCRYPTION_KEYS, checked at start-up.

The encrypted columns are tested with the models that have them (tests/integration/test_encryption_at_rest.py).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from clinic.config import field_encryption_keys

ROOT = Path(__file__).resolve().parents[2]


def new_key() -> str:
    return Fernet.generate_key().decode()


# --- Keys from the environment --------------------------------------------------------------------------------------


def test_keys_are_read_newest_first(tmp_path: Path) -> None:
    one, two = new_key(), new_key()
    assert field_encryption_keys({"FIELD_ENCRYPTION_KEYS": f" {one} , {two}"}, False, tmp_path) == (one, two)


def test_debug_keeps_a_development_key_under_var(tmp_path: Path) -> None:
    first = field_encryption_keys({}, True, tmp_path)
    assert first == field_encryption_keys({}, True, tmp_path)
    assert (tmp_path / "var" / "dev-field-encryption-key").read_text() == first[0]
    Fernet(first[0])  # a usable key


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "FIELD_ENCRYPTION_KEYS is required when DEBUG is off"),
        ("change-me", "FIELD_ENCRYPTION_KEYS: key 1 of 1 is not a valid key"),
        (f"{base64.urlsafe_b64encode(b'x' * 31).decode()}", "key 1 of 1 is not a valid key"),
        ("Zm9v\u00e9" * 9, "key 1 of 1 is not a valid key"),
        ("KEY,", "key 1 of 2 is not a valid key"),
    ],
)
def test_bad_keys_stop_start_up_naming_the_variable(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        field_encryption_keys({"FIELD_ENCRYPTION_KEYS": value}, False, tmp_path)


def test_a_key_listed_twice_is_refused(tmp_path: Path) -> None:
    key = new_key()
    with pytest.raises(ImproperlyConfigured, match="same key twice"):
        field_encryption_keys({"FIELD_ENCRYPTION_KEYS": f"{key},{key}"}, False, tmp_path)


def test_start_up_without_keys_fails_naming_the_variable() -> None:
    hidden = {"DATABASE_URL", "REDIS_URL", "DEBUG", "FIELD_ENCRYPTION_KEYS", "KAP_TESTING"}
    env = {k: v for k, v in os.environ.items() if k not in hidden and not k.startswith("PYTEST")}
    env.update({"SECRET_KEY": "k" * 20 + "-not-a-real-secret-" + "q" * 30, "DJANGO_SETTINGS_MODULE": "clinic.settings"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is required when DEBUG is off" in result.stderr
