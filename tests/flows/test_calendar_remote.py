"""Meetups of groups followed on Friendica, Gancio and Mobilizon in My calendar (issue #22):
each in its own zone when the peer names one (Mobilizon's ``timezone``), else in this
instance's zone (Friendica and Gancio send offsets only); with its end, its online link, its
picture, its hashtags and its group — what a Mobilizon or Gancio user sees of it.

Fixtures: ``tests/federation/fixtures`` (see its README for the peer source each follows:
Friendica ``src/Protocol/ActivityPub/Transmitter.php``; Gancio ``server/api/models/event.js``
``toAP``; Mobilizon ``lib/federation/activity_stream/converter/event.ex``), moved to the peer
and to 2030.
"""

from __future__ import annotations

import re
from typing import Any

from server.models import RemoteEvent
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import JsonObject, Peer
from tests.flows.scenes import rows
from tests.flows.test_events_incoming import (
    PeerGroup,
    _calendar,
    _follow,
    _gancio_string_address,
    _group,
    _mobilizon,
    _send,
    moved_fixture,
)

VIENNA = {"timezone": "Europe/Vienna"}


async def _alice_in_vienna(net: FederationNet, peer: Peer, group: PeerGroup) -> Instance:
    a = await net.add("a", instance=VIENNA)
    await a.web.login_as_new("alice")
    await _follow(net, peer, a, group)
    return a


def _friendica(group: PeerGroup) -> JsonObject:
    author = "https://friendica.example/profile/anna"
    return moved_fixture("friendica_event.json", group, author, "2025-06-14")


def _item(calendar: str, name: str) -> str:
    """The calendar entry (``<li>…</li>``) of the meetup called ``name``."""
    start = calendar.rindex("<li", 0, calendar.index(name))
    return calendar[start : calendar.index("</li>", start)]


def _text(html: str) -> str:
    """What the entry reads as (screen readers hear the date the tile shows)."""
    return re.sub(r"<[^>]+>", "", html)


async def test_each_remote_meetup_shows_when_where_link_picture_and_tags(
    net: FederationNet, peer: Peer
) -> None:
    market = _group(peer, "market")
    a = await _alice_in_vienna(net, peer, market)
    for activity in (_friendica(market), _gancio_string_address(market), _mobilizon(market)):
        await _send(net, peer, activity, "stored event")
    calendar = await _calendar(a)

    # Friendica: UTC offsets only, no zone, no end: 13:00 UTC is 15:00 in Vienna.
    friendica = _item(calendar, "Nachbarschaftsfest")
    assert "Fri 14 Jun 2030, 15:00 (Europe/Vienna)" in _text(friendica)
    assert "Gemeindesaal, Hauptstraße 5, Graz" in friendica
    assert "UTC" not in friendica

    # Gancio: offsets only; the end, the online link, the picture and the tag are kept.
    gancio = _item(calendar, "Picture Show")
    assert "Fri 3 May 2030, 21:00–23:30 (Europe/Vienna)" in _text(gancio)
    assert '<a class="event-item-link" href="https://stream.gancio.example/picture-show"' in gancio
    assert "Join online" in gancio
    picture = "https://peer.test/media/36755574a6e48a1ccd3351d35e1a371f.jpg"
    assert f'<img class="event-thumb" src="{picture}"' in gancio
    assert "#Cinema" in gancio and "#cinema" not in gancio  # the same tag once
    assert '<a class="event-item-link" href="https://peer.test/users/market"' in gancio
    assert ">Market</a>" in gancio

    # Mobilizon names its zone: the meetup keeps it, wherever the viewer's instance is.
    mobilizon = _item(calendar, "Café réparation")
    assert "Fri 3 May 2030, 14:00–17:00 (Europe/Paris)" in _text(mobilizon)
    assert "https://visio.framasoft.org/cafe-reparation" in mobilizon

    stored = {row.name: row for row in await rows(a, RemoteEvent)}
    assert stored["Picture Show"].tag_list == ["Cinema"]
    assert stored["Picture Show"].image_url == picture
    assert stored["Nachbarschaftsfest"].ends_at is None
    assert (stored["Nachbarschaftsfest"].tag_list, stored["Nachbarschaftsfest"].image_url) == (
        [],
        "",
    )


async def test_an_edit_changes_the_picture_tags_and_end(net: FederationNet, peer: Peer) -> None:
    market = _group(peer, "market")
    a = await _alice_in_vienna(net, peer, market)
    create = _gancio_string_address(market)
    await _send(net, peer, create, "stored event")
    event: dict[str, Any] = dict(create["object"])
    event["attachment"] = []
    event["tag"] = [{"type": "Hashtag", "name": "#Open Air", "href": "https://peer.test/tag/x"}]
    event["endTime"] = "2030-05-04T00:15:00.000+02:00"
    await _send(net, peer, market.activity("Update", event), "event updated")
    [row] = await rows(a, RemoteEvent)
    assert (row.image_url, row.tag_list, row.online_url) == ("", ["Open Air"], row.online_url)
    entry = _item(await _calendar(a), "Picture Show")
    assert "Fri 3 May 21:00 – Sat 4 May 00:15 (Europe/Vienna)" in _text(entry)
    assert "<img" not in entry and "#Open Air" in entry
