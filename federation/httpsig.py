"""draft-cavage-http-signatures-12, as Mastodon sends and checks it.

Mastodon (``app/lib/request.rb``, ``app/lib/http_signature_draft.rb``) signs every header
it sets except ``User-Agent`` and ``Accept-Encoding``: ``(request-target) host date`` plus
``digest`` on POST and ``accept`` on fetches. We sign the same set, minus
``content-type``, which no verifier requires. The header looks like::

    Signature: keyId="https://town.example/groups/club#main-key",algorithm="rsa-sha256",
               headers="(request-target) host date digest",signature="<base64>"

On the verifying side Mastodon (``signature_verification.rb``, ``signed_request.rb``)
accepts ``rsa-sha256`` and ``hs2019``, defaults ``headers`` to ``(created)`` for hs2019 and
``date`` otherwise, and tries ``(request-target)`` with the query string and then without
it, because older Mastodon versions left the query out. We do the same. The policy (which
headers must be signed, the time window) lives in :mod:`federation.verify`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from federation.digest import sha256_digest_header
from federation.http_message import (
    HeaderMap,
    RequestTarget,
    SignatureError,
    format_http_date,
    has_body,
    lower_headers,
    parse_target,
    utc_now,
)
from federation.keys import (
    PrivateKey,
    PublicKey,
    SignatureAlgorithm,
    coerce_private_key,
    default_algorithm,
    sign_bytes,
    verify_bytes,
)

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "CavageSignature",
    "cavage_algorithm",
    "format_signature_header",
    "parse_signature_header",
    "sign_request",
    "signing_strings",
    "verify_signature",
]

REQUEST_TARGET = "(request-target)"
#: Algorithm names we accept; both mean "whatever the key is" for us, like for Mastodon.
ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
_PSEUDO_PARAMS = {"(created)": "created", "(expires)": "expires"}
_PARAM_RE = re.compile(
    r'[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^\s,"]+))[ \t]*'
)
_NUMBER_RE = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")


@dataclass(frozen=True)
class CavageSignature:
    """The parsed parameters of a draft-cavage ``Signature`` header."""

    key_id: str
    algorithm: str
    """Lower-case; ``hs2019`` when the header names none (as Mastodon assumes)."""
    headers: tuple[str, ...]
    """Signed header names, lower-case, in signing order."""
    signature: bytes
    created: str | None = None
    """The ``created`` parameter as sent, for the ``(created)`` line."""
    expires: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None


def parse_signature_header(value: str) -> CavageSignature:
    """Parse a ``Signature`` (or ``Authorization: Signature …``) value; raise ``SignatureError``."""
    params = _parse_params(_strip_scheme(value))
    key_id = params.get("keyid")
    if not key_id:
        raise SignatureError("Signature header has no keyId")
    encoded = params.get("signature")
    if not encoded:
        raise SignatureError("Signature header has no signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    default_headers = "(created)" if algorithm == "hs2019" else "date"
    headers = tuple(params.get("headers", default_headers).lower().split())
    if not headers:
        raise SignatureError("Signature header lists no signed headers")
    return CavageSignature(
        key_id=key_id,
        algorithm=algorithm,
        headers=headers,
        signature=_decode_signature(encoded),
        created=params.get("created"),
        expires=params.get("expires"),
        created_at=_timestamp(params, "created"),
        expires_at=_timestamp(params, "expires"),
    )


def _strip_scheme(value: str) -> str:
    # Authorization carries the scheme name; old node-http-signature put it in Signature too.
    text = value.strip()
    return text[len("signature ") :] if text[:10].lower() == "signature " else text


def _parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM_RE.match(text, pos)
        if match is None:
            raise SignatureError(f"Signature header is malformed at position {pos}")
        name = match.group(1).lower()
        if name in params:
            raise SignatureError(f"Signature header repeats the {match.group(1)} parameter")
        quoted = match.group(2)
        if quoted is None:
            params[name] = match.group(3)
        else:
            params[name] = re.sub(r"\\(.)", r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
        if pos < len(text):
            if text[pos] != ",":
                raise SignatureError(f"Signature header is malformed at position {pos}")
            pos += 1
            if not text[pos:].strip():
                raise SignatureError("Signature header ends with a comma")
    return params


def _decode_signature(encoded: str) -> bytes:
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("Signature header's signature is not base64") from None
    if not decoded:
        raise SignatureError("Signature header's signature is empty")
    return decoded


def _timestamp(params: dict[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if not _NUMBER_RE.fullmatch(value):
        raise SignatureError(f"Signature header has a malformed {name} parameter")
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(f"Signature header's {name} parameter is out of range") from None


def signing_strings(
    signature: CavageSignature, method: str, target: RequestTarget, headers: dict[str, str]
) -> list[bytes]:
    """The signing strings the signature may have been made over, most likely first.

    ``headers`` must be keyed by lower-case name (see ``lower_headers``). When the target
    has a query, the second candidate leaves it out of ``(request-target)``, as old
    Mastodon versions did. Raise ``SignatureError`` when a signed header is missing.
    """
    targets = [target.path_and_query]
    if target.query:
        targets.append(target.path)
    return [
        _signing_string(signature.headers, method, request_target, headers, signature).encode()
        for request_target in targets
    ]


def _signing_string(
    names: tuple[str, ...],
    method: str,
    request_target: str,
    headers: dict[str, str],
    signature: CavageSignature | None = None,
) -> str:
    lines = [
        f"{name}: {_signed_value(name, method, request_target, headers, signature)}"
        for name in names
    ]
    return "\n".join(lines)


def _signed_value(
    name: str,
    method: str,
    request_target: str,
    headers: dict[str, str],
    signature: CavageSignature | None,
) -> str:
    if name == REQUEST_TARGET:
        return f"{method.lower()} {request_target}"
    if name in _PSEUDO_PARAMS:
        # draft-cavage-12 section 2.3: (created)/(expires) are errors with rsa-* algorithms.
        value = getattr(signature, _PSEUDO_PARAMS[name], None)
        if signature is None or value is None or signature.algorithm != "hs2019":
            raise SignatureError(f"{name} is signed but needs hs2019 and its parameter")
        return str(value)
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"signed header {name!r} is missing from the request")
    return value


def cavage_algorithm(name: str, key: PublicKey | PrivateKey) -> SignatureAlgorithm | None:
    """Map a draft-cavage algorithm name to the primitive for ``key``; ``None`` if unfit.

    ``hs2019`` means "derived from the key": RSASSA-PKCS1-v1_5 with SHA-256 for RSA keys
    (what every fediverse peer does, though the draft suggests PSS) and Ed25519 for
    Ed25519 keys. ``rsa-sha256`` needs an RSA key.
    """
    algorithm = default_algorithm(key)
    if name == "hs2019" or (name == "rsa-sha256" and algorithm == "rsa-v1_5-sha256"):
        return algorithm
    return None


def verify_signature(
    signature: CavageSignature, candidates: list[bytes], key: PublicKey
) -> str | None:
    """Check the signature over the candidate signing strings; return a reason or ``None``."""
    algorithm = cavage_algorithm(signature.algorithm, key)
    if algorithm is None:
        return f"algorithm {signature.algorithm} does not fit the key {signature.key_id}"
    if any(verify_bytes(key, text, signature.signature, algorithm) for text in candidates):
        return None
    return f"signature does not verify with the key {signature.key_id}"


def format_signature_header(
    key_id: str, algorithm: str, headers: list[str] | tuple[str, ...], signature: bytes
) -> str:
    """Format a ``Signature`` value with parameters in Mastodon's order."""
    quoted_key_id = key_id.replace("\\", "\\\\").replace('"', '\\"')
    encoded = base64.b64encode(signature).decode("ascii")
    return (
        f'keyId="{quoted_key_id}",algorithm="{algorithm}",'
        f'headers="{" ".join(headers)}",signature="{encoded}"'
    )


def sign_request(
    method: str,
    url: str,
    headers: HeaderMap | None,
    body: bytes | None,
    key_id: str,
    private_key: PrivateKey | str,
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    """Sign a request; return the headers to add (``Host``, ``Date``, ``Digest``, ``Signature``).

    ``Host`` and ``Date`` already in ``headers`` are signed as they are. ``Digest`` is
    always computed over exactly ``body``: send those bytes and no others. GET and HEAD
    requests with an ``Accept`` header sign it too, as Mastodon does.
    """
    key = coerce_private_key(private_key)
    target = parse_target(url)
    given = lower_headers(headers or {})
    added = {
        "Host": given.get("host", target.authority),
        "Date": given.get("date") or format_http_date(utc_now(now)),
    }
    names = [REQUEST_TARGET, "host", "date"]
    if has_body(method, body):
        added["Digest"] = sha256_digest_header(body or b"")
        names.append("digest")
    if method.upper() in ("GET", "HEAD") and "accept" in given:
        names.append("accept")
    values = given | lower_headers(added)
    text = _signing_string(tuple(names), method, target.path_and_query, values)
    algorithm_name = "hs2019" if default_algorithm(key) == "ed25519" else "rsa-sha256"
    signature = sign_bytes(key, text.encode())
    added["Signature"] = format_signature_header(key_id, algorithm_name, names, signature)
    return added
