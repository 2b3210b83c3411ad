"""A scripted fediverse server for flow tests, mounted in the FederationNet router.

Its actors' keys are made here, and everything it signs or checks is done by hand with
plain ``cryptography`` over Mastodon's draft-cavage signing string — an implementation
independent of ``federation/``, so a bug shared by our signer and our verifier cannot
hide. Its inboxes record every request byte for byte and answer with the statuses a test
queues; its actor documents count how often they are fetched.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import uuid
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

AS_TYPE = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
MASTODON_SIGNED = ("(request-target)", "host", "date", "digest", "content-type")
_PARAM = re.compile(r'(\w+)="([^"]*)"')

JsonObject = dict[str, Any]


#: How many distinct keys a run makes: :func:`new_key` hands them out in turn.
KEY_POOL = 100
_keys: list[rsa.RSAPrivateKey] = []
_draws = itertools.count()


def new_key() -> rsa.RSAPrivateKey:
    """A real 2048-bit RSA key, from the run's pool of :data:`KEY_POOL`, taken in turn: any
    ``KEY_POOL`` consecutive calls give distinct keys (an impostor's key is never the
    victim's), and a run makes ``KEY_POOL`` keys instead of one per actor."""
    index = next(_draws) % KEY_POOL
    if index == len(_keys):
        _keys.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _keys[index]


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def digest_of(body: bytes) -> str:
    """The ``Digest`` header value Mastodon sends for ``body``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_cavage(
    key: rsa.RSAPrivateKey,
    key_id: str,
    method: str,
    url: str,
    body: bytes,
    *,
    signed: Iterable[str] = MASTODON_SIGNED,
    date: datetime | None = None,
    algorithm: str = "rsa-sha256",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Mastodon's request headers for ``body``, signed by hand (RSASSA-PKCS1-v1_5, SHA-256);
    ``extra`` headers (e.g. ``accept``) are sent and may be named in ``signed``."""
    names = list(signed)
    headers = {
        "host": urlsplit(url).netloc,
        "date": http_date(date or datetime.now(UTC)),
        "digest": digest_of(body),
        "content-type": AS_TYPE,
        **(extra or {}),
    }
    lines = [
        f"{name}: {method.lower()} {_target(url)}"
        if name == "(request-target)"
        else f"{name}: {headers[name]}"
        for name in names
    ]
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


@dataclass(frozen=True)
class Received:
    """One request an inbox of the peer received, exactly as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> JsonObject:
        document = json.loads(self.body)
        assert isinstance(document, dict)
        return document


def verify_cavage(received: Received, public_key_pem: str) -> dict[str, str]:
    """Check a received request's draft-cavage signature and Digest, by hand.

    Rebuilds the signing string from the headers as received; raises
    ``cryptography.exceptions.InvalidSignature`` or ``AssertionError``; returns the
    signature's parameters.
    """
    params = dict(_PARAM.findall(received.headers["signature"]))
    names = params["headers"].split()
    assert {"(request-target)", "host", "date", "digest"} <= set(names), names
    assert params["algorithm"] in ("rsa-sha256", "hs2019")
    lines = [
        f"{name}: {received.method.lower()} {received.path}"
        if name == "(request-target)"
        else f"{name}: {received.headers[name]}"
        for name in names
    ]
    public_key = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(
        base64.b64decode(params["signature"]),
        "\n".join(lines).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert received.headers["digest"] == digest_of(received.body)
    return params


async def fetch_public_key(http: httpx.AsyncClient, actor_uri: str) -> tuple[str, str]:
    """``(key id, PEM)`` from an actor document, as a peer would read it."""
    response = await http.get(actor_uri, headers={"Accept": AS_TYPE})
    assert response.status_code == 200, response.text
    key = response.json()["publicKey"]
    return key["id"], key["publicKeyPem"]


@dataclass
class PeerActor:
    """A Person on the peer server whose private key the test holds."""

    host: str
    name: str
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    has_shared_inbox: bool = True

    @property
    def uri(self) -> str:
        return f"https://{self.host}/users/{self.name}"

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.uri}/inbox"

    def document(self) -> JsonObject:
        actor: JsonObject = {
            "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.title(),
            "inbox": self.inbox,
            "outbox": f"{self.uri}/outbox",
            "followers": f"{self.uri}/followers",
            "publicKey": {
                "id": self.key_id,
                "owner": self.uri,
                "publicKeyPem": public_pem(self.key),
            },
        }
        if self.has_shared_inbox:
            actor["endpoints"] = {"sharedInbox": f"https://{self.host}/inbox"}
        return actor

    def activity(self, kind: str, obj: Any, **fields: Any) -> JsonObject:
        """A new activity by this actor, with a fresh id."""
        return {
            "@context": AS_CONTEXT,
            "id": f"{self.uri}/activities/{uuid.uuid4()}",
            "type": kind,
            "actor": self.uri,
            "object": obj,
            **fields,
        }


class Peer:
    """A fediverse server at ``host`` that the test scripts."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.actors: dict[str, PeerActor] = {}
        self.gone: set[str] = set()
        self.received: list[Received] = []
        self.answers: deque[tuple[int, dict[str, str]]] = deque()
        self.actor_fetches: Counter[str] = Counter()
        #: Media the peer serves at ``/files/<name>``: (body, content type).
        self.files: dict[str, tuple[bytes, str]] = {}
        self.file_fetches: Counter[str] = Counter()
        self.app = Starlette(
            routes=[
                Route("/users/{name}", self._actor, methods=["GET"]),
                Route("/users/{name}/inbox", self._inbox, methods=["POST"]),
                Route("/inbox", self._inbox, methods=["POST"]),
                Route("/.well-known/webfinger", self._webfinger, methods=["GET"]),
                Route("/files/{name:path}", self._file, methods=["GET"]),
            ]
        )

    def add_actor(self, name: str, *, shared_inbox: bool = True) -> PeerActor:
        actor = PeerActor(self.host, name, has_shared_inbox=shared_inbox)
        self.actors[name] = actor
        return actor

    def rotate_key(self, name: str) -> PeerActor:
        """The actor gets a new key pair; its document serves the new public key."""
        self.actors[name].key = new_key()
        return self.actors[name]

    def answer(self, status: int, **headers: str) -> None:
        """Queue the status (and headers) of the next inbox answer; 202 when none is queued."""
        self.answers.append((status, headers))

    def posts(self, path: str | None = None) -> list[Received]:
        """Requests received at the inboxes (one path, or all)."""
        return [r for r in self.received if path is None or r.path == path]

    async def _actor(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.actor_fetches[name] += 1
        if name in self.gone or name not in self.actors:
            return JSONResponse({"error": "gone"}, status_code=410)
        return JSONResponse(self.actors[name].document(), media_type=AS_TYPE)

    async def _file(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.file_fetches[name] += 1
        if name not in self.files:
            return Response(status_code=404)
        body, content_type = self.files[name]
        return Response(body, media_type=content_type)

    async def _webfinger(self, request: Request) -> Response:
        resource = request.query_params.get("resource", "")
        name = resource.removeprefix("acct:").split("@")[0]
        if resource != f"acct:{name}@{self.host}" or name not in self.actors:
            return JSONResponse({"error": "not found"}, status_code=404)
        link = {"rel": "self", "type": AS_TYPE, "href": self.actors[name].uri}
        jrd = {"subject": resource, "links": [link]}
        return JSONResponse(jrd, media_type="application/jrd+json")

    async def _inbox(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        path = raw_path.decode() + (f"?{query.decode()}" if query else "")
        body = await request.body()
        self.received.append(Received(request.method, path, dict(request.headers.items()), body))
        status, headers = self.answers.popleft() if self.answers else (202, {})
        return Response(status_code=status, headers=headers)

    async def post(
        self,
        http: httpx.AsyncClient,
        url: str,
        activity: JsonObject,
        signer: PeerActor | None = None,
        **sign: Any,
    ) -> httpx.Response:
        """POST an activity to a Hearth inbox, signed Mastodon-style (by its actor by default)."""
        by = signer or self.actors[urlsplit(activity["actor"]).path.rsplit("/", 1)[-1]]
        return await self.post_bytes(http, url, json.dumps(activity).encode(), by, **sign)

    async def post_bytes(
        self, http: httpx.AsyncClient, url: str, body: bytes, signer: PeerActor, **sign: Any
    ) -> httpx.Response:
        """POST exactly ``body``, signed Mastodon-style by ``signer``."""
        headers = sign_cavage(signer.key, signer.key_id, "POST", url, body, **sign)
        return await http.post(url, content=body, headers=headers)
