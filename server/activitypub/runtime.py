"""The app's runtime: what ``server.app.create_app`` built at start (settings, database, HTTP
clients, federation policy, remote reader, inbox writer, worker…), typed, reached from a
request with ``runtime(request)`` and from the app with ``runtime_of(app)``.

Three layers see it: every layer its base (``server.request_scope.CoreRuntime``), the
ActivityPub side and the API this ``Runtime``, the HTML pages ``server.web.runtime.WebRuntime``
(templates, login throttle, feed cache…). ``app.state`` holds this one object, as ``runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from cachetools import TTLCache
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from federation.delivery import Poster
from server.activitypub.inbox_writer import InboxWriter
from server.activitypub.remote import Remote
from server.request_scope import CoreRuntime
from server.services.federation_policy import DomainPolicy

if TYPE_CHECKING:
    from server.activitypub.move import MovedGroups
    from server.activitypub.worker import Worker


class Clearable(Protocol):
    """The HTML pages' read cache (``server.web.read_cache.ReadCache``), as the worker and
    the API see it: they only empty it."""

    def clear(self) -> None: ...


class TokenTaker(Protocol):
    """Rate-limit buckets (``server.web.rate_limit.TokenBuckets``): ``take`` spends a token
    of ``key`` and returns how long to wait first (0: go ahead)."""

    def take(self, key: str, limit: int, now: float | None = None) -> float: ...


@dataclass(kw_only=True, eq=False)
class Runtime(CoreRuntime):
    """Everything one app instance holds for its lifetime."""

    #: What the worker POSTs activities with; None when a client was injected (tests): the
    #: worker then posts with ``http``.
    poster: Poster | None
    policy: DomainPolicy
    remote: Remote
    inbox_writer: InboxWriter
    #: The pages' read cache, emptied when something they show changed.
    read_cache: Clearable
    #: Request allowances by client address, and inbox allowances by domain.
    rate_buckets: TokenTaker
    #: Personal inboxes found valid lately (``server.activitypub.inbox``).
    inbox_recipients: TTLCache[str, bool]
    #: Groups that moved away, as last read (None: read again on the next request).
    moved_groups: MovedGroups | None = None
    worker: Worker = field(init=False)

    def __post_init__(self) -> None:
        # Imported here: the worker's modules read the runtime (no import cycle).
        from server.activitypub.worker import Worker

        self.worker = Worker(self)


def runtime_of(app: Starlette) -> Runtime:
    """The runtime ``create_app`` built for ``app``."""
    found = app.state.runtime
    if not isinstance(found, Runtime):
        raise TypeError("this app was not built by server.app.create_app")
    return found


def runtime(request: HTTPConnection) -> Runtime:
    """The runtime of the app serving ``request``."""
    return runtime_of(request.app)
