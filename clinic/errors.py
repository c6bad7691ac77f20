"""Domain errors raised by services; every interface turns them into a form error, a message or an HTTP answer."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A rule refused the action. `code` is stable for the API; `message` is for a person."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, details: Mapping[str, object] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = dict(details or {})


class Conflict(DomainError):
    status = 409


class NotAllowed(DomainError):
    """The requester may see the object but their role may not do this (HTTP 403)."""

    status = 403
    code = "permission_denied"


class InvalidInput(DomainError):
    """Bad input, with messages per field (HTTP 400)."""

    status = 400
    code = "invalid"

    def __init__(self, errors: Mapping[str, str | list[str]], message: str | None = None):
        self.errors = {k: (v if isinstance(v, list) else [v]) for k, v in errors.items()}
        # The message is read by people (a refusal shown as a message): the sentences, never the field keys.
        super().__init__(message or " ".join(m for v in self.errors.values() for m in v))
