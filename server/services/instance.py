"""Instance settings: the config file's values, overridden by what admins set in the web UI."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import REGISTRATION_MODES, Settings
from server.db import utcnow
from server.errors import InvalidInput
from server.i18n import _
from server.models import InstanceSetting

EDITABLE = ("name", "description", "contact_email", "registration", "rules", "privacy")


@dataclass(frozen=True)
class InstanceInfo:
    """What the instance says about itself, as people see it."""

    name: str
    description: str
    contact_email: str
    registration: str
    rules: str = ""
    privacy: str = ""


def _defaults(settings: Settings) -> InstanceInfo:
    inst = settings.instance
    return InstanceInfo(inst.name, inst.description, inst.contact_email, inst.registration)


async def load_instance_info(session: AsyncSession, settings: Settings) -> InstanceInfo:
    """The effective instance settings."""
    rows = (await session.exec(select(InstanceSetting))).all()
    overrides = {row.key: row.value for row in rows if row.key in EDITABLE}
    return replace(_defaults(settings), **overrides)


def _check(key: str, value: str) -> str:
    value = value.strip()
    if key == "name" and not 1 <= len(value) <= 80:
        raise InvalidInput(_("The name needs 1 to 80 characters."), field="name")
    if key == "registration" and value not in REGISTRATION_MODES:
        raise InvalidInput(
            _("Registration is one of %(choices)s.") % {"choices": ", ".join(REGISTRATION_MODES)},
            field=key,
        )
    if key == "contact_email" and value and "@" not in value:
        raise InvalidInput(_("Enter an email address."), field=key)
    if key in ("description", "rules", "privacy") and len(value) > 5000:
        raise InvalidInput(_("Keep it under 5000 characters."), field=key)
    return value


async def save_instance_info(
    session: AsyncSession, settings: Settings, changes: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """Store admin changes; every value is checked before anything is written.

    Returns what actually changed: old and new value by key (for the audit log)."""
    checked = {key: _check(key, value) for key, value in changes.items() if key in EDITABLE}
    before = await load_instance_info(session, settings)
    changed = {
        key: (getattr(before, key), value)
        for key, value in checked.items()
        if getattr(before, key) != value
    }
    for key, (_ignored, value) in changed.items():
        row = await session.get(InstanceSetting, key)
        if row is None:
            row = InstanceSetting(key=key)
        row.value = value
        row.updated_at = utcnow()
        session.add(row)
    return changed
