"""What free text may hold, checked once for every way in (issue 12, "Input limits").

- Every text field of the clinical records has a length limit (`max_length`, from the sizes below); a test walks
  every model and fails on a text field without one.
- Control characters (C0 but tab and line breaks, DEL, C1) and lone surrogates are refused.
- Phone numbers must be possible numbers (Google's libphonenumber, `phonenumbers`) in the clinic's region
  (`PHONE_REGION`, the US) or international with `+`; room and chair names are short words, digits and a little
  punctuation.

Field validators travel into model forms and DRF model serializers. Plain forms and the API's input serializers
reach the records through the services, so the same rules are checked once more just before a record of the clinical
apps is saved (`check_text`, on `pre_save`): a breach raises `InvalidInput` naming the field, which a form shows
beside the field and the API answers with 400, never a server error and never a silently cut text.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.signals import pre_save
from django.utils.deconstruct import deconstructible

from clinic.errors import InvalidInput

# Sizes of free text, in characters (a page of notes is about 3,000).
REASON_MAX = 2_000  # a reason, an acknowledgement, a short note
NOTE_MAX = 10_000  # a clinical note
ADDRESS_MAX = 500
PLACE_NAME_MAX = 60
PHONE_MAX = 32
PHONE_REGION = "US"  # where a number without +country code is read (the clinic's country)

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_MESSAGE = "Remove the control characters from this text (they cannot be stored)."
PHONE_MESSAGE = "Enter a phone number, like 555-0100, 617-555-0100 or +44 20 7946 0000."
PLACE_MESSAGE = "Use letters, digits, spaces and . , ' & ( ) / # + - only, starting with a letter or a digit."

_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-]{3,}(\s*(x|ext\.?)\s*[0-9]{1,6})?$", re.IGNORECASE)
_PLACE_NAME = re.compile(r"^[^\W_][\w .,'&()/#+\-]*$")

# The records whose text is checked before every save: the clinical apps, and the core's patient-facing records.
CHECKED_APPS = frozenset({"intake", "treatment_sessions", "integration"})
CHECKED_MODELS = frozenset({"clinic.patient", "clinic.site", "clinic.chair"})


def no_control_characters(value: Any) -> None:
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(CONTROL_MESSAGE, code="control_character")


def validate_phone(value: Any) -> None:
    """A possible phone number of the clinic's region, or an international one (+...); extensions allowed."""
    text = str(value or "").strip()
    if not text:
        return
    if not _PHONE_CHARACTERS.match(text):
        raise ValidationError(PHONE_MESSAGE, code="phone")
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(PHONE_MESSAGE, code="phone") from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(PHONE_MESSAGE, code="phone")


@deconstructible
class PlaceNameValidator:
    """A room's or a chair's name: short, printable, no markup characters."""

    def __call__(self, value: Any) -> None:
        text = str(value or "")
        if text and not _PLACE_NAME.match(text):
            raise ValidationError(PLACE_MESSAGE, code="place_name")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlaceNameValidator)

    def __hash__(self) -> int:
        return hash(PlaceNameValidator)


validate_place_name = PlaceNameValidator()


def text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The concrete text fields of `model` (CharField, TextField and their subclasses, the encrypted text too; not
    the encrypted JSON documents, whose parts the integration rules check)."""
    from clinic.encryption import EncryptedJSONField

    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and not isinstance(field, EncryptedJSONField)
    ]


def _label(field: models.Field[Any, Any]) -> str:
    return str(field.verbose_name)[:1].upper() + str(field.verbose_name)[1:]


def text_errors(instance: models.Model) -> dict[str, list[str]]:
    """What is wrong with the text of `instance`, by field: too long, control characters, a field's validator."""
    errors: dict[str, list[str]] = {}
    for field in text_fields(type(instance)):
        value = getattr(instance, field.attname, None)
        if not isinstance(value, str) or not value:
            continue
        problems = []
        if field.max_length is not None and len(value) > field.max_length:
            problems.append(
                f"{_label(field)} is too long: at most {field.max_length:,} characters (this has {len(value):,})."
            )
        else:
            try:
                no_control_characters(value)
                for validator in field.validators:
                    if not isinstance(validator, MaxLengthValidator):
                        validator(value)
            except ValidationError as exc:
                problems.extend(f"{_label(field)}: {message}" for message in exc.messages)
        if problems:
            errors[field.name] = problems
    return errors


def check_text(instance: models.Model) -> None:
    """Raise InvalidInput naming each field whose text breaks the rules (before a save)."""
    errors = text_errors(instance)
    if errors:
        raise InvalidInput(errors)


def checked(model: type[models.Model]) -> bool:
    return model._meta.app_label in CHECKED_APPS or model._meta.label_lower in CHECKED_MODELS


def _before_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any) -> None:
    if not raw and checked(sender):
        check_text(instance)


def connect() -> None:
    """Called from ClinicConfig.ready()."""
    pre_save.connect(_before_save, dispatch_uid="clinic.validators.check_text")
