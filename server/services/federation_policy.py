"""What this instance decided about other servers: the config's mode and lists
(``federation`` in the config) plus the admins' decisions kept in
the database — suspended and silenced domains, blocked accounts.

The decisions are held in memory and reloaded at most every :data:`RELOAD_SECONDS`, so a
change an admin makes in one process applies in every process without a restart (at once
in the process that made it).
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import FEDERATION_MODES, Settings
from server.db import transaction
from server.models import ActorBlock, InstanceSetting
from server.models import DomainPolicy as DomainPolicyRow

RELOAD_SECONDS = 5.0
#: The instance setting that overrides the config's ``federation.mode``.
MODE_KEY = "federation_mode"


def domain_matches(host: str, domains: list[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one."""
    host = host.lower().split(":")[0] if not host.startswith("[") else host.lower()
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)


class DomainPolicy:
    """The live federation policy of one instance."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.mode_override = ""
        self.suspended: list[str] = []
        self.allowed: list[str] = []
        self.silenced_domains: list[str] = []
        self.blocked_actors: set[str] = set()
        self._loaded_at = float("-inf")
        self._reload_lock = asyncio.Lock()

    @property
    def mode(self) -> str:
        """``open``, ``blocklist`` or ``allowlist``: the admins' choice, else the config's."""
        return self.mode_override or self.settings.federation.mode

    def allows(self, host: str) -> bool:
        """Whether we exchange anything with ``host``: never with a blocked or suspended
        domain; in allowlist mode, only with allowed ones (config or admins)."""
        federation = self.settings.federation
        if domain_matches(host, [*federation.blocked_domains, *self.suspended]):
            return False
        if self.mode == "allowlist":
            return domain_matches(host, [*federation.allowed_domains, *self.allowed])
        return True

    def silenced(self, host: str) -> bool:
        """Whether posts from ``host`` stay unrelayed by groups."""
        return domain_matches(host, self.silenced_domains)

    def actor_blocked(self, uri: str) -> bool:
        """Whether the admins blocked this remote account."""
        return uri in self.blocked_actors

    async def refresh(self, *, force: bool = False) -> None:
        """Reload the admins' decisions if they are older than :data:`RELOAD_SECONDS`
        (or ``force``). The requests that find them old together share one reload."""
        if not force and self._is_fresh():
            return
        async with self._reload_lock:
            if not force and self._is_fresh():
                return  # reloaded while this one waited
            async with transaction(self.sessions) as session:
                await self.load(session)

    def _is_fresh(self) -> bool:
        return time.monotonic() - self._loaded_at < RELOAD_SECONDS

    async def load(self, session: AsyncSession) -> None:
        """Read the decisions in ``session`` (also used right after an admin changes one)."""
        rows = (await session.exec(select(DomainPolicyRow))).all()
        self.suspended = [row.domain for row in rows if row.action == "suspend"]
        self.allowed = [row.domain for row in rows if row.action == "allow"]
        override = await session.get(InstanceSetting, MODE_KEY)
        self.mode_override = (
            override.value if override is not None and override.value in FEDERATION_MODES else ""
        )
        self.silenced_domains = [row.domain for row in rows if row.action == "silence"]
        self.blocked_actors = set((await session.exec(select(ActorBlock.actor_uri))).all())
        self._loaded_at = time.monotonic()
