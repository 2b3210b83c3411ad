"""The front door: both schemes end to end, our policy, key rotation, and tampering."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.datastructures import Headers as StarletteHeaders

from federation.digest import content_digest_header, sha256_digest_header
from federation.http_message import format_http_date
from federation.keys import KeyPair, load_private_key
from federation.rfc9421 import sign_request_rfc9421
from federation.verify import (
    ActorKey,
    Rejected,
    Scheme,
    Verified,
    key_owner_matches,
    signed_headers,
    verify_request,
)
from tests.federation.vectors import (
    CAVAGE_BODY,
    CAVAGE_C2_BASIC,
    CAVAGE_C3_ALL_HEADERS,
    CAVAGE_EPOCH,
    CAVAGE_HEADERS,
    CAVAGE_PUBLIC_PEM,
    CAVAGE_URL,
    ED25519_PRIVATE_PEM,
    ED25519_PUBLIC_PEM,
    RFC9421_B26_CREATED,
    RFC9421_B26_INPUT,
    RFC9421_B26_SIGNATURE,
    RFC9421_BODY,
    RFC9421_HEADERS,
    RFC9421_URL,
)

NOW = datetime(2025, 5, 3, 14, 0, tzinfo=UTC)
ACTOR = "https://a.test/users/alice"
KEY_ID = f"{ACTOR}#main-key"
INBOX = "https://b.test/groups/club/inbox"
ACTIVITY = b'{"type":"Follow","actor":"https://a.test/users/alice"}'
SCHEMES: tuple[Scheme, ...] = ("cavage", "rfc9421")


@dataclass
class Resolver:
    """A key store that counts its calls; ``fresh`` is what a refetch finds."""

    cached: dict[str, str | None]
    fresh: dict[str, str | None] | None = None
    calls: list[tuple[str, bool]] = field(default_factory=list)

    async def __call__(self, key_id: str, *, refresh: bool) -> ActorKey | None:
        self.calls.append((key_id, refresh))
        store = self.fresh if refresh and self.fresh is not None else self.cached
        pem = store.get(key_id)
        return None if pem is None else ActorKey(key_id=key_id, owner=ACTOR, public_key_pem=pem)


def sign(
    pair: KeyPair,
    scheme: Scheme = "cavage",
    method: str = "POST",
    url: str = INBOX,
    body: bytes | None = ACTIVITY,
    now: datetime = NOW,
) -> dict[str, str]:
    """The headers of a request signed the way our delivery client signs it."""
    return signed_headers(method, url, body, KEY_ID, pair.private_pem, scheme=scheme, now=now)


def hand_signed(
    pair: KeyPair, names: str, headers: dict[str, str], algorithm: str = "rsa-sha256"
) -> dict[str, str]:
    """Sign a POST to INBOX independently of our signer: the signing string built by hand."""
    values = {"(request-target)": "post /groups/club/inbox"} | {
        k.lower(): v for k, v in headers.items()
    }
    text = "\n".join(f"{name}: {values[name]}" for name in names.split())
    private = load_private_key(pair.private_pem)
    assert isinstance(private, rsa.RSAPrivateKey)
    raw = private.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    signature = base64.b64encode(raw).decode()
    header = f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{names}",signature="{signature}"'
    return {**headers, "Signature": header}


def base_headers(body: bytes = ACTIVITY, now: datetime = NOW) -> dict[str, str]:
    return {"Host": "b.test", "Date": format_http_date(now), "Digest": sha256_digest_header(body)}


async def verify(
    headers: Mapping[str, str],
    resolver: Resolver,
    method: str = "POST",
    url: str = INBOX,
    body: bytes = ACTIVITY,
    **options: object,
) -> Verified | Rejected:
    options.setdefault("now", NOW)
    return await verify_request(method, url, headers, body, resolver, **options)  # type: ignore[arg-type]


def assert_rejected(result: Verified | Rejected, reason: str) -> None:
    assert isinstance(result, Rejected), result
    assert reason in result.reason
    assert result.status == 401


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("method", "body"), [("POST", ACTIVITY), ("POST", b""), ("GET", b"")])
async def test_round_trip(pair: KeyPair, scheme: Scheme, method: str, body: bytes) -> None:
    resolver = Resolver({KEY_ID: pair.public_pem})
    headers = sign(pair, scheme, method, body=body)
    result = await verify(headers, resolver, method, body=body)
    assert result == Verified(key_id=KEY_ID, owner=ACTOR, scheme=scheme)
    assert resolver.calls == [(KEY_ID, False)]
    assert key_owner_matches(result, ACTOR)
    assert not key_owner_matches(result, "https://a.test/users/mallory")
    assert not key_owner_matches(result, None)


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", SCHEMES)
async def test_ed25519_keys_round_trip(scheme: Scheme) -> None:
    headers = signed_headers(
        "POST", INBOX, ACTIVITY, KEY_ID, ED25519_PRIVATE_PEM, scheme=scheme, now=NOW
    )
    result = await verify(headers, Resolver({KEY_ID: ED25519_PUBLIC_PEM}))
    assert isinstance(result, Verified)


@pytest.mark.asyncio
async def test_signed_fetch_with_accept(pair: KeyPair) -> None:
    accept = {"Accept": "application/activity+json"}
    added = signed_headers("GET", INBOX, None, KEY_ID, pair.private_pem, now=NOW, headers=accept)
    resolver = Resolver({KEY_ID: pair.public_pem})
    assert isinstance(await verify({**accept, **added}, resolver, "GET", body=b""), Verified)
    changed = {**added, "Accept": "text/html"}
    assert_rejected(await verify(changed, resolver, "GET", body=b""), "does not verify")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "convert",
    [
        lambda h: {k.upper(): v for k, v in h.items()},
        httpx.Headers,
        lambda h: StarletteHeaders(raw=[(k.lower().encode(), v.encode()) for k, v in h.items()]),
    ],
    ids=["dict", "httpx", "starlette"],
)
async def test_any_header_mapping_works(pair: KeyPair, convert: object) -> None:
    headers = convert(sign(pair))  # type: ignore[operator]
    assert isinstance(await verify(headers, Resolver({KEY_ID: pair.public_pem})), Verified)


@pytest.mark.asyncio
async def test_authorization_header_form(pair: KeyPair) -> None:
    headers = sign(pair)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    assert isinstance(await verify(headers, Resolver({KEY_ID: pair.public_pem})), Verified)


# --- published vectors through the front door ----------------------------------------------


@pytest.mark.asyncio
async def test_cavage_all_headers_vector_is_accepted() -> None:
    headers = {**CAVAGE_HEADERS, "Signature": CAVAGE_C3_ALL_HEADERS}
    now = datetime.fromtimestamp(CAVAGE_EPOCH, UTC)
    result = await verify(
        headers, Resolver({"Test": CAVAGE_PUBLIC_PEM}), url=CAVAGE_URL, body=CAVAGE_BODY, now=now
    )
    assert result == Verified(key_id="Test", owner=ACTOR, scheme="cavage")


@pytest.mark.asyncio
async def test_cavage_basic_vector_is_refused_for_a_post_without_signed_digest() -> None:
    headers = {**CAVAGE_HEADERS, "Signature": CAVAGE_C2_BASIC}
    now = datetime.fromtimestamp(CAVAGE_EPOCH, UTC)
    resolver = Resolver({"Test": CAVAGE_PUBLIC_PEM})
    result = await verify(headers, resolver, url=CAVAGE_URL, body=CAVAGE_BODY, now=now)
    assert_rejected(result, "body digest is not signed")
    assert resolver.calls == []


@pytest.mark.asyncio
async def test_rfc9421_b26_vector_needs_require_digest_false() -> None:
    headers = {
        **RFC9421_HEADERS,
        "Signature-Input": RFC9421_B26_INPUT,
        "Signature": RFC9421_B26_SIGNATURE,
    }
    now = datetime.fromtimestamp(RFC9421_B26_CREATED + 2, UTC)
    resolver = Resolver({"test-key-ed25519": ED25519_PUBLIC_PEM})
    strict = await verify(headers, resolver, url=RFC9421_URL, body=RFC9421_BODY, now=now)
    assert_rejected(strict, "body digest is not signed")
    lenient = await verify(
        headers, resolver, url=RFC9421_URL, body=RFC9421_BODY, now=now, require_digest=False
    )
    assert lenient == Verified(key_id="test-key-ed25519", owner=ACTOR, scheme="rfc9421")


# --- tampering -------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", SCHEMES)
async def test_changed_body_is_refused(pair: KeyPair, scheme: Scheme) -> None:
    result = await verify(
        sign(pair, scheme), Resolver({KEY_ID: pair.public_pem}), body=ACTIVITY + b" "
    )
    assert_rejected(result, "digest does not match the body")


@pytest.mark.asyncio
async def test_unsigned_digest_is_refused(pair: KeyPair) -> None:
    headers = hand_signed(pair, "(request-target) host date", base_headers())
    assert_rejected(
        await verify(headers, Resolver({KEY_ID: pair.public_pem})), "body digest is not signed"
    )


@pytest.mark.asyncio
async def test_unsigned_content_digest_is_refused(pair: KeyPair) -> None:
    headers = sign_request_rfc9421("POST", INBOX, None, None, KEY_ID, pair.private_pem, now=NOW)
    headers["Content-Digest"] = content_digest_header(ACTIVITY)
    assert_rejected(
        await verify(headers, Resolver({KEY_ID: pair.public_pem})), "body digest is not signed"
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(("scheme", "name"), [("cavage", "Digest"), ("rfc9421", "Content-Digest")])
async def test_missing_digest_header_on_post_is_refused(
    pair: KeyPair, scheme: Scheme, name: str
) -> None:
    headers = sign(pair, scheme)
    del headers[name]
    result = await verify(headers, Resolver({KEY_ID: pair.public_pem}))
    assert_rejected(result, f"signed header {name.lower()!r} is missing from the request")


@pytest.mark.asyncio
async def test_every_digest_present_must_match(pair: KeyPair) -> None:
    headers = {**sign(pair), "Content-Digest": content_digest_header(b"other")}
    assert_rejected(
        await verify(headers, Resolver({KEY_ID: pair.public_pem})), "Content-Digest sha-256"
    )


@pytest.mark.asyncio
async def test_require_digest_applies_to_bodyless_requests(pair: KeyPair) -> None:
    headers = sign(pair, method="GET", body=None)
    resolver = Resolver({KEY_ID: pair.public_pem})
    assert isinstance(await verify(headers, resolver, "GET", body=b""), Verified)
    result = await verify(headers, resolver, "GET", body=b"", require_digest=True)
    assert_rejected(result, "body digest is not signed")


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("skew", "reason"),
    [
        (timedelta(minutes=59), None),
        (timedelta(minutes=-59), None),
        (timedelta(minutes=61), "too old"),
        (timedelta(minutes=-61), "too far in the future"),
        (timedelta(hours=-13), "too far in the future"),
        (timedelta(days=2), "too old"),
    ],
)
async def test_time_window(
    pair: KeyPair, scheme: Scheme, skew: timedelta, reason: str | None
) -> None:
    """``skew`` is how far the verifier's clock is ahead of the signer's."""
    result = await verify(sign(pair, scheme), Resolver({KEY_ID: pair.public_pem}), now=NOW + skew)
    if reason is None:
        assert isinstance(result, Verified)
    else:
        assert_rejected(result, reason)


@pytest.mark.asyncio
async def test_window_is_configurable(pair: KeyPair) -> None:
    resolver = Resolver({KEY_ID: pair.public_pem})
    late = NOW + timedelta(minutes=6)
    assert_rejected(
        await verify(sign(pair), resolver, now=late, window=timedelta(minutes=5)), "too old"
    )
    assert isinstance(
        await verify(sign(pair), resolver, now=late, window=timedelta(minutes=7)), Verified
    )


@pytest.mark.asyncio
async def test_hs2019_created_and_expires(pair: KeyPair) -> None:
    created, expires = int(NOW.timestamp()), int(NOW.timestamp()) + 300
    names = "(request-target) host (created) (expires) digest"
    headers = base_headers()
    pseudo = {"(created)": str(created), "(expires)": str(expires)}
    signed = hand_signed(pair, names, {**headers, **pseudo}, algorithm="hs2019")
    for name in pseudo:
        del signed[name]
    signed["Signature"] = signed["Signature"].replace(
        ",headers=", f",created={created},expires={expires},headers="
    )
    resolver = Resolver({KEY_ID: pair.public_pem})
    assert isinstance(await verify(signed, resolver), Verified)
    assert_rejected(
        await verify(signed, resolver, now=NOW + timedelta(minutes=6)), "signature expired"
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "url"), [("POST", INBOX.replace("/inbox", "/outbox")), ("PUT", INBOX)]
)
@pytest.mark.parametrize("scheme", SCHEMES)
async def test_changed_path_or_method_is_refused(
    pair: KeyPair, scheme: Scheme, method: str, url: str
) -> None:
    result = await verify(sign(pair, scheme), Resolver({KEY_ID: pair.public_pem}), method, url)
    assert_rejected(result, "signature does not verify")


@pytest.mark.asyncio
@pytest.mark.parametrize("scheme", SCHEMES)
async def test_changed_query_is_refused(pair: KeyPair, scheme: Scheme) -> None:
    headers = sign(pair, scheme, url=INBOX + "?page=1")
    result = await verify(headers, Resolver({KEY_ID: pair.public_pem}), url=INBOX + "?page=2")
    assert_rejected(result, "does not verify")


@pytest.mark.asyncio
async def test_query_left_out_by_old_mastodon_is_tolerated(pair: KeyPair) -> None:
    """Mastodon still accepts (request-target) without the query (signed_request.rb); so do we."""
    headers = sign(pair, method="GET", body=None)
    resolver = Resolver({KEY_ID: pair.public_pem})
    assert isinstance(await verify(headers, resolver, "GET", INBOX + "?page=1", b""), Verified)


@pytest.mark.asyncio
async def test_changed_host_is_refused(pair: KeyPair) -> None:
    """cavage signs the Host header as received; RFC 9421 signs the URL's authority."""
    resolver = Resolver({KEY_ID: pair.public_pem})
    cavage = {**sign(pair), "Host": "c.test"}
    assert_rejected(await verify(cavage, resolver), "does not verify")
    rfc9421 = sign(pair, "rfc9421")
    assert_rejected(
        await verify(rfc9421, resolver, url=INBOX.replace("b.test", "c.test")), "does not verify"
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "algorithm", ["hmac-sha256", "rsa-sha1", "rsa-sha512", "ecdsa-sha256", "ed25519"]
)
async def test_other_cavage_algorithms_are_refused(pair: KeyPair, algorithm: str) -> None:
    headers = hand_signed(pair, "(request-target) host date digest", base_headers(), algorithm)
    resolver = Resolver({KEY_ID: pair.public_pem})
    assert_rejected(
        await verify(headers, resolver), f"unsupported signature algorithm '{algorithm}'"
    )
    assert resolver.calls == []


@pytest.mark.asyncio
async def test_unknown_rfc9421_algorithm_is_refused(pair: KeyPair) -> None:
    headers = sign(pair, "rfc9421")
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        "rsa-v1_5-sha256", "hmac-sha256"
    )
    assert_rejected(
        await verify(headers, Resolver({KEY_ID: pair.public_pem})),
        "unsupported signature algorithm",
    )


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ("host date digest", "does not cover the request target"),
        ("(request-target) date digest", "does not cover the host"),
        ("(request-target) host digest", "neither the Date header nor a created time"),
    ],
)
async def test_required_cavage_headers(pair: KeyPair, names: str, reason: str) -> None:
    headers = hand_signed(pair, names, base_headers())
    assert_rejected(await verify(headers, Resolver({KEY_ID: pair.public_pem})), reason)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("components", "reason"),
    [
        (("@target-uri",), "does not cover the request target"),
        (("@method", "@authority"), "does not cover the request target"),
        (("@method", "@path"), "does not cover the host"),
    ],
)
async def test_required_rfc9421_components(
    pair: KeyPair, components: tuple[str, ...], reason: str
) -> None:
    headers = sign_request_rfc9421(
        "POST", INBOX, None, ACTIVITY, KEY_ID, pair.private_pem, now=NOW, components=components
    )
    assert_rejected(await verify(headers, Resolver({KEY_ID: pair.public_pem})), reason)


@pytest.mark.asyncio
async def test_authority_and_path_cover_the_target(pair: KeyPair) -> None:
    headers = sign_request_rfc9421(
        "POST",
        INBOX,
        None,
        ACTIVITY,
        KEY_ID,
        pair.private_pem,
        now=NOW,
        components=("@method", "@authority", "@path"),
    )
    assert isinstance(await verify(headers, Resolver({KEY_ID: pair.public_pem})), Verified)


@pytest.mark.asyncio
async def test_signed_date_must_parse(pair: KeyPair) -> None:
    headers = hand_signed(
        pair, "(request-target) host date digest", {**base_headers(), "Date": "yesterday"}
    )
    assert_rejected(
        await verify(headers, Resolver({KEY_ID: pair.public_pem})), "not a valid HTTP date"
    )


@pytest.mark.asyncio
async def test_second_rfc9421_signature_can_succeed(pair: KeyPair, other_pair: KeyPair) -> None:
    good = sign_request_rfc9421(
        "POST", INBOX, None, ACTIVITY, KEY_ID, pair.private_pem, now=NOW, label="b"
    )
    bad = sign_request_rfc9421(
        "POST", INBOX, None, ACTIVITY, KEY_ID, other_pair.private_pem, now=NOW, label="a"
    )
    headers = {
        "Content-Digest": good["Content-Digest"],
        "Signature-Input": f"{bad['Signature-Input']}, {good['Signature-Input']}",
        "Signature": f"{bad['Signature']}, {good['Signature']}",
    }
    assert isinstance(await verify(headers, Resolver({KEY_ID: pair.public_pem})), Verified)
