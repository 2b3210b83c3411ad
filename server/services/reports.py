"""Reports of accounts and posts: from local people (the *Report* link on posts) and from
other servers (an incoming ``Flag``), into the admins' queue. Admins resolve them, block
the account, or forward the report to the account's server as a ``Flag`` from the instance
actor (PROTOCOL.md, "Moderation")."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.jsonld import JsonObject
from server.db import is_row_id, utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.models import RemoteActor, Report, ReportState, User
from server.services.audit import audit
from server.services.outbound import ReportForwarded, emit
from server.uris import LocalUris, host_of

MAX_REASON = 2000


@dataclass(frozen=True)
class ReportView:
    """A report as the admins' queue shows it."""

    report: Report
    reporter: str
    objects: list[str]
    #: The reported account is on another server: the report can be forwarded there.
    forwardable: bool


def _check_uri(value: str, field: str) -> str:
    value = value.strip()
    if not value.startswith(("https://", "http://")) or len(value) > 2048:
        raise InvalidInput(_("That is not something that can be reported."), field=field)
    return value


async def report_by_user(
    session: AsyncSession, user: User, actor_uri: str, object_uri: str, reason: str
) -> Report:
    """A local person reports an account (and optionally one of its posts)."""
    if not reason.strip():
        raise InvalidInput(_("Say what is wrong, so the admins can act."), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            _("Keep it under %(max_reason)s characters.") % {"max_reason": MAX_REASON},
            field="reason",
        )
    objects = [_check_uri(object_uri, "object")] if object_uri.strip() else []
    report = Report(
        reporter_user_id=user.id,
        target_actor_uri=_check_uri(actor_uri, "actor"),
        object_uris=json.dumps(objects),
        reason=reason.strip(),
    )
    session.add(report)
    return report


def report_from_flag(
    uris: LocalUris, activity: JsonObject, actor: str, objects: list[str]
) -> Report | None:
    """A report from another server's ``Flag``, if it names something of ours."""
    local = [uri for uri in objects if uris.is_local(uri)]
    if not local:
        return None
    actors = [uri for uri in local if uris.local_actor_path(uri)]
    target = actors[0] if actors else local[0]
    return Report(
        reporter_actor_uri=actor,
        target_actor_uri=target,
        object_uris=json.dumps([uri for uri in local if uri != target]),
        reason=str(activity.get("content") or "")[:MAX_REASON],
        activity_uri=str(activity.get("id") or "")[:2048],
    )


async def open_reports(session: AsyncSession, uris: LocalUris) -> list[ReportView]:
    """Reports waiting for an admin, oldest first."""
    query = (
        select(Report, User)
        .outerjoin(User, col(User.id) == col(Report.reporter_user_id))
        .where(Report.state == ReportState.OPEN)
        .order_by(col(Report.id))
    )
    views = []
    for report, user in (await session.exec(query)).all():
        who = f"@{user.username}" if user else report.reporter_actor_uri or "someone"
        objects = json.loads(report.object_uris or "[]")
        remote = not uris.is_local(report.target_actor_uri)
        views.append(ReportView(report, who, objects, remote))
    return views


async def get_report(session: AsyncSession, report_id: int) -> Report:
    """A report, or NotFound."""
    report = await session.get(Report, report_id) if is_row_id(report_id) else None
    if report is None:
        raise NotFound(_("No such report."))
    return report


def resolve(session: AsyncSession, admin: User, report: Report) -> None:
    """Close a report."""
    report.state = ReportState.RESOLVED
    report.resolved_at = utcnow()
    session.add(report)
    audit(session, admin, "report.resolve", report.target_actor_uri, f"report {report.id}")


async def forward(
    session: AsyncSession, uris: LocalUris, admin: User, report: Report, flag_actor: str
) -> str:
    """Send the report to the reported account's server as a ``Flag`` from the instance
    actor (the reporter stays anonymous)."""
    query = select(RemoteActor).where(RemoteActor.uri == report.target_actor_uri)
    target = (await session.exec(query)).first()
    if target is None:
        raise InvalidInput(_("Only reports about accounts on other servers can be forwarded."))
    await emit(session, ReportForwarded(uris, report, target, flag_actor))
    report.state = ReportState.FORWARDED
    report.resolved_at = utcnow()
    session.add(report)
    audit(session, admin, "report.forward", target.uri, f"report {report.id}")
    return _("Forwarded to %(host)s.") % {"host": host_of(target.uri)}
