"""A hostile fediverse server for the adversarial suite: it answers each path with whatever
the test scripted (any status, media type, body or redirect) and counts every hit.

Its accounts sign like the flow tests' peer (``tests.flows.peer``), so the same server can
both attack an inbox and serve the documents the attacked instance then fetches.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.flows.peer import AS_TYPE, JsonObject, PeerActor


@dataclass
class Scripted:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Hostile:
    """A server at ``host`` that answers each path as scripted (404 otherwise)."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.answers: dict[str, Scripted] = {}
        self.hits: Counter[str] = Counter()
        self.received: list[tuple[str, str, bytes]] = []
        self.app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])

    def url(self, path: str) -> str:
        return f"https://{self.host}{path}"

    def serve(
        self,
        path: str,
        document: JsonObject | bytes,
        *,
        status: int = 200,
        content_type: str = AS_TYPE,
        **headers: str,
    ) -> str:
        """Answer GETs of ``path`` with ``document``; returns the absolute URL."""
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.answers[path] = Scripted(status, body, {"content-type": content_type, **headers})
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        """Answer ``path`` with a redirect to ``location``."""
        self.answers[path] = Scripted(status, b"", {"location": location})
        return self.url(path)

    def actor(self, name: str, /, **overrides: Any) -> PeerActor:
        """An account on this server whose actor document is served (fields overridable)."""
        account = PeerActor(self.host, name)
        self.serve(f"/users/{name}", {**account.document(), **overrides})
        return account

    async def _answer(self, request: Request) -> Response:
        path = request.url.path
        self.hits[path] += 1
        self.received.append((request.method, path, await request.body()))
        scripted = self.answers.get(path)
        if scripted is None or request.method != "GET":
            return Response(status_code=404 if scripted is None else 202)
        return Response(scripted.body, status_code=scripted.status, headers=scripted.headers)
