"""One read per page: what several panels of one page ask for is read once.

A page is made of panels from several apps (clinic.panels) that do not know of each other: the staff patient page
asks for the site's protocol, the patient's courses and sessions from four panels. Inside a request that only reads
(GET and HEAD, clinic.middleware.SharedReadsMiddleware) a function decorated with `per_request` answers the same
arguments from its first answer; anywhere else (a POST, a task, a command, a test calling a service) it reads every
time, so that nothing that changes state ever sees a value read before its change.

A decorated function must be a read whose answer does not change during the request, keyed by its arguments
(records count by their model and id). An error is not remembered: the next call raises it again.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db.models import Model

_memo: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar("shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Let the `per_request` reads of the code inside answer repeated questions from their first answer."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _key(value: Any) -> Hashable:
    if isinstance(value, Model):
        return (value._meta.label, value.pk)
    if not isinstance(value, Hashable):
        raise TypeError("unhashable")  # the call reads as if no memo were there
    hash(value)  # a tuple holding a list is Hashable and still not hashable: the same TypeError
    return value


def per_request[**P, R](read: Callable[P, R]) -> Callable[P, R]:
    """Remember `read`'s answer for the rest of a read-only request (see the module's docstring)."""

    @functools.wraps(read)
    def remembered(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _memo.get()
        if memo is None:
            return read(*args, **kwargs)
        try:
            key = (read, tuple(_key(a) for a in args), tuple(sorted((k, _key(v)) for k, v in kwargs.items())))
        except TypeError:
            return read(*args, **kwargs)
        if key not in memo:
            memo[key] = read(*args, **kwargs)
        answer = memo[key]
        return cast(R, list(answer)) if isinstance(answer, list) else answer

    return remembered
