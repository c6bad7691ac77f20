"""Characters that must never reach the database or a page, refused once for every request.

- Query strings (`QueryStringGuard`, a middleware): a control character in a parameter (a NUL byte makes
  PostgreSQL refuse the query) answers 400 naming the parameter on the API; on a page the characters are left out
  of the search and a message says so.
- JSON bodies (`JSONParser`, the API's parser): a control character (but tab and line breaks) or a lone UTF-16
  surrogate anywhere in the document answers 400 naming the field, for every serializer at once. A surrogate
  cannot be encoded as UTF-8, so an answer that echoed it (a "not a valid choice" message) could not be sent; a NUL
  cannot be stored.
Form posts: Django decodes them with replacement characters and its form fields refuse NUL bytes; other control
characters are refused by the forms' validators and, for the clinical records, just before the save
(clinic.validators).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ValidationError

from clinic.params import unsafe_character, unsafe_path

API_PREFIX = "/api/"
QUERY_MESSAGE = "Remove the control characters from this parameter."
PAGE_MESSAGE = "Some characters in the address could not be used and were left out."
BODY_MESSAGE = "Remove the control character or the broken character from this text."


def _printable(text: str) -> str:
    return "".join(char for char in text if not unsafe_character(char, query=True))


class QueryStringGuard:
    """Refuse (API) or clean (pages) query parameters that hold control characters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        unsafe = [
            name
            for name, values in request.GET.lists()
            if any(unsafe_character(text, query=True) for text in (name, *values))
        ]
        if unsafe:
            if request.path.startswith(API_PREFIX):
                return JsonResponse({_printable(name) or "query": [QUERY_MESSAGE] for name in unsafe}, status=400)
            cleaned = QueryDict(mutable=True)
            for name, values in request.GET.lists():
                if _printable(name) == name:
                    cleaned.setlist(name, [_printable(value) for value in values])
            request.GET = QueryDict(cleaned.urlencode())
            messages.warning(request, PAGE_MESSAGE)
        return self.get_response(request)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a NUL or a lone surrogate anywhere in the document (400 naming the field)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        where = unsafe_path(data)
        if where is not None:
            raise ValidationError({where: [BODY_MESSAGE]})
        return data
