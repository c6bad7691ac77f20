"""What `/api/v1/schema/` says besides each operation's own answer: the error answers every operation can give.

The bodies are those of clinic.api.exception_handler and DRF:

- 400: field errors `{"field": ["message", ...]}` (nested for nested input, `non_field_errors` for the whole body),
  or `{"detail"}` for a body that is not JSON; also a query parameter with control characters (clinic.input_guard);
- 401 (no or an expired token) and 403 (a role that may not do this: `{"detail"}`, with `"code": "permission_denied"`
  when a service refused);
- 404 for what the requester may not see, or that does not exist (operations with an id in the path, and those
  whose body names a patient: they add `NOT_FOUND_IN_BODY` to their responses);
- 409 `{"code", "detail", ...}` when a rule refuses a change (operations that change something);
- 429 when a client sends too many requests.

`ClinicAutoSchema` adds them to every operation of a clinic.api.ScopedViewSet; an operation's own
`@extend_schema(responses=...)` still decides its success answer (and may describe an error more precisely).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorDetail(serializers.Serializer[Any]):
    """An error said in one sentence."""

    detail = serializers.CharField()


class Refusal(ErrorDetail):
    """The requester's role may not do this; `code` is "permission_denied" when a service refused."""

    code = serializers.CharField(required=False)


class FieldErrors(serializers.Serializer[Any]):
    """Invalid input: each bad field with its messages (`{"field": ["..."]}`, nested for nested input)."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    detail = serializers.CharField(required=False, help_text="When the body could not be read at all.")


class ConflictError(serializers.Serializer[Any]):
    """A rule refused the change: a stable `code` and a sentence; some codes add details (e.g. `conflicts`)."""

    code = serializers.CharField()
    detail = serializers.CharField()


NOT_FOUND = OpenApiResponse(ErrorDetail, description="Not found, or not visible to the requester.")
# For an operation whose body names a record the requester must see (a booking's `patient`): add it to its responses.
NOT_FOUND_IN_BODY = OpenApiResponse(ErrorDetail, description="A record the body names is not visible to the requester.")


def error_responses(method: str, path: str) -> dict[str, OpenApiResponse]:
    """The error answers an operation can give (see the module docstring)."""
    responses = {
        "400": OpenApiResponse(FieldErrors, description="Invalid input, with the reason beside each field."),
        "401": OpenApiResponse(ErrorDetail, description="Not signed in: no token, or an expired one."),
        "403": OpenApiResponse(Refusal, description="Signed in, but this role may not do this."),
        "429": OpenApiResponse(ErrorDetail, description="Too many requests; try again later."),
    }
    if "{" in path:
        responses["404"] = NOT_FOUND
    if method in WRITE_METHODS:
        responses["409"] = OpenApiResponse(ConflictError, description="A rule refused the change.")
    return responses


class ClinicAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding the error answers to every operation."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        response_for_code = cast(Callable[..., dict[str, Any]], self._get_response_for_code)
        for code, response in error_responses(self.method, self.path).items():
            if code not in responses:
                responses[code] = response_for_code(response, code, direction=direction)
        return dict(sorted(responses.items()))
