"""FederationNet: several Hearth instances in one process, talking over an httpx transport
that routes ``a.test``, ``b.test``… to their ASGI apps and refuses every other host.

Signatures, WebFinger, fetches and deliveries are all real; only the network is simulated.
``await net.drain()`` runs every instance's worker until nothing is left to do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from server.activitypub.runtime import runtime_of
from server.app import create_app
from server.config import Settings, load_settings
from server.db import create_engine, session_factory, transaction
from server.uris import LocalUris
from tests.databases import DatabaseFactory
from tests.web import WebClient

MAX_ROUNDS = 100


class HostRouter(httpx.AsyncBaseTransport):
    """Sends each request to the app registered for its host; unknown hosts are refused."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}
        self.requests: list[httpx.Request] = []
        self.down: set[str] = set()

    def add(self, host: str, app: Any) -> None:
        self.apps[host] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        host = request.url.netloc.decode()
        if host in self.down or host not in self.apps:
            raise httpx.ConnectError(f"connection refused by {host}", request=request)
        if client := request.extensions.get("client_ip"):
            # A request from another address: ``extensions={"client_ip": "203.0.113.9"}``.
            transport = httpx.ASGITransport(app=self.apps[host].app, client=(client, 40000))
            return await transport.handle_async_request(request)
        return await self.apps[host].handle_async_request(request)


@dataclass
class Instance:
    """One Hearth server on the simulated network."""

    name: str
    settings: Settings
    app: Any
    engine: AsyncEngine
    web: WebClient

    @property
    def uris(self) -> LocalUris:
        return LocalUris(self.settings)

    async def run(self, func: Any) -> Any:
        """Run ``func(session)`` in a committed transaction on this instance's database."""
        async with transaction(session_factory(self.engine)) as session:
            return await func(session)


class FederationNet:
    """A small fediverse of Hearth instances."""

    def __init__(self, workdir: Path, databases: DatabaseFactory) -> None:
        self.workdir = workdir
        self.databases = databases
        self.router = HostRouter()
        self.http = httpx.AsyncClient(transport=self.router, timeout=10.0)
        self.instances: dict[str, Instance] = {}
        self._clients: list[httpx.AsyncClient] = []

    async def add(self, name: str, **sections: dict[str, Any]) -> Instance:
        """Start ``https://<name>.test`` with its own database, keys and settings."""
        database = await self.databases.new()
        base = load_settings(None, env={})
        changes: dict[str, Any] = {
            "instance": dataclasses.replace(
                base.instance, domain=f"{name}.test", scheme="https", name=name.upper()
            ),
            "server": dataclasses.replace(
                base.server, data_dir=str(self.workdir / name), run_worker=False
            ),
            "database": dataclasses.replace(
                base.database, url=database.url, schema=database.schema
            ),
        }
        for section, values in sections.items():
            changes[section] = dataclasses.replace(
                changes.get(section, getattr(base, section)), **values
            )
        settings = dataclasses.replace(base, **changes)
        engine = create_engine(settings.database_url, settings.database.schema)
        app = create_app(settings, http=self.http, engine=engine, run_worker=False)
        self.router.add(settings.instance.domain, app)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=settings.base_url
        )
        self._clients.append(client)
        instance = Instance(name, settings, app, engine, WebClient(client, app))
        self.instances[name] = instance
        return instance

    async def drain(self) -> int:
        """Run every worker until all are idle; returns the number of rounds."""
        for rounds in range(1, MAX_ROUNDS + 1):
            busy = False
            for instance in self.instances.values():
                report = await runtime_of(instance.app).worker.run_once()
                busy = busy or report.busy
            if not busy:
                return rounds
        raise AssertionError(f"the network was still busy after {MAX_ROUNDS} rounds")

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()
        await self.http.aclose()
        for instance in self.instances.values():
            await instance.engine.dispose()
