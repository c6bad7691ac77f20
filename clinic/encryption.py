"""Encryption at rest of the most sensitive free text: model fields whose database column holds only ciphertext.

The cryptography is pyca/cryptography's Fernet (AES-128-CBC with HMAC-SHA256, a random IV per value) under
MultiFernet: the first key of `settings.FIELD_ENCRYPTION_KEYS` encrypts, every key decrypts, so a new key is put
first and `manage.py rotate_encryption_keys` re-encrypts what the older ones wrote (docs/security.md, "Encryption at
rest"). A value that no key opens raises `UndecryptableValue` rather than showing ciphertext as if it were the
text: a save of such a value would encrypt the ciphertext again and lose the text for good.

Encrypted fields cannot be searched or filtered in the database (only `isnull` works); encrypt what is read, not
what is looked up. Issue 12 extends the same fields to intake and sessions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Lookup, Transform
from django.dispatch import receiver


class UndecryptableValue(Exception):
    """A stored value that none of FIELD_ENCRYPTION_KEYS decrypts: a key was removed too early, or the column was
    written by something other than these fields."""


class Ciphertext(str):
    """A value that is already a token; saved as it is (used by the rotation, which re-encrypts tokens)."""


@cache
def keyring() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


@cache
def primary_key() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        keyring.cache_clear()
        primary_key.cache_clear()


def encrypt(text: str) -> str:
    return keyring().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, where: str = "a field") -> str:
    try:
        return keyring().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise UndecryptableValue(
            f"The value of {where} cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS. Was a key removed "
            "before `manage.py rotate_encryption_keys` re-encrypted its data? See docs/security.md."
        ) from None


def is_current(token: str) -> bool:
    """Whether `token` is encrypted with the newest key (the rotation leaves such values alone)."""
    try:
        primary_key().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


class EncryptedMixin:
    """Plaintext in Python, a Fernet token in the column (a text column whatever the field)."""

    def get_internal_type(self) -> str:
        return "TextField"

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        if lookup_name != "isnull":
            raise FieldError(f"An encrypted field cannot be searched with `{lookup_name}`; only `isnull` works.")
        lookup: type[Lookup] | None = super().get_lookup(lookup_name)  # type: ignore[misc]
        return lookup

    def get_transform(self, lookup_name: str) -> type[Transform] | None:
        raise FieldError(f"An encrypted field cannot be searched with `{lookup_name}`.")

    def plaintext(self, value: Any) -> str:
        return str(value)

    def from_plaintext(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext):
            return value
        return encrypt(self.plaintext(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return value
        field = self  # type: Any
        return self.from_plaintext(decrypt(value, where=f"{field.model._meta.label}.{field.name}"))


class EncryptedTextField(EncryptedMixin, models.TextField):  # type: ignore[type-arg]
    """Text, encrypted at rest. `max_length` is checked on the text, not on the (longer) token."""


class EncryptedJSONField(EncryptedMixin, models.TextField):  # type: ignore[type-arg]
    """A JSON document (dict or list), encrypted at rest as one token, so that neither its values nor its keys can
    be read from the column and every value keeps its type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def plaintext(self, value: Any) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)

    def from_plaintext(self, text: str) -> Any:
        return json.loads(text)

    def to_python(self, value: Any) -> Any:
        return value  # model validation must not turn the document into its str()

    def value_to_string(self, obj: models.Model) -> str:
        return self.plaintext(self.value_from_object(obj))


# --- Rotation -----------------------------------------------------------------------------------------------------


@dataclass
class RotationCount:
    model: str
    rows: int = 0
    values: int = 0
    re_encrypted: int = 0


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    """Every concrete model with encrypted fields, and the names of those fields."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]
        if names:
            yield model, names


def rotate(*, batch_size: int = 500, dry_run: bool = False) -> list[RotationCount]:
    """Re-encrypt, with the newest key, every encrypted value that an older key wrote.

    Idempotent: values already under the newest key are left as they are. Works in batches of rows by primary key,
    each batch in its own transaction with its rows locked, so that a concurrent save is not overwritten with the
    older text. Raises UndecryptableValue (and stops) at a value that no key opens.
    """
    from django.db import transaction
    from django.db.models.functions import Cast

    counts = []
    for model, names in encrypted_fields():
        count = RotationCount(model._meta.label)
        raw = {f"raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
        last_pk: Any = None
        while True:
            with transaction.atomic():
                rows = model._default_manager.order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows.select_for_update().annotate(**raw).values("pk", *raw)[:batch_size])
                for row in batch:
                    changes = _rotated(row, names, where=model._meta.label)
                    count.values += sum(1 for name in names if row[f"raw_{name}"] is not None)
                    count.re_encrypted += len(changes)
                    if changes and not dry_run:
                        model._default_manager.filter(pk=row["pk"]).update(**changes)
            if not batch:
                break
            count.rows += len(batch)
            last_pk = batch[-1]["pk"]
        counts.append(count)
    return counts


def _rotated(row: dict[str, Any], names: list[str], *, where: str) -> dict[str, Ciphertext]:
    changes = {}
    for name in names:
        token = row[f"raw_{name}"]
        if token is None or is_current(token):
            continue
        decrypt(token, where=f"{where}.{name} of row {row['pk']}")  # a clear error for a value no key opens
        changes[name] = Ciphertext(keyring().rotate(token.encode("ascii")).decode("ascii"))
    return changes


def encrypt_existing(model: type[models.Model], names: list[str], *, batch_size: int = 500) -> int:
    """For a data migration that turns text columns into encrypted ones: encrypt, in place, every value of `names`
    that is still plain text (run it while the migration's model still has the plain fields). Values that are
    already tokens are left alone, so running it twice changes nothing. Returns how many values it encrypted."""
    return _convert(model, names, batch_size=batch_size, encrypting=True)


def decrypt_existing(model: type[models.Model], names: list[str], *, batch_size: int = 500) -> int:
    """The reverse of `encrypt_existing`: tokens back to plain text (to undo the migration)."""
    return _convert(model, names, batch_size=batch_size, encrypting=False)


def _is_token(value: str) -> bool:
    try:
        keyring().decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def _convert(model: type[models.Model], names: list[str], *, batch_size: int, encrypting: bool) -> int:
    changed, last_pk = 0, None
    while True:
        rows = model._default_manager.order_by("pk")
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        batch = list(rows.values("pk", *names)[:batch_size])
        if not batch:
            return changed
        for row in batch:
            updates = {}
            for name in names:
                value = row[name]
                if value is None:
                    continue
                if encrypting and not _is_token(value):
                    updates[name] = encrypt(value)
                elif not encrypting and _is_token(value):
                    updates[name] = decrypt(value, where=f"{model._meta.label}.{name}")
            if updates:
                model._default_manager.filter(pk=row["pk"]).update(**updates)
                changed += len(updates)
        last_pk = batch[-1]["pk"]
