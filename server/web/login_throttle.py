"""Failed logins per account slow down guessing without locking the real user out.

After ``FREE_FAILURES`` failed attempts on one account within ``WINDOW_SECONDS``, attempts
on it from browsers it has not signed in from must wait: 2, 4, 8… seconds after the last
failure, at most ``MAX_WAIT_SECONDS`` (429 with ``Retry-After``; the password is not even
checked). A browser the account signed in from before carries a signed device cookie
(OWASP's "device cookies"): it is never held up, so an attacker guessing from elsewhere
cannot keep the owner out. The per-IP limit (``rate_limits.login_per_ip``) still applies
to everyone. Counts are kept in memory, per process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict

DEVICE_COOKIE = "hearth_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
FREE_FAILURES = 5
WINDOW_SECONDS = 15 * 60
MAX_WAIT_SECONDS = 300
MAX_ACCOUNTS = 50_000


class LoginThrottle:
    """Failure counts per account, and the device cookies that bypass them."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"hearth device cookie:{secret}".encode()).digest()
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def device_cookie(self, user_id: int) -> str:
        """A new device cookie for a browser that just signed in as ``user_id``."""
        nonce = secrets.token_urlsafe(12)
        return f"{user_id}.{nonce}.{self._mac(user_id, nonce)}"

    def trusts(self, cookie: str | None, user_id: int) -> bool:
        """Whether ``cookie`` is a device cookie this account signed in with."""
        parts = (cookie or "").split(".")
        if len(parts) != 3 or parts[0] != str(user_id):
            return False
        return hmac.compare_digest(parts[2], self._mac(user_id, parts[1]))

    def wait(self, account: str, now: float | None = None) -> float:
        """Seconds before an untrusted browser may try this account again (0: now)."""
        now = time.monotonic() if now is None else now
        recent = [t for t in self._failures.get(account, []) if now - t < WINDOW_SECONDS]
        if len(recent) < FREE_FAILURES:
            return 0.0
        delay = min(2.0 ** (len(recent) - FREE_FAILURES + 1), MAX_WAIT_SECONDS)
        return max(0.0, recent[-1] + delay - now)

    def failed(self, account: str, now: float | None = None) -> None:
        """Count a failed attempt on ``account`` from an untrusted browser."""
        now = time.monotonic() if now is None else now
        recent = [t for t in self._failures.pop(account, []) if now - t < WINDOW_SECONDS]
        self._failures[account] = [*recent, now][-64:]
        if len(self._failures) > MAX_ACCOUNTS:
            self._failures.popitem(last=False)

    def succeeded(self, account: str) -> None:
        """The owner got in: their account's failures are forgotten."""
        self._failures.pop(account, None)

    def _mac(self, user_id: int, nonce: str) -> str:
        digest = hmac.new(self._key, f"{user_id}.{nonce}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]
