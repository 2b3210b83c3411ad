"""An httpx transport that sends through one ``aiohttp`` connection pool.

httpcore spends about 0.8 ms of CPU per request when a fan-out opens a connection to each
of a thousand servers; aiohttp spends about a third of that (bench/delivery.py). So the
``SafeTransport`` that every outgoing request goes through hands its checked, IP-pinned
requests to this transport, which keeps httpx's API for the rest of the code.

Pinned requests name an IP; the host name travels in the ``Host`` header and, for https,
in the ``sni_hostname`` extension, which becomes aiohttp's ``server_hostname``: the TLS
handshake sends that name and the certificate is verified for it. aiohttp keys its pooled
connections by ``server_hostname`` too, so a TLS connection made for one name is never
reused for another name on the same IP (``tests/federation/test_aiohttp_transport.py``).

Failures are raised as the httpx exceptions the callers expect: a refused or failed
connection is ``httpx.ConnectError`` (``SafeTransport`` then tries the next address), a
connect timeout ``httpx.ConnectTimeout``, a read timeout ``httpx.ReadTimeout``.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict
from yarl import URL

from federation.tls import verifying_context

#: aiohttp failures and the httpx exception each becomes, most specific first.
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientOSError, httpx.NetworkError),
    (aiohttp.ClientError, httpx.TransportError),
)

CHUNK_BYTES = 64 * 1024


@contextlib.contextmanager
def httpx_errors(request: httpx.Request | None) -> Iterator[None]:
    """Raise aiohttp's failures as the matching httpx exceptions."""
    try:
        yield
    except aiohttp.ClientError as exc:
        for aiohttp_error, httpx_error in _EXCEPTIONS:
            if isinstance(exc, aiohttp_error):
                raise httpx_error(str(exc) or type(exc).__name__, request=request) from exc
        raise  # pragma: no cover (ClientError is the last entry)


def open_session(
    ssl_context: ssl.SSLContext,
    *,
    resolver: AbstractResolver | None = None,
    max_connections: int = 512,
    keepalive_seconds: float = 15.0,
) -> aiohttp.ClientSession:
    """A session for talking to other servers: no cookies kept, no proxy from the
    environment, no decompression (callers decide), no DNS cache (``resolver`` checks
    every answer, or requests arrive pinned to an address already checked)."""
    connector = aiohttp.TCPConnector(
        limit=max_connections,
        keepalive_timeout=keepalive_seconds,
        ssl=ssl_context,
        use_dns_cache=False,
        resolver=resolver,
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # one server's cookies never reach another
        auto_decompress=False,
        trust_env=False,
    )


class _ResponseBody(httpx.AsyncByteStream):
    """An aiohttp response body as an httpx stream; closing it frees the connection."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self.response = response
        self.request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with httpx_errors(self.request):
            async for chunk in self.response.content.iter_chunked(CHUNK_BYTES):
                yield chunk

    async def aclose(self) -> None:
        """Free the connection: pooled again when the body was read to its end, otherwise
        aborted at once. A peer that stalls (a key server trickling a byte a second) must
        not keep the socket through a graceful TLS shutdown it never answers (issue #15:
        about 30 s more with aiohttp releases that wait for the peer's close_notify)."""
        connection = self.response.connection
        if connection is not None and not self.response.content.is_eof():
            transport = connection.transport
            if transport is not None:
                transport.abort()
        self.response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One aiohttp session (made on first use, inside the running event loop)."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | None = None,
        max_connections: int = 512,
        keepalive_seconds: float = 15.0,
    ) -> None:
        self.ssl_context = verify or verifying_context()
        self.max_connections = max_connections
        self.keepalive_seconds = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` as it is (method, exact URL, headers, body) and stream the answer."""
        if self._session is None or self._session.closed:
            self._session = open_session(
                self.ssl_context,
                max_connections=self.max_connections,
                keepalive_seconds=self.keepalive_seconds,
            )
        body = await request.aread()
        timeouts = request.extensions.get("timeout", {})
        with httpx_errors(request):
            response = await self._session.request(
                request.method,
                URL(str(request.url), encoded=True),  # byte-exact: the path is signed
                headers=CIMultiDict(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ),
                data=body or None,
                allow_redirects=False,
                server_hostname=request.extensions.get("sni_hostname"),
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeouts.get("pool"),
                    sock_connect=timeouts.get("connect"),
                    sock_read=timeouts.get("read"),
                ),
            )
        extensions = {
            "http_version": b"HTTP/1.1",
            "reason_phrase": (response.reason or "").encode(),
        }
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=_ResponseBody(response, request),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None
