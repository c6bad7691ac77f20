"""Reading what a request names in its query string or typed into a date: one way for every page and API list.

- Dates: `parse_day` reads a YYYY-MM-DD query parameter (InvalidInput naming it when malformed or outside the sane
  range), `day_from_query` does the same for a page (a message and the default instead of an error),
  `validate_day` is the validator of date fields of forms and serializers, and `check_day` the same check for a
  service (a booking's start, a course's first day). The range
  keeps the arithmetic of a schedule (the day after, the week of a course, a time at the site) far from the limits
  of Python's dates: 9999-12-31 plus one day is an OverflowError, not an answer.
- Text: `unsafe_character` finds what must never reach the database or a page: control characters in a query
  string (a NUL byte is refused by PostgreSQL), and in any text a lone UTF-16 surrogate (it cannot be encoded as
  UTF-8, so no answer could echo it back). clinic.input_guard applies it to every request.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from clinic.errors import InvalidInput

EARLIEST_DAY = dt.date(1900, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)
DAY_RANGE_MESSAGE = f"Give a date between {EARLIEST_DAY:%-d %B %Y} and {LATEST_DAY:%-d %B %Y}."
DAY_FORMAT_MESSAGE = "Give the date as YYYY-MM-DD."

# C0 and C1 control characters (tab and newline included: no query parameter holds them) and UTF-16 surrogates.
_QUERY_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# In a JSON body, text may hold tabs and line breaks (notes do); no other control character (clinic.validators) and
# no lone surrogate.
_TEXT_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def validate_day(value: dt.date) -> None:
    """The validator of date fields (forms and serializers): a date inside the sane range."""
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationError(DAY_RANGE_MESSAGE, code="date_out_of_range")


def check_day(value: dt.date, field: str) -> None:
    """For a service: InvalidInput on `field` unless `value` lies inside the sane range."""
    try:
        validate_day(value)
    except ValidationError:
        raise InvalidInput({field: DAY_RANGE_MESSAGE}) from None


def parse_day(raw: str | None, field: str = "date") -> dt.date | None:
    """The day a query parameter names (YYYY-MM-DD), None when it is absent or blank; InvalidInput on `field` when
    it is malformed or outside EARLIEST_DAY..LATEST_DAY."""
    if raw is None or not raw.strip():
        return None
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput({field: DAY_FORMAT_MESSAGE}) from None
    check_day(day, field)
    return day


def day_from_query(request: HttpRequest, default: dt.date, name: str = "date") -> dt.date:
    """For a page: the day in `?date=`, or `default` when there is none; a malformed or far-off date shows the
    reason as a message on the page and the page shows `default`."""
    try:
        return parse_day(request.GET.get(name), name) or default
    except InvalidInput as exc:
        messages.warning(request, f"The date in the address was not used: {' '.join(exc.errors[name])}")
        return default


def unsafe_character(value: str, *, query: bool = False) -> bool:
    """Whether `value` holds a character no answer may carry: a NUL or a lone surrogate, and in a query string
    (`query`) any control character."""
    return bool((_QUERY_UNSAFE if query else _TEXT_UNSAFE).search(value))


def unsafe_path(data: Any, path: str = "") -> str | None:
    """The path (`answers.3`, `medications.0.name`) of the first text in parsed JSON `data` that holds a NUL or a
    lone surrogate, in a key or a value; None when all of it is safe."""
    if isinstance(data, str):
        return (path or "non_field_errors") if unsafe_character(data) else None
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if unsafe_character(str(key)):
                return path or "non_field_errors"
            found = unsafe_path(value, where)
            if found is not None:
                return found
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found = unsafe_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None
