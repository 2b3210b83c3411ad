"""The group's ``members`` collection (Mobilizon ``Member`` items, local and remote). Everyone
gets the count (Mobilizon's refresher fetches it on behalf of whichever actor it has and stops
refreshing the group if it fails, ``lib/federation/activity_pub/refresher.ex``); the items go
only to a signed fetch by a current member, as the members page is for members."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import activities as vocab
from server.activitypub.routes import (
    PAGE_SIZE,
    activity_response,
    check_signed_fetch,
    collection,
    page_number,
    verified_signer,
)
from server.activitypub.runtime import runtime
from server.db import transaction
from server.models import MembershipState
from server.request_scope import settings_of
from server.services import membership as members
from server.services import remote_membership
from server.services.groups import get_group
from server.uris import LocalUris


async def members_collection(request: Request) -> Response:
    """``GET /groups/{slug}/members`` as ActivityStreams: the count for every server (behind
    signed fetch when required), the members themselves for members' servers only."""
    if refused := await check_signed_fetch(request):
        return refused
    uris = LocalUris(settings_of(request))
    signer = await verified_signer(request)
    page = page_number(request)
    async with transaction(runtime(request).sessions) as session:
        group = await get_group(session, request.path_params["slug"])
        is_member = signer is not None and await remote_membership.is_active_member(
            session, group, signer
        )
        group_uri = uris.group(group.slug)
        items = [
            vocab.build_member(
                f"{group_uri}/members/local-{m.id}", uris.user(u.username), group_uri, m.role
            )
            for u, m in await members.list_members(session, group)
        ]
        items += [
            vocab.build_member(f"{group_uri}/members/{m.id}", a.uri, group_uri, m.role)
            for a, m in await remote_membership.with_actors(session, group, MembershipState.ACTIVE)
        ]
    start = ((page or 1) - 1) * PAGE_SIZE
    shown = items[start : start + PAGE_SIZE] if page is not None and is_member else []
    return activity_response(collection(f"{group_uri}/members", len(items), page, shown))
