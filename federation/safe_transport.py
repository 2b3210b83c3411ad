"""An httpx transport that only connects to public addresses, pinned after checking.

``SafeTransport`` resolves the request's host itself, refuses the request if any
address is not public (``addresses.is_public_address``), and then hands the inner
transport a request whose URL names the checked IP, keeping the ``Host`` header and
passing the name as ``sni_hostname`` so TLS still verifies the certificate for the
name. The address that is checked is therefore the address that is connected to: a
DNS answer that changes between check and connect (DNS rebinding) cannot slip a
private address through, as in Mastodon's ``Request::Socket``.

Because the inner pool now sees IPs, a TLS connection made for one name could be
reused for another name on the same IP without a certificate check for the second. The
default inner transport (``federation.aiohttp_transport``) keys its pooled connections by
the name as well, as Mastodon's per-site ``RequestPool`` does, so that never happens.

Use::

    client = httpx.AsyncClient(transport=SafeTransport())
    tests: SafeTransport(httpx.MockTransport(handler), resolver=fake_resolver)
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import httpx

from federation.addresses import DEFAULT_PORTS, InvalidHostError, ip_literal, is_public_address
from federation.addresses import parse_host as normalise_host
from federation.aiohttp_transport import AiohttpTransport

Resolver = Callable[[str, int], Awaitable[list[str]]]


class BlockedAddressError(httpx.TransportError):
    """The request was refused before connecting: bad host, or a non-public address.

    A ``TransportError`` (no response was received), but not a ``ConnectError``: no
    connection was attempted, and retrying will not help until DNS changes.
    """


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the event loop's ``getaddrinfo``; addresses in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def pin_request(request: httpx.Request, address: str, host: str) -> httpx.Request:
    """A copy of ``request`` that connects to ``address`` but still speaks to ``host``."""
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions["sni_hostname"] = host
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=request.headers,  # keeps the original Host header
        stream=request.stream,
        extensions=extensions,
    )


class SafeTransport(httpx.AsyncBaseTransport):
    """Refuses non-public destinations and connects only to the address it checked."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        resolver: Resolver = system_resolver,
        allow_private: bool = False,
    ) -> None:
        self.inner = inner if inner is not None else AiohttpTransport()
        self.resolver = resolver
        self.allow_private = allow_private

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the destination, then send through the inner transport, pinned to an IP."""
        scheme = request.url.scheme
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"only http and https, not {scheme!r}", request=request)
        host = self._host(request)
        addresses = await self._resolve(request, host, request.url.port or DEFAULT_PORTS[scheme])
        return await self._send(request, host, addresses)

    def _host(self, request: httpx.Request) -> str:
        raw = request.url.raw_host.decode("ascii")
        try:
            return normalise_host(f"[{raw}]" if ":" in raw else raw)
        except InvalidHostError as exc:
            raise BlockedAddressError(str(exc), request=request) from None

    async def _resolve(self, request: httpx.Request, host: str, port: int) -> list[str]:
        if ip_literal(host) is not None:
            addresses = [host]
        else:
            try:
                addresses = await self.resolver(host, port)
            except OSError as exc:
                raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc
        if not addresses:
            raise httpx.ConnectError(f"{host} has no address", request=request)
        blocked = [address for address in addresses if not is_public_address(address)]
        if blocked and not self.allow_private:
            message = f"refusing to connect to {host}: {blocked[0]} is not a public address"
            raise BlockedAddressError(message, request=request)
        return addresses

    async def _send(
        self, request: httpx.Request, host: str, addresses: list[str]
    ) -> httpx.Response:
        """Try each checked address in turn while connecting fails and the body can be replayed."""
        replayable = isinstance(request.stream, httpx.ByteStream)
        candidates = addresses if replayable else addresses[:1]
        for index, address in enumerate(candidates):
            try:
                return await self.inner.handle_async_request(pin_request(request, address, host))
            except httpx.ConnectError:
                if index == len(candidates) - 1:
                    raise
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()
