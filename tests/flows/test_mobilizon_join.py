"""A Mobilizon person joins a Hearth meetup, with the ``Join`` exactly as Mobilizon sends it,
and gets the ``Accept`` Mobilizon's own inbox code takes as a confirmation (issue #14,
"Done when")."""

from __future__ import annotations

import uuid
from typing import Any

from server.models import Participation
from tests.events.conftest import FORM
from tests.federation_net import FederationNet
from tests.flows import peer_readers as mobilizon
from tests.flows.peer import AS_CONTEXT, AS_TYPE, Peer, PeerActor, fetch_public_key, verify_cavage
from tests.flows.relay_scenes import CLUB
from tests.flows.scenes import organize_group, rows


def mobilizon_join(person: PeerActor, event: str, message: str) -> dict[str, Any]:
    """A Join of a remote event as Mobilizon sends it: the body of
    lib/federation/activity_stream/converter/participant.ex ``model_to_as`` (``id`` the
    participant's URL ``/join/event/<uuid>``, ``actor``, ``object`` the event URL), plus
    ``participationMessage`` (lib/federation/activity_pub/actions/join.ex) and the audience of
    lib/federation/activity_pub/audience.ex ``get_audience(%Participant{})``: ``to`` the
    participant and the organizer (the group), ``cc`` the group's followers."""
    return {
        "@context": [
            AS_CONTEXT,
            "https://litepub.social/litepub/context.jsonld",
            {
                "mz": "https://joinmobilizon.org/ns#",
                "participationMessage": "mz:participationMessage",
            },
        ],
        "id": f"https://{person.host}/join/event/{uuid.uuid4()}",
        "type": "Join",
        "actor": person.uri,
        "object": event,
        "participationMessage": message,
        "to": [person.uri, CLUB],
        "cc": [f"{CLUB}/followers"],
    }


def _accept_counts_for_mobilizon(
    accept: dict[str, Any], join_id: str, event: dict[str, Any]
) -> bool:
    """lib/federation/activity_pub/transmogrifier.ex: ``Accept`` → ``get_participant``
    (``Utils.get_url(object)`` must be the participant's URL, i.e. the Join's id) →
    ``can_manage_event?`` (the accepting actor is the event's group, or its organizer)."""
    obj = accept["object"]
    accepted = obj.get("id") if isinstance(obj, dict) else obj
    return accepted == join_id and mobilizon.mobilizon_can_manage(accept["actor"], event)


async def test_a_mobilizon_join_of_a_meetup_is_counted_and_accepted_as_mobilizon_expects(
    net: FederationNet,
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    response = await b.web.post_form(
        "/groups/club/events/new", {**FORM, "capacity": "12"}, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    event = f"https://b.test{response.headers['location']}"
    await net.drain()
    mz = Peer("mobilizon.test")
    net.router.add(mz.host, mz.app)
    mia = mz.add_actor("mia")  # a Mobilizon person who does not follow the group

    join = mobilizon_join(mia, event, "I'll bring a cake")
    answer = await mz.post(net.http, f"{CLUB}/inbox", join)
    assert answer.status_code == 202, answer.text
    await net.drain()

    [seat] = await rows(b, Participation)
    assert (seat.actor_uri, seat.status, seat.activity_uri) == (mia.uri, "going", join["id"])
    document = (await net.http.get(event, headers={"Accept": AS_TYPE})).json()
    assert (document["participantCount"], document["remainingAttendeeCapacity"]) == (1, 11)
    read = mobilizon.mobilizon_event(document)  # how Mobilizon stores the meetup

    accepts = [r for r in mz.posts() if r.json()["type"] == "Accept"]
    assert len(accepts) == 1
    accept = accepts[0].json()
    assert _accept_counts_for_mobilizon(accept, join["id"], read)
    assert mia.uri in [*accept.get("to", []), *accept.get("cc", [])]
    key_id, pem = await fetch_public_key(net.http, CLUB)
    assert verify_cavage(accepts[0], pem)["keyId"] == key_id

    # Mobilizon retries a Join it thinks was lost: the same id counts once, no second Accept.
    again = await mz.post(net.http, f"{CLUB}/inbox", join)
    assert again.status_code == 202
    await net.drain()
    assert len(await rows(b, Participation)) == 1
    assert len([r for r in mz.posts() if r.json()["type"] == "Accept"]) == 1
