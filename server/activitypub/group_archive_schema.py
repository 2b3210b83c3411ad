"""The shape of a version 1 group archive, checked before anything is written.

Every field the import writes is checked here (types, allowed values, lengths), so a bad
archive is refused with the place of the first problems named, e.g.
``meetups[2].starts_at: Input should be a valid datetime``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
)

from server import limits
from server.errors import InvalidInput
from server.i18n import _
from server.inputs import FIRST_YEAR, LAST_YEAR, in_date_range, is_iana_zone, parse_json
from server.models import EventStatus, JoinMode, MembershipMode, MembershipState, RsvpStatus
from server.services.reminders import REMIND_CHOICES

MAX_ITEMS = 100_000
#: The largest archive accepted (the web form and the API), and where it is accepted.
MAX_ARCHIVE_BYTES = 20_000_000
ARCHIVE_PATHS = ("/api/v1/groups/import", "/groups/import")
Url = HttpUrl


def _in_date_range(moment: datetime) -> datetime:
    if not in_date_range(moment.date()):
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return moment


def _iana_zone(name: str) -> str:
    if not is_iana_zone(name):
        raise ValueError("must be an IANA time zone name, e.g. Europe/Paris")
    return name


def _remind_choice(minutes: int) -> int:
    if minutes not in REMIND_CHOICES:
        raise ValueError(f"must be one of {', '.join(map(str, REMIND_CHOICES))}")
    return minutes


#: The same limits the web forms and the API apply: the import writes rows as they are.
Moment = Annotated[AwareDatetime, AfterValidator(_in_date_range)]
Zone = Annotated[str, AfterValidator(_iana_zone)]
RemindMinutes = Annotated[int, AfterValidator(_remind_choice)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Source(_Part):
    server: Url
    actor: Url


class GroupPart(_Part):
    slug: str = limits.GROUP_SLUG.field()
    name: str = limits.GROUP_NAME.field()
    summary_md: str = Field(default="", max_length=20_000)
    location: str = limits.GROUP_LOCATION.field("")
    latitude: float | None = None
    longitude: float | None = None
    visibility: Literal["public", "unlisted"] = "public"
    membership_mode: MembershipMode = MembershipMode.OPEN
    proposals_by: Literal["members", "moderators"] = "members"
    posting_policy: Literal["members", "followers", "moderated"] = "members"
    tags: list[str] = Field(default_factory=list, max_length=50)


class Member(_Part):
    actor: Url
    role: Literal["admin", "moderator", "member"] = "member"
    state: MembershipState = MembershipState.ACTIVE


class Follower(_Part):
    actor: Url


class Answer(_Part):
    actor: Url
    status: RsvpStatus
    via: Literal["web", "api", "join", "friendica", "poll"] = "web"
    note: str = Field(default="", max_length=500)
    at: Moment | None = None


class CheckInPart(_Part):
    actor: Url
    at: Moment


class Meetup(_Part):
    id: Url
    title: str = limits.EVENT_TITLE.field()
    description_md: str = Field(default="", max_length=50_000)
    starts_at: Moment
    ends_at: Moment
    timezone: Zone
    all_day: bool = False
    venue_name: str = limits.VENUE_NAME.field("")
    street: str = limits.STREET.field("")
    postal_code: str = limits.POSTAL_CODE.field("")
    locality: str = limits.LOCALITY.field("")
    country: str = limits.COUNTRY.field("")
    latitude: float | None = limits.LATITUDE.field(None)
    longitude: float | None = limits.LONGITUDE.field(None)
    online_url: str = limits.LINK.field("")
    capacity: int | None = limits.CAPACITY.field(None)
    join_mode: JoinMode = JoinMode.FREE
    external_url: str = limits.LINK.field("")
    status: EventStatus = EventStatus.CONFIRMED
    visibility: Literal["public", "unlisted", "members"] = "public"
    comments_enabled: bool = True
    remind_minutes: RemindMinutes = 1440
    answers: list[Answer] = Field(default_factory=list, max_length=MAX_ITEMS)
    check_ins: list[CheckInPart] = Field(default_factory=list, max_length=MAX_ITEMS)


class Post(_Part):
    author: Url | None = None
    content_md: str = Field(min_length=1, max_length=50_000)
    visibility: Literal["public", "unlisted", "followers", "members"] = "public"
    published_at: Moment


class Vote(_Part):
    actor: Url
    option: str = Field(min_length=1, max_length=200)
    at: Moment | None = None


class ProposalPart(_Part):
    title: str = Field(min_length=1, max_length=200)
    body_md: str = Field(default="", max_length=50_000)
    author: Url | None = None
    options: list[str] = Field(min_length=1, max_length=50)
    method: Literal["majority", "consent", "poll"] = "majority"
    eligibility: Literal["members", "checked_in"] = "members"
    visibility: Literal["members", "public"] = "members"
    secret: bool = False
    quorum_count: int | None = limits.QUORUM_COUNT.field(None)
    quorum_percent: int | None = Field(default=None, ge=0, le=100)
    opens_at: Moment
    closes_at: Moment
    tallied_at: Moment | None = None
    outcome: Literal["", "passed", "rejected", "no_quorum", "blocked", "poll_closed"] = ""
    result: dict[str, Any] | None = None
    votes: list[Vote] = Field(default_factory=list, max_length=MAX_ITEMS)


class Archive(_Part):
    format: Literal["hearth-group-archive"]
    version: Literal[1]
    exported_at: datetime | None = None
    source: Source
    group: GroupPart
    members: list[Member] = Field(default_factory=list, max_length=MAX_ITEMS)
    followers: list[Follower] = Field(default_factory=list, max_length=MAX_ITEMS)
    meetups: list[Meetup] = Field(default_factory=list, max_length=MAX_ITEMS)
    posts: list[Post] = Field(default_factory=list, max_length=MAX_ITEMS)
    proposals: list[ProposalPart] = Field(default_factory=list, max_length=MAX_ITEMS)


def _place(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "archive"


def parse_archive(raw: bytes | str) -> Archive:
    """The archive in ``raw``, or InvalidInput naming what is wrong and where."""
    if "\\u0000" in (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw):
        raise InvalidInput(_("The archive contains NUL characters."), field="archive")
    try:
        data = parse_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("The archive is not JSON: %(problem)s") % {"problem": exc}, field="archive"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(_("The archive is not a JSON object."), field="archive")
    if data.get("format") != "hearth-group-archive":
        raise InvalidInput(_("This is not a Hearth group archive (format)."), field="archive")
    if data.get("version") != 1:
        raise InvalidInput(
            _("Archive version %(version)r is not supported (this server reads 1).")
            % {"version": data.get("version")},
            field="archive",
        )
    try:
        archive = Archive.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_place(e['loc'])}: {e['msg']}" for e in exc.errors()[:5]]
        message = _("The archive is invalid: %(problems)s") % {"problems": "; ".join(problems)}
        raise InvalidInput(message, field="archive") from None
    for index, meetup in enumerate(archive.meetups):
        if meetup.ends_at < meetup.starts_at:
            raise InvalidInput(
                _("meetups[%(index)d]: ends before it starts") % {"index": index}, field="archive"
            )
    return archive
