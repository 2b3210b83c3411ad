"""Likes and boosts of group posts and meetups from the fediverse: recorded once per person,
taken back by an ``Undo``, counted for the pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import Reaction

Key = TypeVar("Key")


@dataclass(frozen=True)
class Reactions:
    """How many people liked and boosted one post or meetup."""

    likes: int = 0
    boosts: int = 0


async def record(
    session: AsyncSession, kind: str, activity_uri: str, actor_uri: str, object_uri: str
) -> bool:
    """Count one Like or Announce; False when this person's was already counted."""
    query = select(Reaction.id).where(
        Reaction.kind == kind, Reaction.actor_uri == actor_uri, Reaction.object_uri == object_uri
    )
    if (await session.exec(query)).first() is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                Reaction(
                    kind=kind,
                    activity_uri=activity_uri[:2048],
                    actor_uri=actor_uri,
                    object_uri=object_uri,
                )
            )
    except IntegrityError:  # the same reaction, processed by another worker meanwhile
        return False
    return True


async def withdraw(
    session: AsyncSession, actor_uri: str, activity_uri: str | None, kind: str, object_uri: str
) -> int:
    """Remove the reaction an ``Undo`` names: by the id of the Like or Announce, or (an
    embedded one without an id) by its type and object. Only the actor's own."""
    query = select(Reaction).where(Reaction.actor_uri == actor_uri)
    if activity_uri:
        query = query.where(Reaction.activity_uri == activity_uri)
    elif kind and object_uri:
        query = query.where(Reaction.kind == kind, Reaction.object_uri == object_uri)
    else:
        return 0
    found = list((await session.exec(query)).all())
    for reaction in found:
        await session.delete(reaction)
    return len(found)


async def counts(session: AsyncSession, object_uris: list[str]) -> dict[str, Reactions]:
    """Likes and boosts of each of these objects (absent: none)."""
    if not object_uris:
        return {}
    query = (
        select(Reaction.object_uri, Reaction.kind, func.count())
        .where(col(Reaction.object_uri).in_(object_uris))
        .group_by(col(Reaction.object_uri), col(Reaction.kind))
    )
    tally: dict[str, dict[str, int]] = {}
    for uri, kind, number in (await session.exec(query)).all():
        tally.setdefault(uri, {})[kind] = number
    return {
        uri: Reactions(likes=found.get("Like", 0), boosts=found.get("Announce", 0))
        for uri, found in tally.items()
    }


async def reactions_of(session: AsyncSession, object_uri: str) -> Reactions:
    """Likes and boosts of one post or meetup."""
    return (await counts(session, [object_uri])).get(object_uri, Reactions())


async def counts_by_key(session: AsyncSession, uris: Mapping[Key, str]) -> dict[Key, Reactions]:
    """Likes and boosts of several objects, keyed as given (e.g. post id → its URI)."""
    found = await counts(session, list(uris.values()))
    return {key: found[uri] for key, uri in uris.items() if uri in found}
