"""A fediverse of sink servers on 127.0.0.1 for tests with real ``hearth`` processes.

One uvicorn server in a background thread listens on several ports (each port is a separate
host to Hearth's queue). It serves actor documents (all actors share one key pair, to save
key generation) and records every POST to an inbox. Sinks can answer slowly (``delay``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.flows.peer import AS_CONTEXT, AS_TYPE, new_key, public_pem, sign_cavage


@dataclass(frozen=True)
class Delivered:
    """One inbox POST a sink received."""

    inbox: str
    activity: dict[str, Any]


@dataclass
class Sinks:
    """The sink servers: ``ports`` listening sockets served by one thread."""

    count: int
    delay: float = 0.0
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    received: list[Delivered] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets = [
            socket.create_server(("127.0.0.1", 0), backlog=2048) for _ in range(self.count)
        ]
        self.ports = [sock.getsockname()[1] for sock in self._sockets]
        app = Starlette(
            routes=[
                Route("/users/{name}", self._actor, methods=["GET"]),
                Route("/users/{name}/inbox", self._inbox, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=self._sockets))

    def __enter__(self) -> Sinks:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def origin(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index % len(self.ports)]}"

    def actor_uri(self, index: int) -> str:
        """The ``index``-th actor, spread round-robin over the ports."""
        return f"{self.origin(index)}/users/a{index}"

    def snapshot(self) -> list[Delivered]:
        with self._lock:
            return list(self.received)

    def signed_post(
        self, index: int, url: str, activity: dict[str, Any]
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a POST signed by actor ``index`` (as Mastodon signs)."""
        body = json.dumps(activity).encode()
        headers = sign_cavage(self.key, f"{self.actor_uri(index)}#main-key", "POST", url, body)
        return body, headers

    async def _actor(self, request: Request) -> Response:
        uri = f"http://{request.headers['host']}/users/{request.path_params['name']}"
        document = {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": request.path_params["name"],
            "inbox": f"{uri}/inbox",
            "publicKey": {
                "id": f"{uri}#main-key",
                "owner": uri,
                "publicKeyPem": public_pem(self.key),
            },
        }
        return JSONResponse(document, media_type=AS_TYPE)

    async def _inbox(self, request: Request) -> Response:
        body = await request.body()
        if self.delay:
            await asyncio.sleep(self.delay)
        inbox = f"http://{request.headers['host']}{request.url.path}"
        with self._lock:
            self.received.append(Delivered(inbox, json.loads(body)))
        return Response(status_code=202)
