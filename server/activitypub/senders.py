"""What the worker needs to send an activity: its body and the local actor that signs it.

A fan-out sends one activity to thousands of inboxes over many worker rounds; reading the
activity and its actor's key again for every batch of 64 was a transaction per round. A
burst of first contacts is the other way round: a thousand Follows, each answered by an
Accept of its own from the same group. ``Senders`` remembers activities by id and signers
by actor URI, each for ``TTL_SECONDS`` (an activity's body never changes; a key rotated or
an account suspended meanwhile is picked up within that time), and reads what it lacks in
one transaction: the activities in one query, then each actor not remembered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.local import LocalActor, local_actor_by_uri
from server.db import transaction
from server.models import OutboxActivity
from server.ttl_cache import ttl_cache
from server.uris import LocalUris

TTL_SECONDS = 30.0
MAX_ACTIVITIES = 512
MAX_SIGNERS = 1024

#: One activity's body and signer; ``None`` when the activity or its actor is gone.
Sender = tuple[bytes, LocalActor] | None
#: An activity as the worker sends it: its body and the URI of the actor that signs it.
Activity = tuple[bytes, str]


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
        self._activities: TTLCache[int, Activity] = ttl_cache(
            TTL_SECONDS, max_entries=MAX_ACTIVITIES, clock=clock
        )
        self._signers: TTLCache[str, LocalActor] = ttl_cache(
            TTL_SECONDS, max_entries=MAX_SIGNERS, clock=clock
        )

    async def get(self, activity_ids: Iterable[int]) -> dict[int, Sender]:
        """The sender of each activity; what is not remembered is read in one transaction."""
        wanted = set(activity_ids)
        activities = {i: a for i in wanted if (a := self._activities.get(i)) is not None}
        signers = self._remembered_signers(activities.values())
        unsigned = {actor for _, actor in activities.values()} - signers.keys()
        if (missing := wanted - activities.keys()) or unsigned:
            async with transaction(self.sessions) as session:
                loaded = await _activities(session, missing) if missing else {}
                activities |= loaded
                signers |= self._remembered_signers(loaded.values())
                unsigned = {actor for _, actor in activities.values()} - signers.keys()
                signers |= await self._read_signers(session, unsigned)
            # Only what exists is remembered: a suspended user may be let back in.
            self._activities.update(loaded)
        return {i: _sender(activities.get(i), signers) for i in wanted}

    def _remembered_signers(self, activities: Iterable[Activity]) -> dict[str, LocalActor]:
        actors = {actor for _, actor in activities}
        return {actor: s for actor in actors if (s := self._signers.get(actor)) is not None}

    async def _read_signers(self, session: AsyncSession, actors: set[str]) -> dict[str, LocalActor]:
        signers = {}
        for actor in actors:
            if (signer := await local_actor_by_uri(session, self.uris, actor)) is not None:
                signers[actor] = self._signers[actor] = signer
        return signers


async def _activities(session: AsyncSession, ids: set[int]) -> dict[int, Activity]:
    """The body and actor of each of these activities that still exists, in one query."""
    query = select(OutboxActivity.id, OutboxActivity.body, OutboxActivity.actor_uri).where(
        col(OutboxActivity.id).in_(ids)
    )
    rows = (await session.exec(query)).all()
    return {int(i): (body.encode(), actor) for i, body, actor in rows if i is not None}


def _sender(activity: Activity | None, signers: dict[str, LocalActor]) -> Sender:
    if activity is None or (signer := signers.get(activity[1])) is None:
        return None
    return activity[0], signer
