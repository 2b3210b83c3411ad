"""Discovery: WebFinger, host-meta and NodeInfo (never behind authorized fetch)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.nodeinfo import build_nodeinfo, host_meta_xml, nodeinfo_links
from federation.webfinger import build_jrd, parse_resource
from server import __version__
from server.activitypub.runtime import runtime
from server.db import transaction, utcnow
from server.models import Group, GroupPost, User, UserState
from server.request_scope import settings_of
from server.services.instance import load_instance_info
from server.uris import LocalUris

JRD = "application/jrd+json"


def _not_found(reason: str) -> Response:
    return JSONResponse({"error": reason}, status_code=404, media_type=JRD)


async def webfinger(request: Request) -> Response:
    """Resolve ``acct:name@domain`` (or an actor URL) of a local group or user."""
    settings = settings_of(request)
    uris = LocalUris(settings)
    resource = request.query_params.get("resource", "")
    if not resource:
        return JSONResponse({"error": "the resource parameter is required"}, status_code=400)
    name = parse_resource(resource, settings.instance.domain, base_url=settings.base_url)
    if _is_instance_actor(uris, resource, name):
        return _jrd(uris, uris.instance_username, uris.instance_actor, f"{uris.base}/about")
    if name is None:
        return _not_found("not a resource of this instance")
    async with transaction(runtime(request).sessions) as session:
        group = (await session.exec(select(Group).where(Group.slug == name.lower()))).first()
        user = (
            None
            if group
            else (
                await session.exec(
                    select(User).where(
                        User.username == name.lower(), User.state == UserState.ACTIVE
                    )
                )
            ).first()
        )
    if group is not None:
        actor = uris.group(group.slug)
        handle = group.slug
    elif user is not None:
        actor = uris.user(user.username)
        handle = user.username
    else:
        return _not_found(f"no group or user named {name}")
    return _jrd(uris, handle, actor, actor)


def _is_instance_actor(uris: LocalUris, resource: str, name: str | None) -> bool:
    """``acct:HOST@DOMAIN`` or the ``/actor`` URL: the instance actor, which signs our
    fetches and forwarded reports (Mastodon resolves every signer back through WebFinger)."""
    if resource.strip() == uris.instance_actor:
        return True
    return name is not None and name.lower() == uris.instance_username.lower()


def _jrd(uris: LocalUris, handle: str, actor: str, profile: str) -> Response:
    jrd = build_jrd(f"acct:{handle}@{uris.domain}", actor, profile, aliases=[actor])
    return JSONResponse(jrd, media_type=JRD, headers={"Access-Control-Allow-Origin": "*"})


async def host_meta(request: Request) -> Response:
    """The XRD that points old clients at WebFinger."""
    return Response(host_meta_xml(settings_of(request).base_url), media_type="application/xrd+xml")


async def nodeinfo_index(request: Request) -> Response:
    """``/.well-known/nodeinfo``: links to the 2.1 and 2.0 documents."""
    return JSONResponse(nodeinfo_links(settings_of(request).base_url))


async def nodeinfo(request: Request) -> Response:
    """NodeInfo 2.0 or 2.1 with real usage counts."""
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        return JSONResponse({"error": "unknown NodeInfo version"}, status_code=404)
    settings = settings_of(request)
    now = utcnow()
    async with transaction(runtime(request).sessions) as session:
        info = await load_instance_info(session, settings)
        active = User.state == UserState.ACTIVE
        total = (await session.exec(select(func.count()).select_from(User).where(active))).one()

        async def seen_since(days: int) -> int:
            since = now - timedelta(days=days)
            query = (
                select(func.count())
                .select_from(User)
                .where(active, col(User.last_login_at) >= since)
            )
            return (await session.exec(query)).one()

        month, half_year = await seen_since(30), await seen_since(180)
        posts = (await session.exec(select(func.count()).select_from(GroupPost))).one()
        groups = (await session.exec(select(func.count()).select_from(Group))).one()
    document = build_nodeinfo(
        version,
        software_name="hearth",
        software_version=__version__,
        open_registrations=info.registration in ("open", "approval"),
        users_total=total,
        users_active_month=month,
        users_active_halfyear=half_year,
        local_posts=posts,
        metadata={"nodeName": info.name, "nodeDescription": info.description, "groups": groups},
    )
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return JSONResponse(document, media_type=f'application/json; profile="{profile}"')


routes = [
    Route("/.well-known/webfinger", webfinger, methods=["GET"]),
    Route("/.well-known/host-meta", host_meta, methods=["GET"]),
    Route("/.well-known/nodeinfo", nodeinfo_index, methods=["GET"]),
    Route("/nodeinfo/{version}", nodeinfo, methods=["GET"]),
]
