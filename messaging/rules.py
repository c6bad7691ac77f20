"""Secure messages: which crisis words a message contains (clinical protocol §10). Pure Python, no Django.

A word or phrase of the protocol's list matches whole words in any case, across any run of spaces or line breaks
("Kill  myself" matches "kill myself"; "overdosed" does not match "overdose", "skill myself" does not match
"kill myself"). Curly apostrophes count as straight ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\u2019", "'").casefold()).strip()


def crisis_words_in(text: str, words: Sequence[str]) -> tuple[str, ...]:
    """The words of `words` that `text` contains, in the protocol's order, each once."""
    body = _normal(text)
    found = []
    for word in words:
        wanted = _normal(word)
        if not wanted:
            continue
        if re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", body):
            found.append(word)
    return tuple(dict.fromkeys(found))


def message_problem(text: str, max_chars: int) -> str | None:
    """Why a message cannot be sent (empty, too long), or None."""
    if not text.strip():
        return "Write a message before sending it."
    if len(text) > max_chars:
        return f"A message can be at most {max_chars} characters long; this one has {len(text)}."
    return None
