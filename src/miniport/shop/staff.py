"""The brand's staff pages: one shared password (from the settings), a signed cookie.

The cookie is ``<expiry>.<HMAC(cookie key, expiry, password digest)>``: nothing is stored
server-side, it dies at its expiry, and changing the password invalidates every cookie
issued under the old one. Failed sign-ins are counted per client address, so the password
cannot be guessed at request speed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import threading
from collections import deque

from miniport.common import clock
from miniport.common.tokens import digest, keyed_digest

MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 300.0
MAX_TOKEN_LENGTH = 96


def password_matches(given: str, expected: str) -> bool:
    # Constant time, so response timing does not reveal how much of a guess was right;
    # digests first, so the comparison does not leak the password's length either.
    return hmac.compare_digest(digest(given).encode(), digest(expected).encode())


def _mac(key: bytes, password: str, expires: int) -> str:
    raw = keyed_digest(key, "shop-staff", str(expires), digest(password))
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def issue_token(key: bytes, password: str, *, now: dt.datetime, lifetime: dt.timedelta) -> str:
    expires = int((now + lifetime).timestamp())
    return f"{expires}.{_mac(key, password, expires)}"


def token_valid(key: bytes, password: str, token: str | None, *, now: dt.datetime) -> bool:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    raw_expiry, _, mac = token.partition(".")
    if not raw_expiry.isdigit() or len(raw_expiry) > 12:
        return False
    expires = int(raw_expiry)
    if expires <= now.timestamp():
        return False
    return hmac.compare_digest(_mac(key, password, expires).encode(), mac.encode("utf-8"))


class SigninThrottle:
    """Failed staff sign-ins per client address within a sliding window (per process)."""

    def __init__(
        self, *, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW_SECONDS
    ) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address, clock.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            now = clock.monotonic()
            self._recent(address, now).append(now)
            # Forget addresses whose failures have all aged out, so the map stays small.
            for stale in [
                a for a, f in self._failures.items() if not f or f[-1] <= now - self.window
            ]:
                del self._failures[stale]

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
