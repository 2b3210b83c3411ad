"""Activities addressed to named people only: a group's direct messages to people on other
servers, and reports forwarded to an account's server as a ``Flag``. The handlers of
:class:`~server.services.outbound.DirectMessage` and ``ReportForwarded``."""

from __future__ import annotations

import html
import json

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from server.activitypub.language import group_language, with_language
from server.activitypub.publish import publish
from server.db import utcnow
from server.services.outbound import DirectMessage, ReportForwarded, handles


@handles(DirectMessage)
async def send_direct_message(session: AsyncSession, message: DirectMessage) -> None:
    """One Note from the group, each recipient mentioned (so Mastodon shows it as a direct
    message), delivered once per inbox."""
    uris, actors = message.uris, message.actors
    group_uri = uris.group(message.group.slug)
    named = [(actor, actor.handle if actor.username else actor.uri) for actor in actors]
    mentions = " ".join(
        f'<span class="h-card"><a href="{html.escape(actor.url or actor.uri)}" '
        f'class="u-url mention">{html.escape(handle)}</a></span>'
        for actor, handle in named
    )
    recipients = [actor.uri for actor in actors]
    note = vocab.build_note(
        id=message.note_id,
        attributed_to=group_uri,
        content=f"<p>{mentions} {html.escape(message.text)}</p>",
        to=recipients,
        cc=[],
        published=utcnow(),
    )
    note["tag"] = [{"type": "Mention", "href": actor.uri, "name": h} for actor, h in named]
    with_language(note, group_language(uris, message.group), keys=("content",))
    activity = vocab.build_create(uris.new_activity(), group_uri, note, to=recipients, cc=[])
    await publish(session, activity, sorted({actor.inbox for actor in actors}))


@handles(ReportForwarded)
async def send_flag(session: AsyncSession, forwarded: ReportForwarded) -> None:
    """The report as a ``Flag`` from ``flag_actor`` (the reporter stays anonymous)."""
    target, report = forwarded.target, forwarded.report
    flag = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": forwarded.uris.new_activity(),
        "type": "Flag",
        "actor": forwarded.flag_actor,
        "object": [target.uri, *json.loads(report.object_uris or "[]")],
        "content": report.reason,
        "to": [target.uri],
    }
    await publish(session, flag, [target.shared_inbox or target.inbox])
