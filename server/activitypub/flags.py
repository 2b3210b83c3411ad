"""Incoming ``Flag``: another server reports one of our accounts or posts; the report goes
to the admins' queue (objects that are not ours are ignored)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.jsonld import JsonObject, as_list, get_id
from server.activitypub.outcomes import Outcome, handled, ignored
from server.services import news
from server.services.reports import report_from_flag
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor


class FlagHandler:
    """Stores reports from other servers."""

    def __init__(self, processor: InboxProcessor) -> None:
        self.uris: LocalUris = processor.uris

    async def on_flag(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        objects = [uri for uri in (get_id(item) for item in as_list(activity.get("object"))) if uri]
        report = report_from_flag(self.uris, activity, actor, objects[:20])
        if report is None:
            return ignored("the report names nothing of ours")
        session.add(report)
        await news.report_filed(
            session, self.uris.settings, await news.actor_label(session, report.target_actor_uri)
        )
        return handled("report stored")
