"""What became of an inbox activity: a kind the code decides on (retry it or not) and the
text the inbox row keeps and the log shows (the admins read it; tests compare it).

The text is the one the handlers always wrote ("accepted", "ignored: not a member",
"refused: …", "failed: …"); the kind is no longer read back from it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OutcomeKind(StrEnum):
    """How an activity's processing ended."""

    #: It changed something here or was answered ("accepted", "stored post", "relayed by …").
    HANDLED = "handled"
    #: Not for us, or nothing to do ("ignored: …").
    IGNORED = "ignored"
    #: For us, but not allowed or not usable ("refused: …", "not relayed by …: …").
    REFUSED = "refused"
    #: Could not be done now (a remote server did not answer): tried again later.
    FAILED = "failed"
    #: A bug: logged with its traceback, tried again a few times.
    ERROR = "error"


#: Kinds whose activity is tried again (up to the worker's limit).
RETRIED = frozenset({OutcomeKind.FAILED, OutcomeKind.ERROR})


@dataclass(frozen=True)
class Outcome:
    """An activity's outcome: ``kind`` for the code, ``text`` for people."""

    kind: OutcomeKind
    text: str

    @property
    def retried(self) -> bool:
        """Whether the activity is tried again."""
        return self.kind in RETRIED

    def __str__(self) -> str:
        return self.text


def handled(text: str) -> Outcome:
    """It was done: ``text`` says what."""
    return Outcome(OutcomeKind.HANDLED, text)


def ignored(reason: str) -> Outcome:
    """Nothing to do: recorded as ``ignored: <reason>``."""
    return Outcome(OutcomeKind.IGNORED, f"ignored: {reason}")


def refused(text: str) -> Outcome:
    """Not allowed or not usable: ``text`` (recorded as given) says why."""
    return Outcome(OutcomeKind.REFUSED, text)


def failed(reason: str) -> Outcome:
    """Could not be done now, tried again: recorded as ``failed: <reason>``."""
    return Outcome(OutcomeKind.FAILED, f"failed: {reason}")


def error(name: str) -> Outcome:
    """A bug (``name``: the exception's type), tried again: recorded as ``error: <name>``."""
    return Outcome(OutcomeKind.ERROR, f"error: {name}")
