"""The services' domain events (:mod:`server.services.outbound`) always reach the outbound
side: every event type has a handler once ``server.activitypub`` is imported, and an event
without one is refused rather than dropped (which would lose an activity silently)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import server.activitypub  # noqa: F401  (registers the handlers)
from server.services import outbound

ROOT = Path(__file__).resolve().parents[2]


def _event_types(base: type[outbound.DomainEvent]) -> list[type[outbound.DomainEvent]]:
    found = []
    for kind in base.__subclasses__():
        if kind.__module__ == outbound.__name__:
            found += [kind, *_event_types(kind)]
    return found


def test_every_domain_event_has_a_handler() -> None:
    kinds = _event_types(outbound.DomainEvent)
    assert len(kinds) >= 10
    assert [k.__name__ for k in kinds if k not in outbound._handlers] == []


async def test_an_event_without_a_handler_is_refused() -> None:
    class Unheard(outbound.DomainEvent):
        pass

    with pytest.raises(outbound.UnhandledEvent, match="Unheard"):
        await outbound.emit(None, Unheard(uris=None))  # type: ignore[arg-type]


def test_services_alone_have_no_handlers() -> None:
    """Importing the services does not pull in the ActivityPub side (no hidden upward import)."""
    code = (
        "import sys, server.services.outbound as o, server.services.posts, "
        "server.services.event_publishing, server.services.conversations; "
        "print(len(o._handlers), 'server.activitypub' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["0", "False"]
