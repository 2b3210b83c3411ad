"""Hearth's meetups as Gancio, Mobilizon, Friendica and Mastodon read them (issue #22).

An organizer on B publishes, edits and deletes meetups through the web form; the Create,
Update and Delete a follower's server receives go through re-implementations of each peer's
reader (``tests/flows/peer_readers.py``, which cites the files it follows) to show what that
peer's users would see: the place with its address, the online link, the picture, the time
zone, the group the meetup is filed under, and no collapsed post.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows import peer_readers as readers
from tests.flows.peer import Peer
from tests.flows.scenes import follow_from_peer, organize_group
from tests.server.images import png

CLUB = "https://b.test/groups/club"
ORGANIZER = "https://b.test/users/organizer"
LINK = "https://meet.example/repair"
ONLINE_ONLY = {
    **FORM,
    **dict.fromkeys(("venue_name", "street", "postal_code", "locality", "country"), ""),
    **dict.fromkeys(("latitude", "longitude"), ""),
    "online_url": LINK,
}


async def _club(net: FederationNet, peer: Peer) -> Instance:
    b = await net.add("b")
    await organize_group(b, "club")
    await follow_from_peer(net, peer, peer.add_actor("bob"), b, "club")
    peer.received.clear()
    return b


async def _submit(
    net: FederationNet, b: Instance, path: str, data: dict[str, str], **files: Any
) -> str:
    form_page = path if path.endswith(("/new", "/edit")) else path.rsplit("/", 1)[0] + "/edit"
    response = await b.web.post_form(path, data, csrf_from=form_page, files=files or None)
    assert response.status_code == 303, response.text
    await net.drain()
    return f"https://b.test{response.headers['location']}"


def _last(peer: Peer, kind: str) -> dict[str, Any]:
    """The last ``kind`` about the Event (not its RSVP poll) that the peer received."""
    sent = [r.json() for r in peer.posts() if r.json()["type"] == kind]
    about_event = [a for a in sent if "Question" not in json.dumps(a) and "/poll" not in _id(a)]
    return about_event[-1]


def _id(activity: dict[str, Any]) -> str:
    obj = activity["object"]
    return str(obj.get("id") if isinstance(obj, dict) else obj)


async def _is_image(net: FederationNet, url: str) -> bool:
    response = await net.http.get(url)
    return response.status_code == 200 and response.headers["content-type"].startswith("image/")


async def test_a_meetup_with_a_place_a_link_and_a_cover_reads_right_everywhere(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, peer)
    cover = {"cover": ("tools.png", png(4, 3), "image/png")}
    event = await _submit(net, b, "/groups/club/events/new", {**FORM, "online_url": LINK}, **cover)
    create = _last(peer, "Create")
    [picture] = [a["url"] for a in create["object"]["attachment"] if a["type"] == "Document"]
    assert await _is_image(net, picture)

    gancio = readers.gancio_create(create)
    assert gancio["title"] == "Repair café"
    place = gancio["place"]
    assert place["name"] == "Community hall, 12 Main St, 69001 Lyon"
    assert place["address"] == "12 Main St, Lyon, France"
    assert (place["latitude"], place["longitude"]) == (45.76, 4.83)
    assert (gancio["image_url"], gancio["tags"]) == (picture, ["repair", "diy"])
    assert gancio["start_datetime"] == 1904126400  # 2030-05-04 14:00 Paris
    # A meetup with a place and a link: Gancio files it at the place (one location object,
    # as Mobilizon needs); the link reaches Mobilizon and Hearth through the Website Link.
    assert gancio["online_locations"] == []

    mobilizon = readers.mobilizon_handle(create)
    assert (mobilizon["attributed_to"], mobilizon["organizer_actor"]) == (CLUB, ORGANIZER)
    assert readers.mobilizon_can_manage(CLUB, mobilizon)  # the group's Accept{Join} counts
    assert mobilizon["physical_address"] | {"geom": None} == {
        "description": "Community hall, 12 Main St, 69001 Lyon",
        "url": None,
        "country": "France",
        "postal_code": "69001",
        "region": None,
        "street": "12 Main St",
        "locality": "Lyon",
        "geom": None,
    }
    assert mobilizon["physical_address"]["geom"] == (4.83, 45.76)
    assert (mobilizon["timezone"], mobilizon["online_address"]) == ("Europe/Paris", LINK)
    assert (mobilizon["picture"], mobilizon["tags"]) == (picture, ["repair", "diy"])

    friendica = readers.friendica_event(create)
    assert friendica["summary"] == "Repair café"
    assert friendica["location"] == "Community hall, 12 Main St, 69001 Lyon"
    assert friendica["content_warning"] == ""  # not collapsed
    assert "broken lamps" in friendica["desc"]
    assert friendica["start"] == "2030-05-04T14:00:00+02:00"

    mastodon = readers.mastodon_status(create["object"])
    when = "Sat 4 May 2030, 14:00–17:00 (Europe/Paris) · Community hall, Lyon · Online"
    assert mastodon == {"text": f"<h2>Repair café</h2>\n\n{when}\n\n{event}", "media": [picture]}

    edited = {**FORM, "online_url": LINK, "title": "Repair café (moved)", "venue_name": "Library"}
    await _submit(net, b, event.removeprefix("https://b.test") + "/edit", edited)
    update = _last(peer, "Update")
    moved = readers.gancio_update(update, gancio)
    assert moved["title"] == "Repair café (moved)"
    assert moved["place"]["name"] == "Library, 12 Main St, 69001 Lyon"
    assert moved["image_url"] == picture
    assert readers.mobilizon_handle(update)["physical_address"]["description"].startswith("Lib")
    assert readers.friendica_event(update)["location"] == "Library, 12 Main St, 69001 Lyon"

    await _submit(net, b, event.removeprefix("https://b.test") + "/delete", {})
    delete = _last(peer, "Delete")
    assert readers.gancio_delete(delete) == event
    assert readers.friendica_deleted_id(delete) == event
    assert readers.mobilizon_deleted_id(delete) == event
    gone = await net.http.get(event, headers={"Accept": "application/activity+json"})
    assert gone.status_code in (404, 410)  # Mobilizon deletes its copy once the fetch says so


async def test_an_online_meetup_keeps_its_link_zone_and_edits_in_gancio_and_mobilizon(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, peer)
    event = await _submit(net, b, "/groups/club/events/new", ONLINE_ONLY)
    create = _last(peer, "Create")
    assert create["object"]["location"]["type"] == "Place"  # one object, not a list

    gancio = readers.gancio_create(create)
    assert gancio["online_locations"] == [LINK]
    assert gancio["place"] == {"name": "online", "address": "online"}

    mobilizon = readers.mobilizon_handle(create)
    assert (mobilizon["timezone"], mobilizon["online_address"]) == ("Europe/Paris", LINK)
    assert mobilizon["is_online"] is True
    assert readers.friendica_event(create)["location"] == "Online"

    await _submit(net, b, event.removeprefix("https://b.test") + "/edit", {**ONLINE_ONLY})
    update = _last(peer, "Update")
    edited = readers.gancio_update(update, gancio)  # attachment[0] has a url: no throw
    assert edited["place"] == {"name": "Online", "address": ""}
    assert await _is_image(net, edited["image_url"])
    assert readers.mastodon_status(update["object"])["media"] == [edited["image_url"]]


async def test_a_two_letter_title_reaches_mobilizon_with_its_day(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, peer)
    await _submit(net, b, "/groups/club/events/new", {**FORM, "title": "Go"})
    create = _last(peer, "Create")
    assert readers.mobilizon_handle(create)["title"] == "Go · Sat 4 May"
    with pytest.raises(readers.PeerRefused, match="3 to 200"):
        readers.mobilizon_event({**create["object"], "name": "Go"})


async def test_the_old_shape_is_refused_by_the_peers_readers(
    net: FederationNet, peer: Peer
) -> None:
    """The readers are strict where the peers are: a location list breaks Mobilizon, a Link
    first in ``attachment`` breaks Gancio's Update, a Delete by bare id leaves Gancio's copy."""
    b = await _club(net, peer)
    await _submit(net, b, "/groups/club/events/new", ONLINE_ONLY)
    create = _last(peer, "Create")
    obj = create["object"]
    listed = {**obj, "location": [obj["location"]]}
    with pytest.raises(readers.PeerRefused, match="get_address"):
        readers.mobilizon_event(listed)
    link_first = {**obj, "attachment": obj["attachment"][::-1]}
    stored = readers.gancio_create(create)
    with pytest.raises(readers.PeerRefused, match="getImageFromURL"):
        readers.gancio_update({**create, "type": "Update", "object": link_first}, stored)
    assert readers.gancio_delete({"type": "Delete", "object": obj["id"]}) is None
    summary_as_such = {**create, "@context": create["@context"][:2]}
    assert readers.friendica_event(summary_as_such)["content_warning"] == obj["summary"]


async def test_a_server_backfilling_the_outbox_after_a_follow_gets_the_meetup_as_it_is_now(
    net: FederationNet, peer: Peer
) -> None:
    """Gancio reads a followed actor's outbox right after following (``followActor`` →
    ``getOutbox`` → ``parseAPEvent`` in ``server/federation/helpers.js``)."""
    b = await _club(net, peer)
    event = await _submit(net, b, "/groups/club/events/new", FORM)
    gone = await _submit(net, b, "/groups/club/events/new", {**FORM, "title": "Picnic"})
    edited = {**FORM, "title": "Repair café (moved)", "start_time": "15:00", "end_time": "18:00"}
    await _submit(net, b, event.removeprefix("https://b.test") + "/edit", edited)
    await _submit(net, b, gone.removeprefix("https://b.test") + "/delete", {})

    headers = {"Accept": "application/activity+json"}
    outbox = (await net.http.get(f"{CLUB}/outbox", headers=headers)).json()
    page = (await net.http.get(outbox["first"], headers=headers)).json()
    creates = [item for item in page["orderedItems"] if item["object"]["type"] == "Event"]
    assert [item["object"]["id"] for item in creates] == [event]  # the deleted one is left out
    assert outbox["totalItems"] == len(page["orderedItems"]) == 2  # the Event and its poll
    backfilled = readers.gancio_create(creates[0])
    assert backfilled["title"] == "Repair café (moved)"
    assert backfilled["start_datetime"] == 1904130000  # 15:00 Paris
    assert "Picnic" not in json.dumps(page)


async def test_a_meetup_whose_place_is_not_known_yet_still_edits_in_gancio_and_keeps_its_zone(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club(net, peer)
    no_place = {**ONLINE_ONLY, "online_url": ""}
    event = await _submit(net, b, "/groups/club/events/new", no_place)
    create = _last(peer, "Create")
    stored = readers.gancio_create(create)
    assert stored["place"] == {"name": "Place to be announced", "address": "Place to be announced"}
    assert readers.mobilizon_handle(create)["timezone"] == "Europe/Paris"
    await _submit(
        net, b, event.removeprefix("https://b.test") + "/edit", {**no_place, "title": "Swap"}
    )
    assert readers.gancio_update(_last(peer, "Update"), stored)["title"] == "Swap"
