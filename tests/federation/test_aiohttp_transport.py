"""The aiohttp transport under ``SafeTransport``, against real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from federation.aiohttp_transport import AiohttpTransport
from federation.fetch import FetchError, fetch_object
from federation.safe_transport import SafeTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def loopback(*addresses: str) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(closing, "127.0.0.1", 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1]


def client(**options: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=SafeTransport(AiohttpTransport(**options), allow_private=True, **_resolver()),
        timeout=httpx.Timeout(2.0),
    )


def _resolver() -> dict[str, object]:
    return {"resolver": loopback("127.0.0.1")}


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.lower().split(b"\r\n")
            if b"content-length" in line
        ),
        0,
    )
    return head, await reader.readexactly(length)


async def test_a_post_arrives_byte_exact_with_its_host_and_length() -> None:
    seen: list[tuple[bytes, bytes]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\nRetry-After: 7\r\n\r\nfine")
        await writer.drain()

    body = b'{"type": "Create", "content": "caf\xc3\xa9"}'
    async with serving(answer) as port, client() as http:
        url = f"http://club.test:{port}/users/a%2Fb/inbox?x=%20y"
        response = await http.post(url, content=body, headers={"Signature": 'keyId="k"'})
    assert (response.status_code, response.text) == (202, "fine")
    assert response.headers["retry-after"] == "7"
    head, received = seen[0]
    assert head.startswith(b"POST /users/a%2Fb/inbox?x=%20y HTTP/1.1\r\n")
    assert f"Host: club.test:{port}\r\n".encode() in head
    assert b'Signature: keyId="k"\r\n' in head
    assert b"transfer-encoding" not in head.lower()
    assert received == body


async def test_refused_connection_is_a_connect_error_and_the_next_address_is_tried() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()

    async with serving(answer) as port:
        only_refusing = SafeTransport(
            AiohttpTransport(), resolver=loopback("127.0.0.2"), allow_private=True
        )
        async with httpx.AsyncClient(transport=only_refusing) as http:
            with pytest.raises(httpx.ConnectError):
                await http.get(f"http://club.test:{port}/")
        falling_back = SafeTransport(
            AiohttpTransport(), resolver=loopback("127.0.0.2", "127.0.0.1"), allow_private=True
        )
        async with httpx.AsyncClient(transport=falling_back) as http:
            assert (await http.get(f"http://club.test:{port}/")).text == "ok"


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with serving(hang) as port, client() as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"http://club.test:{port}/", timeout=httpx.Timeout(0.2))


# ---------------------------------------------------------------- TLS: one name, one connection


def certificate_authority(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A CA trusted by the client, and a server context whose certificate names a.example."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder(issuer_name=ca_name, subject_name=ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder(
            issuer_name=ca_name,
            subject_name=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a.example")]),
        )
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("a.example")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "leaf.pem", tmp / "leaf.key")
    trusting = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    return trusting, server


async def test_tls_is_verified_for_the_name_and_never_reused_for_another_name(
    tmp_path: Path,
) -> None:
    """a.example and b.example on one IP: the pooled connection made (and verified) for
    a.example must not carry a request for b.example, whose name the certificate lacks."""
    trusting, server_context = certificate_authority(tmp_path)
    names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, context: names.append(name)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                await read_request(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    async with serving(answer, server_context) as port, client(verify=trusting) as http:
        assert (await http.get(f"https://a.example:{port}/")).text == "ok"
        assert (await http.get(f"https://a.example:{port}/again")).text == "ok"
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await http.get(f"https://b.example:{port}/")
    assert names == ["a.example", "b.example"]  # a.example's connection was reused once


# ---------------------------------------------------------------- a server trickling bytes


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("stage", ["status line", "body"])
async def test_a_trickling_server_loses_its_connection_at_the_deadline(
    tmp_path: Path, tls: bool, stage: str
) -> None:
    """A key server sending one byte every 0.2 s: the fetch gives up at its deadline (1 s)
    and the connection is closed then, not tens of seconds later (issue #15)."""
    trusting, server_context = certificate_authority(tmp_path)
    closed = asyncio.Event()

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if stage == "body":
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
                b"Content-Length: 100000\r\n\r\n{"
            )
        payload = b"HTTP/1.1 200 OK\r\n" if stage == "status line" else b" " * 1000
        try:
            for byte in payload:
                writer.write(bytes([byte]))
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    if not await asyncio.wait_for(reader.read(1), 0.2):
                        break  # the client closed the connection
        except (ConnectionError, OSError):
            pass
        closed.set()

    scheme = "https" if tls else "http"
    async with (
        serving(trickle, server_context if tls else None) as port,
        client(verify=trusting) as http,
    ):
        started = asyncio.get_running_loop().time()
        with pytest.raises(FetchError):
            await fetch_object(http, f"{scheme}://a.example:{port}/users/key", timeout=1.0)
        await asyncio.wait_for(closed.wait(), 3.0)
        assert asyncio.get_running_loop().time() - started < 2.5
