"""Which replies are RSVP answers (server.services.rsvp_words): the phrases in four languages,
whatever the case, accents, apostrophes, mentions and punctuation around them — and nothing
that is conversation."""

from __future__ import annotations

import pytest

from server.services.rsvp_words import answer_in


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("going", "going"),
        ("@club going", "going"),
        ("@club@b.test GOING!", "going"),
        ("I’m going 🎉", "going"),
        ("maybe", "maybe"),
        ("Maybe?", "maybe"),
        ("can't go", "not_going"),
        ("Can’t go.", "not_going"),
        ("can't make it", "not_going"),
        ("je viens", "going"),
        ("Peut-être", "maybe"),
        ("peut etre", "maybe"),
        ("je ne viens pas", "not_going"),
        ("ich komme", "going"),
        ("Vielleicht", "maybe"),
        ("ich komme nicht", "not_going"),
        ("voy", "going"),
        ("quizás", "maybe"),
        ("¡No voy!", "not_going"),
    ],
)
def test_answers(text: str, answer: str) -> None:
    assert answer_in(text) == answer


@pytest.mark.parametrize(
    "text",
    ["", "@club", "going, see you there", "not sure yet", "no", "yes", "sí", "je viens demain"],
)
def test_conversation_is_not_an_answer(text: str) -> None:
    assert answer_in(text) is None
