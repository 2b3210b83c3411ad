"""Inbox POSTs straight through aiohttp: the delivery worker's hot path.

A fan-out is thousands of small signed POSTs. Through httpx (client, ``SafeTransport``,
then aiohttp underneath) each cost about twice the CPU of the same POST made with aiohttp
directly (bench/delivery.py), so the worker posts with ``AiohttpPoster``; every other
request (fetches, WebFinger) keeps going through httpx and ``SafeTransport``.

The same rule holds here: only public addresses are contacted. Names are resolved by
``PublicOnlyResolver``, which refuses the request when any address is not public; aiohttp
then connects to exactly the addresses it returned, so a DNS answer that changes between
the check and the connection cannot slip a private address through. Hosts written as IP
literals never reach a resolver, so ``AiohttpPoster`` checks them itself.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator, Mapping

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from federation.addresses import (
    DEFAULT_PORTS,
    InvalidHostError,
    ip_literal,
    is_public_address,
    parse_http_url,
    split_authority,
)
from federation.aiohttp_transport import httpx_errors, open_session
from federation.delivery import ERROR_SNIPPET_BYTES, error_snippet
from federation.safe_transport import BlockedAddressError, Resolver, system_resolver
from federation.tls import verifying_context


class RefusedAddress(OSError):
    """A name resolved to a non-public address (aiohttp reports it as a connect error)."""


class PublicOnlyResolver(AbstractResolver):
    """Resolves with ``resolver`` and refuses names with any non-public address."""

    def __init__(self, resolver: Resolver = system_resolver, *, allow_private: bool = False):
        self.resolver = resolver
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The checked addresses of ``host``, in the resolver's order."""
        addresses = await self.resolver(host, port)
        if not addresses:
            raise OSError(f"{host} has no address")
        blocked = [address for address in addresses if not is_public_address(address)]
        if blocked and not self.allow_private:
            message = f"refusing to connect to {host}: {blocked[0]} is not a public address"
            raise RefusedAddress(message)
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        """Nothing to release."""


@contextlib.contextmanager
def _refusals_reported() -> Iterator[None]:
    """A refused address is a ``BlockedAddressError`` saying why, not a bare connect error."""
    try:
        yield
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, RefusedAddress):
            raise BlockedAddressError(str(exc.os_error)) from exc
        raise


class AiohttpPoster:
    """POSTs bodies to inboxes (``federation.delivery.Poster``) through one aiohttp pool."""

    def __init__(
        self,
        *,
        user_agent: str,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.resolver = PublicOnlyResolver(resolver, allow_private=allow_private)
        self.ssl_context = verify or verifying_context()
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,  # noqa: ASYNC109 (a per-request setting, as in httpx)
    ) -> tuple[int, str | None, str | None]:
        """POST ``body``: (status, Retry-After, error snippet of a non-2xx answer).

        Raises httpx's exceptions (``BlockedAddressError``, ``ConnectError``, ...) when no
        answer came, as an httpx client would; redirects are never followed."""
        target = self._checked_url(url)
        if self._session is None or self._session.closed:
            self._session = open_session(self.ssl_context, resolver=self.resolver)
        all_headers = {"User-Agent": self.user_agent, **headers}
        with httpx_errors(None), _refusals_reported():
            async with self._session.post(
                target,
                data=body,
                headers=all_headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                error = None
                if not 200 <= response.status < 300:
                    head = await response.content.read(ERROR_SNIPPET_BYTES)
                    error = error_snippet(response.status, head)
                return response.status, response.headers.get("Retry-After"), error

    def _checked_url(self, url: str) -> URL:
        """The URL, byte-exact (its path is signed), if its scheme and literal host may be used.

        The same rules as every other URL from a peer (``parse_http_url``): no credentials,
        no odd hosts or ports, no control characters."""
        scheme = url.split(":", 1)[0].lower()
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"only http and https, not {scheme!r}")
        try:
            host, _ = split_authority(parse_http_url(url).netloc)
            target = URL(url, encoded=True)
        except (InvalidHostError, ValueError) as exc:
            raise BlockedAddressError(str(exc)) from None
        if ip_literal(host) is not None and not is_public_address(host) and not self.allow_private:
            raise BlockedAddressError(f"refusing to connect to {host}: it is not a public address")
        return target

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None
