"""The front door for signed requests: pick the scheme, apply our policy, check the key.

The inbox and authorized fetch call :func:`verify_request`; it never raises on what a peer
sends and answers ``Verified`` or ``Rejected(reason)``. Our policy, per scheme:

- RFC 9421 when ``Signature-Input`` is present (Fedify's first knock), else draft-cavage
  from ``Signature`` or ``Authorization: Signature …`` (Mastodon, everyone else);
- the request target must be signed (``(request-target)``, or ``@method`` with
  ``@target-uri``/``@path``/``@request-target``), and so must the host (``host``,
  ``@authority``, or ``@target-uri`` which contains it);
- a signed ``Date`` or a signed ``created`` must lie within ``window`` of now, either side
  (an hour, Fedify's default; Mastodon allows 12 hours back but only 1 hour of skew
  forward); an ``expires`` in the past is refused;
- a request with a body must sign ``Digest`` or ``Content-Digest``, and every digest
  header present must match the bytes received;
- draft-cavage algorithms other than ``rsa-sha256`` and ``hs2019`` are refused.

Key rotation: the key from ``resolve_key(key_id, refresh=False)`` is tried first; if it is
missing or does not verify, ``resolve_key(key_id, refresh=True)`` is asked once more, as
Mastodon and Fedify do. The caller must still check that the key owner is the activity's
actor (:func:`key_owner_matches`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from federation import httpsig, rfc9421
from federation.digest import check_body_digest
from federation.http_message import (
    RequestTarget,
    SignatureError,
    has_body,
    lower_headers,
    parse_http_date,
    parse_target,
    utc_now,
)
from federation.keys import KeyFormatError, PublicKey, load_public_key, parse_algorithm

__all__ = [
    "ActorKey",
    "KeyResolver",
    "Rejected",
    "Scheme",
    "Verified",
    "key_owner_matches",
    "signed_headers",
    "verify_request",
]

Scheme = Literal["cavage", "rfc9421"]
DEFAULT_WINDOW = timedelta(hours=1)
_TARGET_COMPONENTS = frozenset({"@target-uri", "@path", "@request-target"})
_HOST_COMPONENTS = frozenset({"host", "@authority", "@target-uri"})
_DIGEST_HEADERS = frozenset({"digest", "content-digest"})


@dataclass(frozen=True)
class ActorKey:
    """A public key as the server knows it: its id, its owner (an actor id), its PEM."""

    key_id: str
    owner: str
    public_key_pem: str


class KeyResolver(Protocol):
    """Finds the key for a key id; ``refresh=True`` asks to refetch it (rate-limited)."""

    async def __call__(self, key_id: str, *, refresh: bool) -> ActorKey | None: ...


@dataclass(frozen=True)
class Verified:
    """The request is signed by ``key_id``, which belongs to ``owner``."""

    key_id: str
    owner: str
    scheme: Scheme


@dataclass(frozen=True)
class Rejected:
    """The request is not acceptably signed; ``reason`` says why, for logs and the 401 body."""

    reason: str
    status: int = 401


@dataclass(frozen=True)
class _Coverage:
    """What a signature covers, independently of the scheme."""

    has_target: bool
    has_host: bool
    signs_date: bool
    digest_headers: frozenset[str]
    created_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class _Candidate:
    """A parsed signature, ready to be checked against a key."""

    key_id: str
    scheme: Scheme
    coverage: _Coverage
    check: Callable[[PublicKey], str | None] = field(repr=False)


async def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: KeyResolver,
    *,
    now: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
    require_digest: bool | None = None,
) -> Verified | Rejected:
    """Verify a signed request against our policy and the signer's key.

    ``url`` is the absolute URL as the client addressed it (public scheme and host, raw
    path and query; starlette's ``request.url`` behind a proxy that keeps ``Host``);
    cavage signs the ``Host`` header as received, RFC 9421 the URL's authority. ``body``
    is the raw body received. ``require_digest`` defaults to "the request has a body".
    Malformed input of any kind ends as ``Rejected``; nothing is fetched for a request
    that fails the policy.
    """
    try:
        fields = lower_headers(headers)
    except (TypeError, ValueError, AttributeError):
        return Rejected("request headers could not be read")
    try:
        candidates = _candidates(method, url, fields)
    except SignatureError as exc:
        return Rejected(str(exc))
    except (TypeError, ValueError):  # a safety net: parsers raise SignatureError
        return Rejected("signature headers are malformed")
    if isinstance(candidates, Rejected):
        return candidates
    needs_digest = has_body(method, body) if require_digest is None else require_digest
    failures: list[Rejected] = []
    for candidate in candidates:
        if isinstance(candidate, Rejected):
            failures.append(candidate)
            continue
        reason = _policy_violation(
            candidate.coverage, fields, body, utc_now(now), window, needs_digest
        )
        result = Rejected(reason) if reason else await _authenticate(candidate, resolve_key)
        if isinstance(result, Verified):
            return result
        failures.append(result)
    return failures[0] if failures else Rejected("request is not signed")


def _candidates(
    method: str, url: str, fields: dict[str, str]
) -> list[_Candidate | Rejected] | Rejected:
    """The signatures to try, in order; a signature that cannot be used is a ``Rejected``."""
    target = parse_target(url)
    if "signature-input" in fields:
        if "signature" not in fields:
            return Rejected("Signature-Input header without a Signature header")
        signatures = rfc9421.parse_signatures(fields["signature-input"], fields["signature"])
        return [_rfc9421_candidate(sig, method, target, fields) for sig in signatures]
    value = fields.get("signature")
    authorization = fields.get("authorization", "")
    if value is None and authorization[:10].lower() == "signature ":
        value = authorization
    if value is None:
        return Rejected("request is not signed")
    return [_cavage_candidate(httpsig.parse_signature_header(value), method, target, fields)]


def _cavage_candidate(
    sig: httpsig.CavageSignature, method: str, target: RequestTarget, fields: dict[str, str]
) -> _Candidate:
    if sig.algorithm not in httpsig.ACCEPTED_ALGORITHMS:
        accepted = ", ".join(sorted(httpsig.ACCEPTED_ALGORITHMS))
        raise SignatureError(
            f"unsupported signature algorithm {sig.algorithm!r} (accepted: {accepted})"
        )
    strings = httpsig.signing_strings(sig, method, target, fields)
    names = set(sig.headers)
    coverage = _Coverage(
        has_target=httpsig.REQUEST_TARGET in names,
        has_host="host" in names,
        signs_date="date" in names,
        digest_headers=frozenset(names & _DIGEST_HEADERS),
        created_at=sig.created_at if "(created)" in names else None,
        expires_at=sig.expires_at,
    )
    return _Candidate(
        sig.key_id, "cavage", coverage, lambda key: httpsig.verify_signature(sig, strings, key)
    )


def _rfc9421_candidate(
    sig: rfc9421.MessageSignature, method: str, target: RequestTarget, fields: dict[str, str]
) -> _Candidate | Rejected:
    if sig.algorithm is not None and parse_algorithm(sig.algorithm) is None:
        return Rejected(f"unsupported signature algorithm {sig.algorithm!r}")
    try:
        base = rfc9421.signature_base(sig.input, method, target, fields)
    except SignatureError as exc:
        return Rejected(str(exc))
    names = set(sig.components)
    coverage = _Coverage(
        has_target="@method" in names and bool(names & _TARGET_COMPONENTS),
        has_host=bool(names & _HOST_COMPONENTS),
        signs_date="date" in names,
        digest_headers=frozenset(names & _DIGEST_HEADERS),
        created_at=sig.created_at,
        expires_at=sig.expires_at,
    )
    return _Candidate(
        sig.key_id, "rfc9421", coverage, lambda key: rfc9421.verify_signature(sig, base, key)
    )


def _policy_violation(
    coverage: _Coverage,
    fields: dict[str, str],
    body: bytes,
    now: datetime,
    window: timedelta,
    needs_digest: bool,
) -> str | None:
    if not coverage.has_target:
        return (
            "signature does not cover the request target "
            "((request-target), or @method with @target-uri or @path)"
        )
    if not coverage.has_host:
        return "signature does not cover the host (host or @authority)"
    return _time_violation(coverage, fields, now, window) or _digest_violation(
        coverage, fields, body, needs_digest
    )


def _time_violation(
    coverage: _Coverage, fields: dict[str, str], now: datetime, window: timedelta
) -> str | None:
    moments: list[tuple[str, datetime]] = []
    if coverage.signs_date:
        date = parse_http_date(fields.get("date", ""))
        if date is None:
            return "Date header is not a valid HTTP date"
        moments.append(("Date", date))
    if coverage.created_at is not None:
        moments.append(("created", coverage.created_at))
    if not moments:
        return "signature covers neither the Date header nor a created time"
    for label, moment in moments:
        if moment > now + window:
            return f"{label} {moment.isoformat()} is too far in the future (window {window})"
        if moment < now - window:
            return f"{label} {moment.isoformat()} is too old (window {window})"
    if coverage.expires_at is not None and coverage.expires_at < now:
        return f"signature expired at {coverage.expires_at.isoformat()}"
    return None


def _digest_violation(
    coverage: _Coverage, fields: dict[str, str], body: bytes, needs_digest: bool
) -> str | None:
    if needs_digest and not coverage.digest_headers:
        return "the body digest is not signed (sign Digest or Content-Digest)"
    if needs_digest or coverage.digest_headers:
        return check_body_digest(fields, body)
    return None


async def _authenticate(candidate: _Candidate, resolve_key: KeyResolver) -> Verified | Rejected:
    reason = f"no public key found for {candidate.key_id}"
    for refresh in (False, True):
        try:
            actor_key = await resolve_key(candidate.key_id, refresh=refresh)
        except Exception as exc:  # a resolver failure must not turn into a 500
            reason = f"public key {candidate.key_id} could not be fetched ({type(exc).__name__})"
            continue
        if actor_key is None:
            reason = f"no public key found for {candidate.key_id}"
            continue
        try:
            public_key = load_public_key(actor_key.public_key_pem)
        except KeyFormatError as exc:
            reason = f"public key {candidate.key_id} is unusable: {exc}"
            continue
        failure = candidate.check(public_key)
        if failure is None:
            return Verified(key_id=actor_key.key_id, owner=actor_key.owner, scheme=candidate.scheme)
        reason = failure
    return Rejected(reason)


def key_owner_matches(verified: Verified, actor_id: str | None) -> bool:
    """Whether the verified key belongs to ``actor_id`` (the activity's ``actor``)."""
    return actor_id is not None and verified.owner == actor_id


def signed_headers(
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    *,
    scheme: Scheme = "cavage",
    now: datetime | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The signature headers to add to an outgoing request (delivery or signed fetch).

    ``headers`` are those the request already has (e.g. ``Accept``, which cavage GETs
    sign). Send exactly ``body``: the digest is computed over it.
    """
    sign: Callable[..., dict[str, str]]
    sign = rfc9421.sign_request_rfc9421 if scheme == "rfc9421" else httpsig.sign_request
    return sign(method, url, headers, body, key_id, private_key_pem, now=now)
