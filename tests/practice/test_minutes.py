"""Minutes on the web: the note-taker writes them once the meetup has begun, prefilled with
the agenda, who was there (names for members-only minutes, a count for public ones) and the
decisions; published to the group's choice of audience; the archive and its export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.activitypub.runtime import runtime_of
from server.models import CheckIn, Event, RemoteActor
from tests.decisions.conftest import close_now
from tests.practice.conftest import Club, RunInDb, checked_in, meetup_at, role_ids
from tests.web import WebClient


async def test_note_taker_writes_and_publishes_members_only_minutes(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    proposal_id = await club.open_proposal(quorum_count=1)
    await club.vote(proposal_id, "Agree")
    await run_in_db(lambda session: close_now(session, proposal_id))
    await runtime_of(web.app).worker.run_periodic(force=True)
    event_id = await meetup_at(web, run_in_db, starts_in=timedelta(days=1))
    path = f"/events/{event_id}"
    roles = await role_ids(web, run_in_db, event_id)
    await club.add_member("ana")
    await club.add_member("bo")
    await club.sign_in("ana")
    await web.post_form(f"{path}/roles/{roles['Note-taker']}/volunteer", csrf_from=path)
    await web.post_form(
        f"{path}/agenda",
        {"title": "Thursdays?", "minutes": "20", "proposal_id": str(proposal_id)},
        csrf_from=path,
    )
    early = await web.post_form(
        f"{path}/minutes/edit",
        {"title": "Minutes", "body": "Too early", "action": "publish"},
        csrf_from=f"{path}/minutes/edit",
    )
    assert early.status_code == 400 and "once the meetup has begun" in early.text

    # The meetup happened: the organizer, Bo and Mo (from another server) checked in.
    async def begun(session: Any) -> None:
        event = await session.get(Event, event_id)
        event.starts_at -= timedelta(days=1, hours=1)
        event.ends_at -= timedelta(days=1, hours=1)

    await run_in_db(begun)
    await checked_in(run_in_db, event_id, "organizer", "bo")

    async def remote_check_in(session: Any) -> None:  # someone from Mastodon proved a handle
        mo = "https://social.example/users/mo"
        session.add(RemoteActor(uri=mo, username="mo", domain="social.example", inbox=mo))
        session.add(CheckIn(event_id=event_id, actor_uri=mo))

    await run_in_db(remote_check_in)

    # Bo is a member but not the note-taker.
    await club.sign_in("bo")
    assert (await web.get(f"{path}/minutes/edit")).status_code == 404
    await club.sign_in("ana")
    form = await web.get(f"{path}/minutes/edit")
    assert form.status_code == 200
    body = form.text.split('name="body"')[1].split("</textarea>")[0]
    assert "1. **Thursdays?** (ana, 20 min)" in body
    assert "- organizer (@organizer)" in body and "- bo (@bo)" in body
    assert "- @mo@social.example" in body
    assert "- Move the meetup to Thursdays?: passed (Agree)." in body

    empty = await web.post_form(
        f"{path}/minutes/edit",
        {"title": "June minutes", "body": " ", "action": "publish"},
        csrf_from=f"{path}/minutes/edit",
    )
    assert empty.status_code == 400 and "The minutes are empty." in empty.text
    published = await web.post_form(
        f"{path}/minutes/edit",
        {
            "title": "June minutes",
            "summary": "We move to Thursdays.",
            "body": "## Decisions\n\nWe meet on **Thursdays** from July.",
            "action": "publish",
        },
        csrf_from=f"{path}/minutes/edit",
    )
    assert published.status_code == 303
    page = await web.get(f"{path}/minutes")
    assert "<strong>Thursdays</strong>" in page.text and "For members" in page.text

    # Members read it, and find it in the archive and its export; others do not.
    await club.sign_in("bo")
    assert "June minutes" in (await web.get("/groups/club/minutes")).text
    export = await web.get("/groups/club/minutes.md")
    assert export.headers["content-type"].startswith("text/markdown")
    assert "## " in export.text and "We meet on **Thursdays** from July." in export.text
    await web.logout()
    assert (await web.get(f"{path}/minutes")).status_code == 404
    assert "June minutes" not in (await web.get("/groups/club/minutes")).text


async def test_public_minutes_count_who_came_without_names(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    settings = "/groups/club/minutes"
    bad = await web.post_form(f"{settings}/settings", {"visibility": "all"}, csrf_from=settings)
    assert bad.status_code == 400 and "members or public" in bad.text
    chosen = await web.post_form(
        f"{settings}/settings", {"visibility": "public"}, csrf_from=settings
    )
    assert chosen.status_code == 303
    event_id = await meetup_at(web, run_in_db, starts_in=timedelta(hours=-3))
    await club.add_member("ana")
    await checked_in(run_in_db, event_id, "organizer", "ana")
    await club.sign_in("organizer")
    path = f"/events/{event_id}/minutes/edit"
    body = (await web.get(path)).text.split('name="body"')[1].split("</textarea>")[0]
    assert "2 people checked in." in body and "@ana" not in body
    response = await web.post_form(
        path, {"title": "Open minutes", "body": body, "action": "publish"}, csrf_from=path
    )
    assert response.status_code == 303
    await web.logout()
    page = await web.get(f"/events/{event_id}/minutes")
    assert page.status_code == 200 and "Public" in page.text
    assert "Open minutes" in (await web.get("/groups/club/minutes")).text
