"""RSVP answers written as words: a person on Mastodon cannot vote twice in a single-choice
poll (``app/validators/vote_validator.rb``), so they change their answer by replying
"going", "maybe" or "can't go" — in English, French, German or Spanish — to the group's
direct message, to the meetup or to its poll.

A reply counts only when, once the mentions, accents, case and surrounding punctuation are
set aside, it is exactly one of these phrases: "going, see you there" is conversation, not an
answer, and ambiguous words ("yes", "no", "si") are left out.
"""

from __future__ import annotations

import re
import unicodedata

from server.i18n import lazy_gettext
from server.services.rsvp import Answer

#: Told to people on other servers with every RSVP message (in the group's language: the
#: words suggested are that language's; any language's are understood).
CHANGE_HINT = lazy_gettext("To change your answer, reply “going”, “maybe” or “can't go”.")

_PHRASES: dict[Answer, tuple[str, ...]] = {
    "going": (
        # English
        "going",
        "i'm going",
        "im going",
        "i am going",
        "i'll be there",
        "count me in",
        "attending",
        # French
        "je viens",
        "j'y vais",
        "j'y serai",
        "je serai la",
        "present",
        "presente",
        # German
        "ich komme",
        "komme",
        "ich bin dabei",
        "bin dabei",
        "dabei",
        # Spanish
        "voy",
        "yo voy",
        "asistire",
        "alli estare",
        "ahi estare",
    ),
    "maybe": (
        "maybe",
        "perhaps",
        "might go",
        "peut etre",
        "vielleicht",
        "quizas",
        "quiza",
        "tal vez",
        "a lo mejor",
    ),
    "not_going": (
        "can't go",
        "cant go",
        "cannot go",
        "can't make it",
        "cant make it",
        "not going",
        "i'm not going",
        "je ne viens pas",
        "je viens pas",
        "je ne peux pas",
        "ich komme nicht",
        "komme nicht",
        "ich kann nicht",
        "kann nicht",
        "no voy",
        "no puedo",
        "no puedo ir",
        "no podre ir",
    ),
}
_ANSWERS: dict[str, Answer] = {
    phrase: answer for answer, phrases in _PHRASES.items() for phrase in phrases
}
_EDGES = re.compile(r"^[^\w']+|[^\w']+$")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'"})


def normalize(text: str) -> str:
    """Plain text as compared: no mentions (``@club``, ``@club@town.example``), no accents,
    casefolded, hyphens as spaces, no punctuation or emoji around it."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = [word for word in bare.replace("-", " ").split() if not word.startswith("@")]
    return _EDGES.sub("", " ".join(words))


def answer_in(text: str) -> Answer | None:
    """The RSVP answer a short reply gives, or None if it is not one of the phrases."""
    return _ANSWERS.get(normalize(text))
