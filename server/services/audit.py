"""The audit log: every admin and moderator action, with who did it and to what."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.models import AuditEntry, User


def audit(
    session: AsyncSession, user: User | None, action: str, target: str, detail: str = ""
) -> None:
    """Write one line to the audit log (in the caller's transaction)."""
    session.add(
        AuditEntry(
            user_id=user.id if user else None,
            action=action[:64],
            target=target[:2048],
            detail=detail[:1000],
        )
    )


def _short(value: str, limit: int = 80) -> str:
    value = " ".join(value.split())
    return f"“{value[: limit - 1]}…”" if len(value) > limit else f"“{value}”"


def describe_changes(changed: dict[str, tuple[str, str]]) -> str:
    """One line saying what changed, old → new: 'name: “Old” → “New”; registration: …'."""
    return "; ".join(
        f"{key}: {_short(old)} → {_short(new)}" for key, (old, new) in sorted(changed.items())
    )


async def recent(session: AsyncSession, limit: int = 200) -> list[tuple[AuditEntry, User | None]]:
    """The latest entries with who made them, newest first."""
    query = (
        select(AuditEntry, User)
        .outerjoin(User, col(User.id) == col(AuditEntry.user_id))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    )
    return [(entry, user) for entry, user in (await session.exec(query)).all()]
