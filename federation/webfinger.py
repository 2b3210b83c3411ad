"""WebFinger (RFC 7033): answering for local accounts and looking up remote ones.

A lookup asks the handle's own domain, then validates the JRD as Mastodon's
``ResolveAccountService`` does: the ``subject`` (or an alias) must be the account asked
for; if the subject names another account, that account's domain is asked in turn and
must confirm it. The ``self`` link of an ActivityStreams type gives the actor URI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlencode, urlsplit

import httpx

from federation.addresses import (
    InvalidHostError,
    format_authority,
    is_http_url,
    same_origin,
    split_authority,
)
from federation.fetch import (
    FetchError,
    FetchStatusError,
    fetch_json,
    is_activitystreams_type,
    is_json_type,
)
from federation.jsonld import AS_MEDIA_TYPE, JsonObject, as_list

JRD_MEDIA_TYPE = "application/jrd+json"
ACCEPT = f"{JRD_MEDIA_TYPE}, application/json"
PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
#: Usernames as fediverse servers spell them (Mastodon: ``[a-z0-9_]``; others add ``.-``).
USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")


class WebFingerError(Exception):
    """A handle could not be resolved to an actor."""


def parse_handle(handle: str) -> tuple[str, str]:
    """``@club@town.example`` (or ``club@…``, ``acct:club@…``) → ``('club', 'town.example')``.

    The domain is normalised (lowercase, IDNA, port kept); raises ``ValueError``.
    """
    text = handle.strip()
    text = text[len("acct:") :] if text.lower().startswith("acct:") else text
    user, at, domain = text.removeprefix("@").partition("@")
    if not at or not USERNAME.match(user):
        raise ValueError(f"not a handle: {handle!r}")
    try:
        host, port = split_authority(domain)
    except InvalidHostError as exc:
        raise ValueError(f"not a handle: {handle!r} ({exc})") from None
    return user, format_authority(host, port)


def _normalise_acct(value: object) -> tuple[str, str] | None:
    if not isinstance(value, str) or not value.lower().startswith("acct:"):
        return None
    try:
        user, domain = parse_handle(value)
    except ValueError:
        return None
    return user.lower(), domain


def build_jrd(
    subject: str, actor_uri: str, profile_url: str, aliases: Iterable[str] = ()
) -> JsonObject:
    """The JRD answering for a local actor (serve as ``application/jrd+json``)."""
    return {
        "subject": subject,
        "aliases": list(dict.fromkeys(aliases)),
        "links": [
            {"rel": "self", "type": AS_MEDIA_TYPE, "href": actor_uri},
            {"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url},
        ],
    }


def _name_from_url(resource: str, base_url: str, actor_prefixes: tuple[str, ...]) -> str | None:
    if not same_origin(resource, base_url):
        return None
    segments = urlsplit(resource).path.strip("/").split("/")
    if len(segments) == 2 and segments[0] in actor_prefixes:
        name = segments[1]
    elif len(segments) == 1 and segments[0].startswith("@"):
        name = segments[0][1:]
    else:
        return None
    return name if USERNAME.match(name) else None


def parse_resource(
    resource: str,
    local_domain: str,
    *,
    base_url: str | None = None,
    actor_prefixes: tuple[str, ...] = ("groups", "users"),
) -> str | None:
    """The local username a WebFinger ``resource`` asks for, or None if it is not ours.

    Accepts ``acct:name@domain``, ``name@domain`` and ``@name@domain``; with ``base_url``
    also actor URLs ``<base_url>/<prefix>/<name>`` and ``<base_url>/@<name>``.
    """
    resource = resource.strip()
    if "://" in resource:
        return _name_from_url(resource, base_url, actor_prefixes) if base_url else None
    try:
        user, domain = parse_handle(resource)
        local = format_authority(*split_authority(local_domain))
    except ValueError:  # InvalidHostError included
        return None
    return user if domain == local else None


def jrd_subject(jrd: JsonObject) -> str:
    """The JRD's subject; ``WebFingerError`` if it is missing."""
    subject = jrd.get("subject")
    if not isinstance(subject, str) or not subject:
        raise WebFingerError("the JRD has no subject")
    return subject


def self_link(jrd: JsonObject) -> str:
    """The actor URI: the ``self`` link of an ActivityStreams type with an http(s) href."""
    links = jrd.get("links")
    if not isinstance(links, list):
        raise WebFingerError("the JRD has no list of links")
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        is_as_type = isinstance(link.get("type"), str) and is_activitystreams_type(link["type"])
        if is_as_type and is_http_url(link.get("href")):
            return str(link["href"])
    raise WebFingerError("the JRD has no ActivityPub self link")


def _names_account(jrd: JsonObject, account: tuple[str, str]) -> bool:
    names = [jrd_subject(jrd), *as_list(jrd.get("aliases"))]
    return any(_normalise_acct(name) == account for name in names)


async def query(
    client: httpx.AsyncClient,
    acct: str,
    *,
    scheme: str = "https",
    timeout: float = 10.0,  # noqa: ASYNC109 (passed to fetch_json)
) -> JsonObject:
    """GET the JRD of ``acct:user@domain`` from that domain."""
    try:
        _, domain = parse_handle(acct)
    except ValueError as exc:
        raise WebFingerError(str(exc)) from None
    url = f"{scheme}://{domain}/.well-known/webfinger?{urlencode({'resource': acct})}"
    try:
        document = await fetch_json(
            client, url, accept=ACCEPT, accepts=is_json_type, max_bytes=100_000, timeout=timeout
        )
    except FetchStatusError as exc:
        if exc.status in (404, 410):
            raise WebFingerError(f"{acct} does not exist (HTTP {exc.status})") from exc
        raise WebFingerError(f"WebFinger for {acct} failed: {exc}") from exc
    except FetchError as exc:
        raise WebFingerError(f"WebFinger for {acct} failed: {exc}") from exc
    return document.data


async def lookup(
    client: httpx.AsyncClient,
    handle: str,
    *,
    scheme: str = "https",
    timeout: float = 10.0,  # noqa: ASYNC109 (passed to fetch_json)
) -> str:
    """The actor URI of ``@user@domain``, validated as described in the module docstring.

    Which addresses may be contacted is decided by the client's transport
    (``SafeTransport``); raises ``WebFingerError``.
    """
    try:
        user, domain = parse_handle(handle)
    except ValueError as exc:
        raise WebFingerError(str(exc)) from None
    acct = f"acct:{user}@{domain}"
    jrd = await query(client, acct, scheme=scheme, timeout=timeout)
    if _names_account(jrd, (user.lower(), domain)):
        return self_link(jrd)
    subject = _normalise_acct(jrd_subject(jrd))
    if subject is None:
        raise WebFingerError(f"the JRD for {acct} is about {jrd_subject(jrd)!r}")
    redirected = f"acct:{subject[0]}@{subject[1]}"
    confirmed = await query(client, redirected, scheme=scheme, timeout=timeout)
    if _normalise_acct(jrd_subject(confirmed)) != subject:
        raise WebFingerError(f"{redirected} does not confirm that it is {acct}")
    return self_link(confirmed)
