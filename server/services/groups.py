"""Groups: creation and editing with their rules, the public directory and membership roles."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.keys import generate_rsa_keypair
from server import limits
from server.db import utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.i18n import _, is_language_tag, primary_tag
from server.inputs import page_number
from server.markup import render_markdown
from server.models import (
    GROUP_VISIBILITIES,
    MEMBERSHIP_MODES,
    POSTING_POLICIES,
    Group,
    GroupTag,
    Membership,
    MembershipMode,
    User,
    stored_id,
)
from server.services.names import validate_new_name

TAG_RE = re.compile(r"^[\w-]{1,64}$")
MAX_TAGS = limits.GROUP_TAGS.maximum
MAX_SUMMARY = limits.GROUP_SUMMARY.maximum


@dataclass
class GroupFields:
    """The editable fields of a group, as given by a form or the API."""

    name: str
    summary: str = ""
    location: str = ""
    latitude: float | None = None
    longitude: float | None = None
    tags: list[str] = field(default_factory=list)
    visibility: str = "public"
    membership_mode: str = "open"
    posting_policy: str = ""  # empty: the usual one for the membership mode
    language: str = ""  # empty: the instance's language (server.i18n.group_language)


def default_posting_policy(membership_mode: str) -> str:
    """Whose posts a new group shares when its creator did not say: open groups share their
    followers' posts (a Lemmy community or a Guppe group relays anyone following it),
    approval and invitation groups share their members' posts."""
    return "followers" if membership_mode == MembershipMode.OPEN else "members"


def parse_tags(raw: str | list[str]) -> list[str]:
    """Split, lowercase and de-duplicate tags given as text ("a, #b c") or a list."""
    items = raw if isinstance(raw, list) else re.split(r"[,\s]+", raw)
    tags: list[str] = []
    for item in items:
        tag = str(item).strip().lstrip("#").lower()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _normalized(fields: GroupFields) -> GroupFields:
    """Tags split and lowercased (the API gives them as they come), the posting policy filled."""
    policy = fields.posting_policy or default_posting_policy(fields.membership_mode)
    language = primary_tag(fields.language) if is_language_tag(fields.language) else fields.language
    return replace(
        fields, tags=parse_tags(fields.tags), posting_policy=policy, language=language.strip()
    )


def _check_fields(fields: GroupFields) -> None:
    name = fields.name.strip()
    if not limits.GROUP_NAME.allows(name):
        raise InvalidInput(_("Give the group a name of 1 to 100 characters."), field="name")
    if len(fields.summary) > MAX_SUMMARY:
        raise InvalidInput(
            _("Keep the summary under %(max_summary)s characters.") % {"max_summary": MAX_SUMMARY},
            field="summary",
        )
    if not limits.GROUP_LOCATION.allows(fields.location):
        raise InvalidInput(_("Keep the place under 200 characters."), field="location")
    if fields.visibility not in GROUP_VISIBILITIES:
        raise InvalidInput(_("Visibility is public or unlisted."), field="visibility")
    if fields.membership_mode not in MEMBERSHIP_MODES:
        raise InvalidInput(_("Membership is open, approval or invite."), field="membership_mode")
    if fields.posting_policy not in POSTING_POLICIES:
        raise InvalidInput(
            _("Who may post is members, followers or moderated."), field="posting_policy"
        )
    if fields.language and not is_language_tag(fields.language):
        raise InvalidInput(
            _("Choose the group's language as a tag such as en, fr or de."), field="language"
        )
    _check_coordinates(fields.latitude, fields.longitude)
    if len(fields.tags) > MAX_TAGS:
        raise InvalidInput(
            _("Use at most %(max_tags)s tags.") % {"max_tags": MAX_TAGS}, field="tags"
        )
    for tag in fields.tags:
        if not TAG_RE.match(tag):
            raise InvalidInput(
                _("“%(tag)s” is not a valid tag (letters, digits, _ or -).") % {"tag": tag},
                field="tags",
            )


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise InvalidInput(_("Give both latitude and longitude, or neither."), field="latitude")
    if latitude is None or longitude is None:
        return
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise InvalidInput(_("Latitude is between -90 and 90."), field="latitude")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise InvalidInput(_("Longitude is between -180 and 180."), field="longitude")


def _apply(group: Group, fields: GroupFields) -> None:
    group.name = fields.name.strip()
    group.summary_md = fields.summary
    group.summary_html = render_markdown(fields.summary)
    group.location = fields.location.strip()
    group.latitude = fields.latitude
    group.longitude = fields.longitude
    group.visibility = fields.visibility
    group.membership_mode = MembershipMode(fields.membership_mode)
    group.posting_policy = fields.posting_policy
    group.language = fields.language
    group.updated_at = utcnow()


async def _set_tags(session: AsyncSession, group: Group, tags: list[str]) -> None:
    await session.exec(delete(GroupTag).where(col(GroupTag.group_id) == group.id))
    for tag in tags:
        session.add(GroupTag(group_id=stored_id(group), tag=tag))


async def create_group(session: AsyncSession, slug: str, fields: GroupFields, owner: User) -> Group:
    """Create a group whose creator becomes its admin; the caller commits."""
    slug = await validate_new_name(session, slug, field="slug")
    fields = _normalized(fields)
    _check_fields(fields)
    keys = generate_rsa_keypair()
    group = Group(
        slug=slug,
        name=fields.name,
        created_by_id=owner.id,
        private_key_pem=keys.private_pem,
        public_key_pem=keys.public_pem,
    )
    _apply(group, fields)
    session.add(group)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(_("“%(slug)s” was just taken.") % {"slug": slug}, field="slug") from None
    await _set_tags(session, group, fields.tags)
    session.add(Membership(group_id=stored_id(group), user_id=stored_id(owner), role="admin"))
    await session.flush()
    return group


async def update_group(session: AsyncSession, group: Group, fields: GroupFields) -> Group:
    """Change a group's editable fields after checking them."""
    fields = _normalized(fields)
    _check_fields(fields)
    _apply(group, fields)
    session.add(group)
    await _set_tags(session, group, fields.tags)
    await session.flush()
    return group


async def delete_group(session: AsyncSession, group: Group) -> None:
    """Remove a group with its tags and memberships."""
    await session.delete(group)
    await session.flush()


async def get_group(session: AsyncSession, slug: str) -> Group:
    """The group with this slug, or NotFound."""
    group = (await session.exec(select(Group).where(Group.slug == slug.lower()))).first()
    if group is None:
        raise NotFound(_("No group named %(slug)s.") % {"slug": slug})
    return group


async def group_tags(session: AsyncSession, group: Group) -> list[str]:
    """The group's tags in the order they were given."""
    query = select(GroupTag.tag).where(GroupTag.group_id == group.id).order_by(col(GroupTag.id))
    return list((await session.exec(query)).all())


@dataclass(frozen=True)
class DirectoryQuery:
    """Filters of the public directory."""

    text: str = ""
    tag: str = ""
    place: str = ""
    page: int = 1
    per_page: int = 24

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> DirectoryQuery:
        """Filters from the query parameters ``q``, ``tag``, ``place`` and ``page``, clipped."""
        return cls(
            text=params.get("q", "")[:100],
            tag=params.get("tag", "")[:64],
            place=params.get("place", "")[:100],
            page=page_number(params.get("page")),
        )


def _like(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_directory(session: AsyncSession, query: DirectoryQuery) -> tuple[list[Group], int]:
    """Public groups matching the filters, newest first, with the total count."""
    stmt = select(Group).where(Group.visibility == "public", col(Group.suspended_at).is_(None))
    if query.text.strip():
        pattern = _like(query.text.strip())
        stmt = stmt.where(
            or_(
                func.lower(Group.name).like(pattern, escape="\\"),
                func.lower(Group.slug).like(pattern, escape="\\"),
                func.lower(Group.summary_md).like(pattern, escape="\\"),
            )
        )
    if query.tag.strip():
        tagged = select(GroupTag.group_id).where(
            GroupTag.tag == query.tag.strip().lstrip("#").lower()
        )
        stmt = stmt.where(col(Group.id).in_(tagged))
    if query.place.strip():
        stmt = stmt.where(func.lower(Group.location).like(_like(query.place.strip()), escape="\\"))
    total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    page = max(1, query.page)
    rows = await session.exec(
        stmt.order_by(col(Group.created_at).desc(), col(Group.id).desc())
        .offset((page - 1) * query.per_page)
        .limit(query.per_page)
    )
    return list(rows.all()), total


async def groups_of_user(session: AsyncSession, user: User) -> list[tuple[Group, Membership]]:
    """The groups a user belongs to (or waits to join), by name."""
    query = (
        select(Group, Membership)
        .join(Membership, col(Membership.group_id) == col(Group.id))
        .where(Membership.user_id == user.id)
        .order_by(func.lower(Group.name))
    )
    return [(group, membership) for group, membership in (await session.exec(query)).all()]


async def count_groups(session: AsyncSession) -> int:
    """How many local groups exist."""
    return (await session.exec(select(func.count()).select_from(Group))).one()
