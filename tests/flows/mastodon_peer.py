"""A Mastodon server in secure mode (``AUTHORIZED_FETCH``) for flow tests: it trusts a signer
exactly as Mastodon does and refuses what Mastodon refuses.

Read from mastodon/mastodon:

- ``app/controllers/concerns/signature_verification.rb`` and ``app/lib/signed_request.rb``:
  ``keyId`` and ``signature`` are required; ``rsa-sha256`` or ``hs2019``; the ``Date`` must be
  signed and within the window (5 minutes after it, plus an hour of clock skew); a GET must
  sign ``host``, a POST ``digest`` (checked against the body); ``(request-target)`` is the
  path. A key that does not verify is refetched once, then the request is refused (401).
- ``app/services/activitypub/fetch_remote_key_service.rb``: the key id is fetched; an actor
  document (Application, Group, Organization, Person, Service) is the owner, a ``Key`` names
  its owner, whose ``publicKey`` must be that key.
- ``app/services/activitypub/fetch_remote_actor_service.rb`` (``check_webfinger!``):
  ``acct:<preferredUsername>@<host of the actor id>`` is resolved by WebFinger; the subject
  must be that account (one redirect to another subject is followed, which must confirm
  itself), and its ``self`` link (``app/lib/webfinger.rb``: an ActivityPub media type) must be
  the actor id. Otherwise the signer is unknown: 401.
- Secure mode: actor documents answer only signed GETs whose signer resolves (401 otherwise);
  the instance actor ``/actor`` and WebFinger stay open, and the server signs its own fetches
  as that instance actor (``acct:<host>@<host>``).

This is written by hand with ``cryptography`` (see ``tests.flows.peer``), not with
``federation/``, so a mistake shared by Hearth's signer and verifier cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.flows.peer import (
    AS_CONTEXT,
    AS_TYPE,
    JsonObject,
    Peer,
    Received,
    new_key,
    public_pem,
    sign_cavage,
)
from tests.security.signing import signing_string

#: fetch_remote_actor_service.rb SUPPORTED_TYPES
ACTOR_TYPES = ("Application", "Group", "Organization", "Person", "Service")
#: webfinger.rb: the media types of a usable ``self`` link
SELF_TYPES = (AS_TYPE, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
FETCH_ACCEPT = f'{AS_TYPE}, application/ld+json; profile="{AS_CONTEXT}"'
GET_SIGNED = ("(request-target)", "host", "date", "accept")
#: signature_verification.rb SignatureParamsParser: key="value" pairs
PARAM = re.compile(r'([0-9a-zA-Z!#$%&*+.^_`|~-]+)\s*=\s*"([^"]*)"')


class Refused(Exception):
    """Mastodon would answer 401 with this reason."""


@dataclass(frozen=True)
class Accepted:
    """A request the peer verified, and the actor that signed it."""

    signer: str
    received: Received


@dataclass(frozen=True)
class KnownAccount:
    """A remote account Mastodon stored after a successful resolution."""

    uri: str
    key_id: str
    public_key_pem: str
    username: str
    domain: str


class MastodonPeer(Peer):
    """A scripted Mastodon at ``host``; secure mode unless ``secure=False``."""

    def __init__(self, host: str, http: httpx.AsyncClient, *, secure: bool = True) -> None:
        super().__init__(host)
        self.http = http
        self.secure = secure
        self.instance_key = new_key()
        self.accounts: dict[str, KnownAccount] = {}
        self.accepted: list[Accepted] = []
        self.refused: list[tuple[Received, str]] = []
        self.app.router.routes.append(Route("/actor", self._instance_actor, methods=["GET"]))

    @property
    def instance_actor(self) -> str:
        return f"https://{self.host}/actor"

    def signers(self, method: str) -> list[str]:
        """Who signed the accepted requests of this method, in order."""
        return [a.signer for a in self.accepted if a.received.method == method]

    # ------------------------------------------------------------------ serving

    async def _instance_actor(self, request: Request) -> Response:
        """Mastodon's instance actor: readable without a signature, even in secure mode."""
        document = {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": self.instance_actor,
            "type": "Application",
            "preferredUsername": self.host,
            "inbox": f"{self.instance_actor}/inbox",
            "outbox": f"https://{self.host}/actor/outbox",
            "publicKey": {
                "id": f"{self.instance_actor}#main-key",
                "owner": self.instance_actor,
                "publicKeyPem": public_pem(self.instance_key),
            },
        }
        return JSONResponse(document, media_type=AS_TYPE)

    async def _webfinger(self, request: Request) -> Response:
        if request.query_params.get("resource") == f"acct:{self.host}@{self.host}":
            link = {"rel": "self", "type": AS_TYPE, "href": self.instance_actor}
            jrd = {"subject": f"acct:{self.host}@{self.host}", "links": [link]}
            return JSONResponse(jrd, media_type="application/jrd+json")
        return await super()._webfinger(request)

    async def _actor(self, request: Request) -> Response:
        if self.secure:
            checked = await self._checked(request)
            if isinstance(checked, Response):
                return checked
        return await super()._actor(request)

    async def _inbox(self, request: Request) -> Response:
        checked = await self._checked(request)
        if isinstance(checked, Response):
            return checked
        self.received.append(checked)
        status, headers = self.answers.popleft() if self.answers else (202, {})
        return Response(status_code=status, headers=headers)

    async def _checked(self, request: Request) -> Received | Response:
        """The request, once its signer is verified (kept in ``accepted``); else the 401."""
        query = request.url.query
        path = request.url.path + (f"?{query}" if query else "")
        received = Received(request.method, path, dict(request.headers), await request.body())
        try:
            signer = await self.verify(received)
        except Refused as refusal:
            self.refused.append((received, str(refusal)))
            return JSONResponse({"error": str(refusal)}, status_code=401)
        self.accepted.append(Accepted(signer, received))
        return received

    # ------------------------------------------------------------------ verifying

    async def verify(self, received: Received) -> str:
        """The URI of the actor who signed ``received``; ``Refused`` as Mastodon would."""
        header = received.headers.get("signature")
        if not header:
            raise Refused("Request not signed")
        params = dict(PARAM.findall(header))
        if not params.get("keyId") or not params.get("signature"):
            raise Refused("Incompatible request signature. keyId and signature are required")
        algorithm = params.get("algorithm", "hs2019")
        if algorithm not in ("rsa-sha256", "hs2019"):
            raise Refused("Unsupported signature algorithm")
        names = params.get("headers", "date").lower().split()
        _check_time_window(received.headers.get("date"))
        _check_strength(received.method, names)
        if "digest" in names:
            _check_digest(received)
        account = await self._account_for_key(params["keyId"])
        signed = _signing_string(received, names)
        signature = base64.b64decode(params["signature"])
        if _verifies(account.public_key_pem, signature, signed):
            return account.uri
        account = await self._resolve(params["keyId"])  # refetch once (rotation)
        if _verifies(account.public_key_pem, signature, signed):
            return account.uri
        raise Refused(f"Verification failed for {account.username}@{account.domain}")

    async def _account_for_key(self, key_id: str) -> KnownAccount:
        known = self.accounts.get(key_id)
        return known if known is not None else await self._resolve(key_id)

    async def _resolve(self, key_id: str) -> KnownAccount:
        """fetch_remote_key_service.rb, then fetch_remote_actor_service.rb."""
        key_document = await self._fetch(key_id)
        if _is_actor(key_document):
            actor = key_document
            if actor.get("id") != key_id.split("#", 1)[0]:
                actor = await self._fetch(str(actor.get("id")), id_must_match=True)
        elif key_document.get("publicKeyPem") and key_document.get("owner"):
            actor = await self._fetch(_id_of(key_document["owner"]), id_must_match=True)
            if not _is_actor(actor):
                raise Refused(f"Unexpected object type for actor {key_document['owner']}")
            if _id_of(actor.get("publicKey")) != key_document.get("id"):
                raise Refused(f"publicKey id for {actor['id']} does not correspond")
        else:
            raise Refused(f"Unexpected object type for key {key_id}")
        account = await self._check_actor(actor, key_id)
        self.accounts[key_id] = account
        return account

    async def _check_actor(self, actor: JsonObject, key_id: str) -> KnownAccount:
        uri = str(actor.get("id"))
        username = actor.get("preferredUsername")
        if not isinstance(username, str) or not username:
            raise Refused(f"Actor {uri} has neither 'preferredUsername' nor `webfinger`")
        domain = urlsplit(uri).hostname or ""
        await self._check_webfinger(username, domain, uri)
        key = actor.get("publicKey")
        if not isinstance(key, dict) or key.get("id") != key_id or not key.get("publicKeyPem"):
            raise Refused(f"{uri} has no key {key_id}")
        return KnownAccount(uri, key_id, str(key["publicKeyPem"]), username, domain)

    async def _check_webfinger(self, username: str, domain: str, uri: str) -> None:
        """check_webfinger!: the account must resolve back to exactly this actor."""
        jrd = await self._webfinger_query(f"acct:{username}@{domain}")
        subject_user, _, subject_domain = str(jrd["subject"]).removeprefix("acct:").partition("@")
        if (subject_user.lower(), subject_domain.lower()) != (username.lower(), domain.lower()):
            confirmed = f"acct:{subject_user}@{subject_domain}"
            jrd = await self._webfinger_query(confirmed)
            if str(jrd["subject"]).lower() != confirmed.lower():
                raise Refused(f"Too many webfinger redirects for URI {uri}")
        if _self_link(jrd) != uri:
            raise Refused(f"Webfinger response for {username}@{domain} does not loop back to {uri}")

    async def _webfinger_query(self, acct: str) -> JsonObject:
        domain = acct.rsplit("@", 1)[-1]
        url = f"https://{domain}/.well-known/webfinger?{urlencode({'resource': acct})}"
        response = await self.http.get(url, headers={"Accept": "application/jrd+json"})
        if response.status_code != 200:
            raise Refused(f"Request for {acct} returned HTTP {response.status_code}")
        jrd = response.json()
        if not isinstance(jrd, dict) or not jrd.get("subject"):
            raise Refused(f"Missing subject in response for {acct}")
        return jrd

    async def _fetch(self, url: str, *, id_must_match: bool = False) -> JsonObject:
        """A GET signed by this server's instance actor, as Mastodon's ``fetch_resource``."""
        location = url.split("#", 1)[0]
        headers = {"accept": FETCH_ACCEPT}
        signature = sign_cavage(
            self.instance_key,
            f"{self.instance_actor}#main-key",
            "GET",
            location,
            b"",
            signed=GET_SIGNED,
            extra=headers,
        )
        response = await self.http.get(location, headers={**headers, **signature})
        if response.status_code != 200:
            raise Refused(f"Unable to fetch {url}: HTTP {response.status_code}")
        document = response.json()
        if not isinstance(document, dict) or AS_CONTEXT not in _as_list(document.get("@context")):
            raise Refused(f"Unsupported JSON-LD context for document {url}")
        if id_must_match and document.get("id") != location:
            raise Refused(f"Fetched URI {url} has wrong id {document.get('id')}")
        return document


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _id_of(value: Any) -> str:
    return str(value.get("id")) if isinstance(value, dict) else str(value)


def _is_actor(document: JsonObject) -> bool:
    return any(kind in ACTOR_TYPES for kind in _as_list(document.get("type")))


def _self_link(jrd: JsonObject) -> str | None:
    for link in _as_list(jrd.get("links")):
        if isinstance(link, dict) and link.get("rel") == "self" and link.get("type") in SELF_TYPES:
            return str(link.get("href"))
    return None


def _check_time_window(date: str | None) -> None:
    if not date:
        return
    try:
        created = parsedate_to_datetime(date)
    except (TypeError, ValueError) as exc:
        raise Refused(f"Invalid Date header: {exc}") from None
    now, skew = datetime.now(UTC), timedelta(hours=1)
    if created > now + skew or now > created + timedelta(minutes=5) + skew:
        raise Refused("Signed request date outside acceptable time window")


def _check_strength(method: str, names: list[str]) -> None:
    if "date" not in names and "(created)" not in names:
        raise Refused("Mastodon requires the Date header or (created) pseudo-header to be signed")
    if "(request-target)" not in names and "digest" not in names:
        raise Refused("Mastodon requires the Digest header or (request-target) to be signed")
    if method == "GET" and "host" not in names:
        raise Refused("Mastodon requires the Host header to be signed when doing a GET request")
    if method == "POST" and "digest" not in names:
        raise Refused("Mastodon requires the Digest header to be signed when doing a POST request")


def _check_digest(received: Received) -> None:
    digest = received.headers.get("digest")
    if digest is None:
        raise Refused("Digest header missing")
    offered = dict(part.split("=", 1) for part in digest.split(",") if "=" in part)
    sha256 = {k.lower(): v for k, v in offered.items()}.get("sha-256")
    expected = base64.b64encode(hashlib.sha256(received.body).digest()).decode()
    if sha256 != expected:
        raise Refused(f"Invalid Digest value. Computed SHA-256 digest: {expected}")


def _signing_string(received: Received, names: list[str]) -> bytes:
    """The path without the query, as signature_verification.rb builds it; a header that is
    missing is signed as empty."""
    path = received.path.split("?", 1)[0]
    values = {name: received.headers.get(name, "") for name in names}
    return signing_string(received.method, path, values, names)


def _verifies(public_key_pem: str, signature: bytes, signed: bytes) -> bool:
    key = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
