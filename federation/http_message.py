"""The parts of an HTTP request that signatures cover: header fields, dates and the target.

Signers and verifiers must derive these pieces the same way, so they live here once:

- header names are case-insensitive; :func:`lower_headers` turns any mapping (``dict``,
  ``httpx.Headers``, starlette's ``Headers``) into one ``dict`` keyed by lower-case name,
  joining repeated fields with ``", "`` as RFC 9110 section 5.3 allows;
- dates are IMF-fixdate (``Sun, 05 Jan 2014 21:31:40 GMT``), always in UTC;
- the target is parsed with ``httpx.URL`` so that the ``Host`` we sign is exactly the one
  httpx sends (default ports dropped, IDNA hosts in their ``xn--`` form).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import httpx

#: What the verifier accepts as request headers: any mapping from names to values.
HeaderMap = Mapping[str, str]

#: Methods that carry no body, so their signatures need no digest.
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class SignatureError(ValueError):
    """A signature header is malformed or names parts the request does not have.

    The message is a human-readable reason, suitable for a 401 answer.
    """


class TargetError(SignatureError):
    """The request URL cannot be parsed into an authority and a path."""


@dataclass(frozen=True)
class RequestTarget:
    """The pieces of a request URL that signature schemes cover."""

    uri: str
    """The normalized absolute URL (RFC 9421 ``@target-uri``)."""
    scheme: str
    authority: str
    """``host[:port]`` with the port only when it is not the scheme's default."""
    path: str
    """The percent-encoded path, ``/`` when empty (RFC 9421 ``@path``)."""
    query: str
    """The percent-encoded query without ``?``; empty when there is none."""

    @property
    def path_and_query(self) -> str:
        """The origin-form target: path, then ``?query`` when a query is present."""
        return f"{self.path}?{self.query}" if self.query else self.path


@functools.lru_cache(maxsize=1024)  # inboxes are few; every signed request asks
def parse_target(url: str) -> RequestTarget:
    """Split an absolute URL into the pieces signatures cover; raise ``TargetError``."""
    try:
        parsed = httpx.URL(url)
        authority = parsed.netloc.decode("ascii")
        path = parsed.raw_path.decode("ascii").split("?", 1)[0] or "/"
        query = parsed.query.decode("ascii")
    except (httpx.InvalidURL, TypeError, UnicodeError) as exc:
        raise TargetError(f"request URL {url!r} cannot be parsed") from exc
    if not parsed.is_absolute_url or not authority:
        raise TargetError(f"request URL {url!r} is not an absolute URL")
    return RequestTarget(
        uri=str(parsed), scheme=parsed.scheme, authority=authority, path=path, query=query
    )


def lower_headers(headers: HeaderMap | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Return the headers keyed by lower-case name; repeated fields are joined with ``", "``.

    Values are stripped of surrounding whitespace, as both signature schemes require.
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    lowered: dict[str, str] = {}
    for name, value in pairs:
        key = str(name).lower()
        text = str(value).strip()
        lowered[key] = f"{lowered[key]}, {text}" if key in lowered else text
    return lowered


def format_http_date(moment: datetime) -> str:
    """Format ``moment`` as an IMF-fixdate; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str) -> datetime | None:
    """Parse an HTTP date into an aware UTC datetime, or ``None`` when it is not one."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_now(now: datetime | None = None) -> datetime:
    """Return ``now`` as an aware UTC datetime, or the current time when it is ``None``."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def has_body(method: str, body: bytes | None) -> bool:
    """Whether a request carries content that a signature must bind through a digest.

    ``None`` means "no body at all"; an empty body counts for methods that normally carry
    one (a POST of zero bytes still gets a digest), not for GET and friends.
    """
    if body is None:
        return False
    return bool(body) or method.upper() not in BODYLESS_METHODS
