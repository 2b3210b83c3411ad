"""Mobilizon's refresh of a remote group, re-implemented faithfully for the tests from
framasoft/mobilizon ``lib/federation/activity_pub/refresher.ex`` (``fetch_group``,
``fetch_collection``, ``process_collection``), ``fetcher.ex`` (``fetch``: a signed GET with
``Accept: application/activity+json``, any 2xx with a JSON object is a success) and
``activity_stream/converter/actor.ex`` (``as_to_model_data``: the collection URLs are read
from the top level of the actor document).

``refresh_group`` returns what each collection handed to ``handling_element``, or raises
:class:`RefreshStopped` naming the collection where Mobilizon's ``with`` chain stops."""

from __future__ import annotations

from typing import Any

import httpx

from tests.flows.peer import AS_TYPE, PeerActor, sign_cavage

#: The order of the ``with`` chain in ``fetch_group``.
CHAIN = ("outbox", "members", "resources", "posts", "todos", "discussions", "events")
GET_SIGNED = ("(request-target)", "host", "date")


class RefreshStopped(Exception):
    """The chain stopped: ``(collection, reason)`` as Mobilizon's error atoms say it."""


async def _fetch(http: httpx.AsyncClient, url: str, on_behalf_of: PeerActor) -> Any:
    """``Fetcher.fetch``: signed on behalf of a member (or the relay actor)."""
    headers = {"Accept": AS_TYPE}
    headers |= sign_cavage(
        on_behalf_of.key, on_behalf_of.key_id, "GET", url, b"", signed=GET_SIGNED
    )
    response = await http.get(url, headers=headers)
    if not 200 <= response.status_code <= 299:
        return None
    try:
        return response.json()
    except ValueError:
        return None


async def _process(
    http: httpx.AsyncClient, data: Any, on_behalf_of: PeerActor, depth: int = 0
) -> list[Any] | None:
    """``process_collection``: items inline (``orderedItems``, or Lemmy's ``items``), or a
    ``first`` page embedded or by URL; anything else is ``:error``."""
    if not isinstance(data, dict) or depth > 3:
        return None
    kind = data.get("type")
    if kind in ("OrderedCollection", "OrderedCollectionPage"):
        if "orderedItems" in data:
            items = data["orderedItems"]
            return list(items) if isinstance(items, list) else None
        if "items" in data:
            return _process_items(data["items"])
    if kind == "OrderedCollection" and isinstance(data.get("first"), dict):
        return await _process(http, data["first"], on_behalf_of, depth + 1)
    if kind == "OrderedCollection" and isinstance(data.get("first"), str):
        page = await _fetch(http, data["first"], on_behalf_of)
        return await _process(http, page, on_behalf_of, depth + 1)
    return None


def _process_items(items: Any) -> list[Any] | None:
    return list(items) if isinstance(items, list) else None


async def refresh_group(
    http: httpx.AsyncClient, group_url: str, on_behalf_of: PeerActor
) -> dict[str, list[Any]]:
    """``Refresher.fetch_group``: the actor, then each collection in order."""
    actor = await _fetch(http, group_url, on_behalf_of)
    if not isinstance(actor, dict) or actor.get("type") != "Group":
        raise RefreshStopped("actor", "http_error")
    handled: dict[str, list[Any]] = {}
    for name in CHAIN:
        url = actor.get(name)
        if not isinstance(url, str):
            raise RefreshStopped(name, "collection_url_nil")
        data = await _fetch(http, url, on_behalf_of)
        if data is None:
            raise RefreshStopped(name, "fetch_error")
        items = await _process(http, data, on_behalf_of)
        if items is None:
            raise RefreshStopped(name, "process_error")
        handled[name] = items
    return handled
