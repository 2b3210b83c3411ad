"""What the worker needs to send an activity: its body and the local actor that signs it.

A fan-out sends one activity to thousands of inboxes over many worker rounds; reading the
activity and its actor's key again for every batch of 64 was a transaction per round.
``Senders`` remembers them for ``TTL_SECONDS`` (an activity's body never changes; a key
rotated meanwhile is picked up within that time).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.local import LocalActor, local_actor_by_uri
from server.db import transaction
from server.models import OutboxActivity
from server.ttl_cache import ttl_cache
from server.uris import LocalUris

TTL_SECONDS = 30.0
MAX_ACTIVITIES = 512

#: One activity's body and signer; ``None`` when the activity or its actor is gone.
Sender = tuple[bytes, LocalActor] | None


class Senders:
    """Bodies and signers of outgoing activities, read once per ``TTL_SECONDS``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        uris: LocalUris,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.uris = uris
        self._known: TTLCache[int, tuple[bytes, LocalActor]] = ttl_cache(
            TTL_SECONDS, max_entries=MAX_ACTIVITIES, clock=clock
        )

    async def get(self, activity_ids: Iterable[int]) -> dict[int, Sender]:
        """The sender of each activity, reading the ones not remembered in one transaction."""
        wanted = set(activity_ids)
        found: dict[int, Sender] = {i: s for i in wanted if (s := self._known.get(i)) is not None}
        if missing := wanted - found.keys():
            loaded = await self._load(missing)
            found |= loaded
            # Only senders that exist are remembered: a suspended user may be let back in.
            self._known.update((i, sender) for i, sender in loaded.items() if sender)
        return found

    async def _load(self, activity_ids: set[int]) -> dict[int, Sender]:
        senders: dict[int, Sender] = {}
        async with transaction(self.sessions) as session:
            for activity_id in activity_ids:
                activity = await session.get(OutboxActivity, activity_id)
                signer = (
                    await local_actor_by_uri(session, self.uris, activity.actor_uri)
                    if activity is not None
                    else None
                )
                senders[activity_id] = (
                    (activity.body.encode(), signer) if activity and signer else None
                )
        return senders
