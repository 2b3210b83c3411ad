"""Body digests: ``Digest`` (RFC 3230, what draft-cavage peers send) and ``Content-Digest``
(RFC 9530, what RFC 9421 peers send).

A signature covers the digest header, not the body, so a verifier must also recompute the
digest over the exact bytes it received. Mastodon accepts only SHA-256 in ``Digest``;
Fedify also takes SHA-512, and so do we. Every digest we understand must match; digests
with algorithms we do not know are skipped, but a header offering only those is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable

from federation.http_message import HeaderMap, lower_headers
from federation.structured_fields import Item, StructuredFieldError, parse_dictionary

#: Hash functions by the lower-case algorithm names both headers use.
HASHES: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda data: hashlib.sha256(data).digest(),
    "sha-512": lambda data: hashlib.sha512(data).digest(),
}


def sha256_digest_header(body: bytes) -> str:
    """The ``Digest`` value for ``body``: ``SHA-256=<base64>``."""
    return "SHA-256=" + _b64(HASHES["sha-256"](body))


def content_digest_header(body: bytes) -> str:
    """The ``Content-Digest`` value for ``body``: ``sha-256=:<base64>:`` (RFC 9530)."""
    return "sha-256=:" + _b64(HASHES["sha-256"](body)) + ":"


def check_body_digest(headers: HeaderMap, body: bytes) -> str | None:
    """Check every ``Digest``/``Content-Digest`` header present against ``body``.

    Return ``None`` when all of them match, else a reason for the rejection.
    """
    fields = lower_headers(headers)
    checks = [
        (name, parse)
        for name, parse in (("digest", parse_digest), ("content-digest", parse_content_digest))
        if name in fields
    ]
    if not checks:
        return "request has neither a Digest nor a Content-Digest header"
    for name, parse in checks:
        try:
            digests = parse(fields[name])
        except StructuredFieldError:
            return f"{_display(name)} header is malformed"
        reason = _check_one(_display(name), digests, body)
        if reason is not None:
            return reason
    return None


def parse_digest(value: str) -> dict[str, bytes | None]:
    """Parse a ``Digest`` value into decoded digests by lower-case algorithm.

    A value that is not base64 maps to ``None`` so that the check can name it.
    """
    digests: dict[str, bytes | None] = {}
    for part in value.split(","):
        algorithm, _, encoded = part.strip().partition("=")
        digests[algorithm.strip().lower()] = _decode_b64(encoded.strip())
    return digests


def parse_content_digest(value: str) -> dict[str, bytes | None]:
    """Parse a ``Content-Digest`` dictionary into digests by algorithm (``None`` if malformed).

    Raise ``StructuredFieldError`` when the value is not a dictionary at all.
    """
    members = parse_dictionary(value)
    return {
        key: member.value if isinstance(member, Item) and isinstance(member.value, bytes) else None
        for key, member in members.items()
    }


def _check_one(header: str, digests: dict[str, bytes | None], body: bytes) -> str | None:
    known = {name: digest for name, digest in digests.items() if name in HASHES}
    if not known:
        offered = ", ".join(sorted(digests)) or "none"
        return f"{header} header offers no supported algorithm (offered: {offered})"
    for name, digest in known.items():
        if digest is None:
            return f"{header} header has a malformed {name} value"
        if not hmac.compare_digest(digest, HASHES[name](body)):
            return f"digest does not match the body ({header} {name})"
    return None


def _display(name: str) -> str:
    return "Content-Digest" if name == "content-digest" else "Digest"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode_b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
