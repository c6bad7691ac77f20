"""Table-driven tests of messaging.rules (clinical protocol §10). No database."""

from __future__ import annotations

import pytest

from clinic.protocol import Messaging
from messaging.rules import crisis_words_in, message_problem

WORDS = Messaging().crisis_words


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Can I drive home after the session?", ()),
        ("Some days I want to die.", ("want to die",)),
        ("I WANT  TO\nDIE", ("want to die",)),  # any case, any run of spaces
        ("I thought about suicide and an overdose", ("suicide", "overdose")),
        ("He overdosed on coffee", ()),  # whole words only
        ("My skill myself is fine", ()),
        ("I could kill myself, honestly", ("kill myself",)),
        ("self-harm again", ("self-harm",)),
        ("I\u2019m better off dead", ("better off dead",)),
        ("", ()),
    ],
)
def test_crisis_words_in(text: str, found: tuple[str, ...]) -> None:
    assert crisis_words_in(text, WORDS) == found


def test_the_words_are_the_protocols() -> None:
    assert crisis_words_in("I feel hopeless", ("hopeless", "  ")) == ("hopeless",)
    assert crisis_words_in("I feel hopeless", WORDS) == ()
    assert crisis_words_in("suicide suicide", ("suicide", "suicide")) == ("suicide",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hello", None),
        ("   \n", "Write a message before sending it."),
        ("x" * 11, "A message can be at most 10 characters long; this one has 11."),
        ("x" * 10, None),
    ],
)
def test_message_problem(text: str, problem: str | None) -> None:
    assert message_problem(text, 10) == problem
