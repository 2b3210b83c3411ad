"""Subscriptions and print: ICS calendars, the group's Atom feed and printable flyers."""

from __future__ import annotations

import asyncio
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from markupsafe import Markup, escape
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.db import utcnow
from server.i18n import _, use_locale
from server.models import Event, EventSeries, EventStatus, Group, GroupPost
from server.services import meetup_roles
from server.services import membership as members
from server.services.calendar import EventQuery, upcoming_events
from server.services.events import series_events
from server.services.groups import get_group
from server.services.ics import SeriesFeed, build_calendar
from server.services.membership import member_count
from server.web.common import current_user, db, render, settings_of
from server.web.events import visible_event
from server.web.locale import group_language
from server.web.runtime import web_runtime
from server.web.templating import event_when

ICS_TYPE = "text/calendar; charset=utf-8"
FEED_CACHE_SIZE = 64
FEED_PAST = timedelta(days=90)
ATOM_NS = "http://www.w3.org/2005/Atom"


async def _series_feeds(session: AsyncSession, events: Iterable[Event]) -> dict[int, SeriesFeed]:
    """Every stored occurrence of the series these events belong to (for RRULE and EXDATE)."""
    feeds: dict[int, SeriesFeed] = {}
    for series_id in {event.series_id for event in events if event.series_id is not None}:
        series = await session.get(EventSeries, series_id)
        if series is not None:
            occurrences = await series_events(session, series_id, upcoming_only=False)
            public = [event for event in occurrences if event.visibility == "public"]
            if public:
                feeds[series_id] = SeriesFeed(series, public)
    return feeds


def _ics_response(body: bytes, filename: str) -> Response:
    return Response(
        body, media_type=ICS_TYPE, headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


async def _group_feed_version(session: AsyncSession, group_id: int | None) -> str:
    """Changes whenever anything in the group's feed could: an event added, edited or deleted
    (any of the group's, series included), or a day passing (events age out)."""
    count, latest = (
        await session.exec(
            select(func.count(), func.max(Event.updated_at)).where(Event.group_id == group_id)
        )
    ).one()
    return f"{group_id}-{count}-{latest}-{utcnow().date()}"


async def _cached(request: Request, key: str, render: Callable[[], Awaitable[bytes]]) -> bytes:
    """The body for ``key`` from the cache, or rendered once: concurrent requests for the
    same key wait for that one rendering (and load nothing themselves)."""
    runtime = web_runtime(request)
    cache, locks = runtime.feed_cache, runtime.feed_locks
    if key not in cache:
        lock = locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in cache:
                cache[key] = await render()
        locks.pop(key, None)
    cache.move_to_end(key)
    body = cache[key]
    while len(cache) > FEED_CACHE_SIZE:
        cache.popitem(last=False)
    return body


async def group_ics(request: Request) -> Response:
    """The group's public meetups from 90 days ago on, for calendar subscriptions.

    Calendar apps poll this every few hours: a version of the feed (ETag) answers 304 to a
    client that has it, and the rendered body is kept for the next client.
    """
    settings = settings_of(request)
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        version = await _group_feed_version(session, group.id)
    etag = f'"{hashlib.sha256(f"{version}-{group.name}".encode()).hexdigest()[:32]}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})

    async def render() -> bytes:
        async with db(request) as session:
            rows = await session.exec(
                select(Event)
                .where(
                    Event.group_id == group.id,
                    Event.visibility == "public",
                    col(Event.ends_at) >= utcnow() - FEED_PAST,
                )
                .order_by(col(Event.starts_at))
                .limit(2000)
            )
            events = list(rows.all())
            series = await _series_feeds(session, events)
        items = [(event, group) for event in events]
        # In a thread, so a big calendar does not stall other requests (in the group's
        # language: the thread gets a copy of this context).
        with use_locale(group_language(request, group)):
            return await asyncio.to_thread(
                build_calendar,
                group.name,
                items,
                settings.base_url,
                settings.instance.domain,
                series,
            )

    response = _ics_response(await _cached(request, etag, render), f"{group.slug}.ics")
    response.headers["ETag"] = etag
    return response


async def event_ics(request: Request) -> Response:
    """One meetup as an .ics file."""
    settings = settings_of(request)
    async with db(request) as session:
        event, group, user, membership = await visible_event(request, session)
        # Who holds a role is for members, as the attendee list is (the page hides names too).
        is_member = members.may(user, membership, "see_members")
        slots = await meetup_roles.slots(session, group, event) if is_member else []
    with use_locale(group_language(request, group)):
        roles = meetup_roles.holders_text(slots) if any(slot.holder for slot in slots) else ""
        body = build_calendar(
            None,
            [(event, group)],
            settings.base_url,
            settings.instance.domain,
            notes={event.id or 0: _("Roles: %(roles)s") % {"roles": roles} if roles else ""},
        )
    return _ics_response(body, f"meetup-{event.id}.ics")


async def instance_ics(request: Request) -> Response:
    """Every public upcoming meetup of the instance (the same filters as /events)."""
    settings = settings_of(request)
    query = EventQuery.from_params(request.query_params)
    async with db(request) as session:
        rows, _ignored = await upcoming_events(session, query, limit=2000)
        series = await _series_feeds(session, [event for event, _ignored in rows])
    body = build_calendar(
        settings.instance.name, rows, settings.base_url, settings.instance.domain, series
    )
    return _ics_response(body, "meetups.ics")


@dataclass(frozen=True)
class AtomEntry:
    """One entry of a group's Atom feed: a post, or a meetup with when and where."""

    link: str
    title: str
    published: datetime
    updated: datetime
    html: str
    summary: str = ""


def _event_entry(base: str, event: Event) -> AtomEntry:
    """A meetup as a feed entry: its date, time and place lead the summary and the text."""
    place = ", ".join(
        part for part in (event.venue_name, event.street, event.locality) if part
    ) or (_("Online") if event.online_url else "")
    when = event_when(event)
    summary = f"{when} · {place}" if place else when
    where = f"<br>{escape(place)}" if place else ""
    intro = f"<p><strong>{escape(when)}</strong>{where}</p>"
    return AtomEntry(
        link=f"{base}/events/{event.id}",
        title=(
            _("Cancelled: %(title)s") % {"title": event.title}
            if event.status == EventStatus.CANCELLED
            else event.title
        ),
        published=event.created_at,
        updated=event.updated_at,
        html=intro + event.description_html,
        summary=summary,
    )


def _atom_entry(feed: ET.Element, item: AtomEntry) -> None:
    entry = ET.SubElement(feed, "entry")
    ET.SubElement(entry, "id").text = item.link
    ET.SubElement(entry, "title").text = item.title
    ET.SubElement(entry, "link", href=item.link)
    ET.SubElement(entry, "published").text = item.published.isoformat()
    ET.SubElement(entry, "updated").text = item.updated.isoformat()
    if item.summary:
        ET.SubElement(entry, "summary").text = item.summary
    ET.SubElement(entry, "content", type="html").text = item.html


async def group_atom(request: Request) -> Response:
    """An Atom feed of the group's public posts and meetups, newest first."""
    base = settings_of(request).base_url
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        posts = await session.exec(
            select(GroupPost)
            .where(GroupPost.group_id == group.id, GroupPost.visibility == "public")
            .order_by(col(GroupPost.published_at).desc())
            .limit(30)
        )
        events = await session.exec(
            select(Event)
            .where(Event.group_id == group.id, Event.visibility == "public")
            .order_by(col(Event.created_at).desc())
            .limit(30)
        )
        post_rows, event_rows = list(posts.all()), list(events.all())
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element("feed", xmlns=ATOM_NS)
    ET.SubElement(feed, "id").text = f"{base}/groups/{group.slug}"
    ET.SubElement(feed, "title").text = group.name
    ET.SubElement(feed, "link", href=f"{base}/groups/{group.slug}")
    ET.SubElement(feed, "link", rel="self", href=f"{base}/groups/{group.slug}/feed.atom")
    author = ET.SubElement(feed, "author")  # required by RFC 4287 (4.1.1)
    ET.SubElement(author, "name").text = group.name
    ET.SubElement(author, "uri").text = f"{base}/groups/{group.slug}"
    with use_locale(group_language(request, group)):
        entries = _atom_entries(base, group, post_rows, event_rows)
    entries.sort(key=lambda item: item.updated, reverse=True)
    updated = entries[0].updated if entries else group.updated_at
    ET.SubElement(feed, "updated").text = updated.isoformat()
    for item in entries[:30]:
        _atom_entry(feed, item)
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _atom_entries(
    base: str, group: Group, post_rows: list[GroupPost], event_rows: list[Event]
) -> list[AtomEntry]:
    """The feed's entries, in the active language."""
    return [
        AtomEntry(
            link=f"{base}/groups/{group.slug}/posts/{post.id}",
            title=_("%(group)s: news") % {"group": group.name},
            published=post.published_at,
            updated=post.updated_at or post.published_at,
            html=post.content_html,
        )
        for post in post_rows
    ] + [_event_entry(base, event) for event in event_rows]


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code for a URL (made by segno)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=6, border=2, title=url))  # noqa: S704


async def group_flyer(request: Request) -> Response:
    """A printable A4/Letter flyer for the group with a QR code to its page."""
    settings = settings_of(request)
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        url = f"{settings.base_url}/groups/{group.slug}"
        rows, _ignored = await upcoming_events(session, EventQuery(group=group.slug), limit=3)
        context = {
            "group": group,
            "url": url,
            "qr": qr_svg(url),
            "upcoming": rows,
            "members": await member_count(session, group),
            "event": None,
        }
        return await _render_flyer(request, session, group, context)


async def event_flyer(request: Request) -> Response:
    """A printable flyer for one meetup."""
    settings = settings_of(request)
    async with db(request) as session:
        event, group, _user, _membership = await visible_event(request, session)
        url = f"{settings.base_url}/events/{event.id}"
        context = {
            "group": group,
            "event": event,
            "url": url,
            "qr": qr_svg(url),
            "upcoming": [],
            "members": None,
        }
        return await _render_flyer(request, session, group, context)


async def _render_flyer(
    request: Request, session: AsyncSession, group: Group, context: dict[str, object]
) -> Response:
    """A flyer is printed for the group's neighborhood: in the group's language, whoever
    prints it."""
    user = await current_user(request, session)
    with use_locale(group_language(request, group)):
        return await render(request, session, "flyer.html", context, user=user)


routes = [
    Route("/events.ics", instance_ics, methods=["GET"]),
    Route("/events/{event_id}.ics", event_ics, methods=["GET"]),
    Route("/events/{event_id}/flyer", event_flyer, methods=["GET"]),
    Route("/groups/{slug}/events.ics", group_ics, methods=["GET"]),
    Route("/groups/{slug}/feed.atom", group_atom, methods=["GET"]),
    Route("/groups/{slug}/flyer", group_flyer, methods=["GET"]),
]
