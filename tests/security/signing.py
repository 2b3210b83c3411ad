"""Hand-made draft-cavage signatures with any algorithm label and any signing function, for
the cases a well-behaved signer never produces (HMAC keyed with the public key, SHA-1…)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.flows.peer import AS_TYPE, MASTODON_SIGNED, PeerActor, digest_of, http_date, public_pem

SignFunction = Callable[[bytes], bytes]


def signing_string(method: str, url: str, headers: dict[str, str], names: Iterable[str]) -> bytes:
    """Mastodon's signing string over ``names``."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"{name}: {method.lower()} {target}"
        if name == "(request-target)"
        else f"{name}: {headers[name]}"
        for name in names
    ]
    return "\n".join(lines).encode()


def cavage_headers(
    actor: PeerActor,
    url: str,
    body: bytes,
    sign: SignFunction,
    *,
    algorithm: str,
    signed: Iterable[str] = MASTODON_SIGNED,
    digest: str | None = None,
) -> dict[str, str]:
    """POST headers signed with ``sign`` over the usual signing string, labelled ``algorithm``
    (``digest`` replaces the body's true Digest header, before signing)."""
    names = list(signed)
    headers = {
        "host": urlsplit(url).netloc,
        "date": http_date(datetime.now(UTC)),
        "digest": digest_of(body) if digest is None else digest,
        "content-type": AS_TYPE,
    }
    signature = base64.b64encode(sign(signing_string("POST", url, headers, names))).decode()
    headers["signature"] = (
        f'keyId="{actor.key_id}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{signature}"'
    )
    return headers


def hmac_with_public_key(actor: PeerActor) -> SignFunction:
    """HMAC-SHA256 keyed with the actor's *public* PEM: the classic algorithm confusion."""
    secret = public_pem(actor.key).encode()
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def rsa_with(actor: PeerActor, digest: hashes.HashAlgorithm) -> SignFunction:
    """RSASSA-PKCS1-v1_5 with the actor's real key and the given hash."""
    return lambda data: actor.key.sign(data, padding.PKCS1v15(), digest)


def rsa_pss(actor: PeerActor) -> SignFunction:
    """RSASSA-PSS with SHA-512 (RFC 9421's rsa-pss-sha512) with the actor's real key."""
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    return lambda data: actor.key.sign(data, pss, hashes.SHA512())
