"""Admins deciding about other servers and accounts: suspend a domain (no traffic at all; its
followers and members here are dropped), silence one (groups do not relay its posts), block
an account (refused at the inbox; its follows and memberships dropped). Every decision is
audited and applies at once (the live :class:`DomainPolicy` is reloaded)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import FEDERATION_MODES
from server.db import utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _, ngettext
from server.models import (
    DOMAIN_ACTIONS,
    ActorBlock,
    Delivery,
    DeliveryState,
    DomainPolicy,
    Follow,
    InstanceSetting,
    RelayedPost,
    RelayState,
    RemoteActor,
    RemoteMember,
    User,
)
from server.services.audit import audit
from server.services.federation_policy import MODE_KEY
from server.services.federation_policy import DomainPolicy as LivePolicy

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z0-9-]{1,63}(:\d{1,5})?$")


def clean_domain(raw: str) -> str:
    """A domain as typed ("Spam.Example", "https://spam.example/") made canonical."""
    domain = raw.strip().lower().removeprefix("https://").removeprefix("http://").strip("/")
    if not DOMAIN_RE.match(domain):
        raise InvalidInput(_("Enter a domain such as spam.example."), field="domain")
    return domain


async def _actors_of(session: AsyncSession, domain: str) -> list[str]:
    query = select(RemoteActor.uri).where(
        (col(RemoteActor.domain) == domain) | col(RemoteActor.domain).endswith(f".{domain}")
    )
    return list((await session.exec(query)).all())


async def _drop_ties(session: AsyncSession, actor_uris: list[str]) -> int:
    """Remove follows and memberships of these remote actors; returns how many follows."""
    if not actor_uris:
        return 0
    follows = await session.exec(delete(Follow).where(col(Follow.follower_uri).in_(actor_uris)))
    await session.exec(delete(RemoteMember).where(col(RemoteMember.actor_uri).in_(actor_uris)))
    hidden = select(RelayedPost).where(col(RelayedPost.actor_uri).in_(actor_uris))
    for post in (await session.exec(hidden)).all():
        post.state = RelayState.HIDDEN
        session.add(post)
    return int(follows.rowcount or 0)


async def set_domain_policy(
    session: AsyncSession,
    live: LivePolicy,
    admin: User,
    raw_domain: str,
    action: str,
    note: str = "",
) -> str:
    """Suspend, silence or allow a domain; returns what the admin is told."""
    if action not in DOMAIN_ACTIONS:
        raise InvalidInput(_("Choose suspend, silence or allow."), field="action")
    domain = clean_domain(raw_domain)
    row = (await session.exec(select(DomainPolicy).where(DomainPolicy.domain == domain))).first()
    row = row or DomainPolicy(domain=domain, action=action)
    row.action, row.note = action, note[:500]
    session.add(row)
    dropped = 0
    if action == "suspend":
        dropped = await _drop_ties(session, await _actors_of(session, domain))
    audit(session, admin, f"domain.{action}", domain, note)
    await session.flush()
    await live.load(session)
    if action == "suspend":
        # English keeps "follower(s)" in both forms; other languages use their plurals.
        return ngettext(
            "%(domain)s is suspended: %(count)s follower(s) from there were removed.",
            "%(domain)s is suspended: %(count)s follower(s) from there were removed.",
            dropped,
        ) % {"domain": domain, "count": dropped}
    if action == "allow":
        return _("%(domain)s is on the allow-list.") % {"domain": domain}
    return _("%(domain)s is silenced: groups will not relay posts from there.") % {"domain": domain}


async def set_mode(session: AsyncSession, live: LivePolicy, admin: User, mode: str) -> str:
    """Choose open, blocklist or allowlist federation (overrides the config file)."""
    if mode not in FEDERATION_MODES:
        raise InvalidInput(_("Choose open, blocklist or allowlist."), field="mode")
    row = await session.get(InstanceSetting, MODE_KEY) or InstanceSetting(key=MODE_KEY)
    row.value, row.updated_at = mode, utcnow()
    session.add(row)
    audit(session, admin, "federation.mode", mode)
    await session.flush()
    await live.load(session)
    return _("Federation mode: %(mode)s.") % {"mode": mode}


async def lift_domain_policy(
    session: AsyncSession, live: LivePolicy, admin: User, policy_id: int
) -> str:
    """Remove a suspension or silence."""
    row = await session.get(DomainPolicy, policy_id)
    if row is None:
        raise NotFound(_("No such decision."))
    audit(session, admin, f"domain.lift_{row.action}", row.domain)
    await session.delete(row)
    await session.flush()
    await live.load(session)
    if row.action == "suspend":
        return _("%(domain)s: suspension lifted.") % {"domain": row.domain}
    if row.action == "silence":
        return _("%(domain)s: silence lifted.") % {"domain": row.domain}
    return _("%(domain)s: removed from the allow-list.") % {"domain": row.domain}


async def block_actor(
    session: AsyncSession, live: LivePolicy, admin: User, actor_uri: str, note: str = ""
) -> str:
    """Block a remote account instance-wide."""
    if not actor_uri.startswith(("https://", "http://")) or len(actor_uri) > 2048:
        raise InvalidInput(_("Enter the account's address (its URL) or handle."), field="actor")
    exists = (
        await session.exec(select(ActorBlock).where(ActorBlock.actor_uri == actor_uri))
    ).first()
    if exists is None:
        session.add(ActorBlock(actor_uri=actor_uri, note=note[:500]))
    await _drop_ties(session, [actor_uri])
    audit(session, admin, "actor.block", actor_uri, note)
    await session.flush()
    await live.load(session)
    return _("Blocked: nothing from this account is accepted any more.")


async def unblock_actor(session: AsyncSession, live: LivePolicy, admin: User, block_id: int) -> str:
    """Lift an instance-wide block."""
    row = await session.get(ActorBlock, block_id)
    if row is None:
        raise NotFound(_("No such block."))
    audit(session, admin, "actor.unblock", row.actor_uri)
    await session.delete(row)
    await session.flush()
    await live.load(session)
    return _("Unblocked.")


@dataclass(frozen=True)
class KnownInstance:
    """A server we know accounts of, with how federation with it is going."""

    domain: str
    accounts: int
    failing_deliveries: int
    decision: str  # "", "suspend", "silence" or "blocked by config"


async def decisions_list(session: AsyncSession) -> tuple[list[DomainPolicy], list[ActorBlock]]:
    """The domain decisions (by domain) and account blocks (oldest first)."""
    domains = await session.exec(select(DomainPolicy).order_by(col(DomainPolicy.domain)))
    blocks = await session.exec(select(ActorBlock).order_by(col(ActorBlock.id)))
    return list(domains.all()), list(blocks.all())


async def known_instances(session: AsyncSession, live: LivePolicy) -> list[KnownInstance]:
    """Every server we know accounts of, most accounts first."""
    accounts = await session.exec(
        select(RemoteActor.domain, func.count()).group_by(col(RemoteActor.domain))
    )
    failing = dict(
        (
            await session.exec(
                select(Delivery.host, func.count())
                .where(col(Delivery.state) == DeliveryState.PENDING, col(Delivery.attempts) > 0)
                .group_by(col(Delivery.host))
            )
        ).all()
    )
    found = []
    for domain, count in accounts.all():
        if live.silenced(domain):
            decision = "silence"
        elif not live.allows(domain) and live.mode == "allowlist":
            decision = "not on the allow-list"
        elif not live.allows(domain):
            decision = "suspend" if domain in live.suspended else "blocked by config"
        else:
            decision = ""
        found.append(KnownInstance(domain, int(count), int(failing.get(domain, 0)), decision))
    return sorted(found, key=lambda item: (-item.accounts, item.domain))
