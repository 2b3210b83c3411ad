"""The member's home (issue #16): next meetups of my groups and of the accounts I follow
(with my answers), then the posts and meetups of both, newest first, paged; a series once."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from server.db import utcnow
from server.models import Follow, GroupPost, RemoteActor, RemoteEvent, RemotePost
from server.services.groups import get_group
from server.services.users import get_user
from tests.events.conftest import FORM
from tests.web import WebClient

REMOTE = "https://town.example/groups/garden"


def flat(page: str) -> str:
    """The page's text, tags dropped and whitespace runs as one space."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def feed_section(page: str) -> str:
    start = page.index('id="feed-title"')
    return page[start : page.index('id="follow-title"')]


async def organizer_with_club(web: WebClient) -> None:
    await web.login_as_new("organizer")
    assert (await web.create_group("club", "Chess Club")).status_code == 303


async def new_meetup(web: WebClient, **changes: str) -> int:
    data = {**FORM, **changes}
    response = await web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def post(web: WebClient, content: str, visibility: str = "public") -> None:
    response = await web.post_form(
        "/groups/club/posts",
        {"content": content, "visibility": visibility},
        csrf_from="/groups/club",
    )
    assert response.status_code == 303, response.text


async def follow_remote_account(run_in_db: Callable[..., Any], settings: Any, who: str) -> None:
    """``who`` follows a fediverse group (accepted) that posted and announced a meetup."""

    async def write(session: Any) -> None:
        session.add(
            RemoteActor(
                uri=REMOTE,
                inbox=f"{REMOTE}/inbox",
                username="garden",
                domain="town.example",
                name="Town Garden",
                type="Group",
            )
        )
        session.add(
            Follow(
                follower_uri=f"{settings.base_url}/users/{who}",
                followee_uri=REMOTE,
                state="accepted",
            )
        )
        session.add(
            RemotePost(
                uri=f"{REMOTE}/posts/1",
                actor_uri=REMOTE,
                content_html="<p>Seedlings are ready to share</p>",
                published_at=utcnow() - timedelta(minutes=30),
            )
        )
        session.add(
            RemoteEvent(
                uri=f"{REMOTE}/events/1",
                actor_uri=REMOTE,
                name="Compost workshop",
                starts_at=utcnow() + timedelta(days=2),
                received_at=utcnow() - timedelta(minutes=20),
            )
        )

    await run_in_db(write)


async def test_home_shows_next_meetups_with_my_answers_then_the_feed_newest_first(
    web: WebClient, run_in_db: Callable[..., Any], settings: Any
) -> None:
    await organizer_with_club(web)
    await post(web, "Welcome to the **club**")
    first = await new_meetup(web, title="Opening night", start_date="2029-06-01")
    await new_meetup(
        web,
        title="Weekly blitz",
        repeat="weekly",
        weekday_TU="on",
        count="6",
        start_date="2030-01-08",
    )
    await post(web, "Members: bring boards", visibility="members")
    joined = await web.post_form("/groups/club/join", csrf_from="/groups/club")
    assert joined.status_code in (303, 409)  # the organizer is already a member
    going = await web.post_form(
        f"/events/{first}/rsvp", {"answer": "going"}, csrf_from=f"/events/{first}"
    )
    assert going.status_code == 303
    await follow_remote_account(run_in_db, settings, "organizer")

    page = (await web.get("/home")).text
    assert "<title>Home ·" in page and "<h1>Home</h1>" in page
    assert '<a href="/home" aria-current="page">Home</a>' in page and ">Following<" not in page
    next_part = flat(page[page.index('id="next-title"') : page.index('id="feed-title"')])
    assert "Opening night" in next_part and "You're going" in next_part
    assert "Compost workshop" in next_part  # a followed account's meetup

    feed = flat(feed_section(page))
    order = [
        feed.index(text)
        for text in (
            "Members: bring boards",
            "Weekly blitz",
            "Opening night",
            "Welcome to the club",
        )
    ]
    assert order == sorted(order), feed
    assert feed.count("Weekly blitz") == 1  # six occurrences, one entry
    assert "Seedlings are ready to share" in feed and "Compost workshop" in feed
    assert "Members only" in feed


async def test_the_feed_pages_and_shows_nothing_of_groups_i_am_not_in(
    web: WebClient, run_in_db: Callable[..., Any], app: Any
) -> None:
    await organizer_with_club(web)

    async def many_posts(session: Any) -> None:
        organizer = await get_user(session, "organizer")
        group = await get_group(session, "club")
        now = utcnow()
        for number in range(25):
            session.add(
                GroupPost(
                    group_id=group.id,
                    author_id=organizer.id,
                    content_md=f"Note {number}",
                    content_html=f"<p>Note number {number:02d}</p>",
                    published_at=now - timedelta(minutes=number),
                )
            )

    await run_in_db(many_posts)
    first = feed_section((await web.get("/home")).text)
    assert "Note number 00" in first and "Note number 19" in first
    assert "Note number 20" not in first and 'href="/home?page=2"' in first
    second = feed_section((await web.get("/home?page=2")).text)
    assert "Note number 20" in second and "Note number 24" in second
    assert "Note number 19" not in second and 'href="/home?page=1"' in second
    assert "Older" not in second
    assert (await web.get("/home?page=abc")).status_code == 200

    await web.logout()
    await web.login_as_new("stranger")
    page = (await web.get("/home")).text
    assert "Note number" not in page
    assert "Nothing yet. Join a group or follow an account" in flat(page)
