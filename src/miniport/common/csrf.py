"""Cross-site request forgery protection: a signed double-submit cookie bound to the session.

Every browser gets a random ``mp_csrf`` cookie. Each form carries
``base64url(HMAC-SHA256(key, cookie ‖ session))`` in a hidden ``csrf_token`` field, where
*session* is the value of the service's session cookie(s) as the browser sent them (empty
before sign-in). A forged cross-site form can make the browser send the cookies, but the
attacker can neither read them nor compute a token without the server's key, so a POST
whose token does not match its own cookies is refused.

Binding the session in matters because the ``mp_csrf`` cookie alone can be planted: a
sibling subdomain (or a man in the middle on plain http) can set the attacker's own cookie,
for which the attacker holds a genuine token. Without the session in the MAC, that pair
would pass beside the victim's session cookie. With it, a token is good only for the
session it was rendered for, and signing in (a new session cookie) retires every token
minted before it: the next page renders a fresh one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie

from markupsafe import Markup
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from miniport.common.tokens import new_secret

CSRF_COOKIE = "mp_csrf"
CSRF_FIELD = "csrf_token"
_SCOPE_KEY = "miniport.csrf"
# What new_secret() makes: 32 random bytes in unpadded base64url.
_COOKIE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class CsrfError(Exception):
    """A state-changing request without a valid token for the browser's own cookies."""


@dataclass(frozen=True, slots=True)
class _CsrfScope:
    cookie: str
    key: bytes
    session_cookies: tuple[str, ...]


def token_for(key: bytes, cookie_value: str, sessions: Sequence[str] = ()) -> str:
    """The token for a browser's CSRF cookie and the values of its session cookies.

    Each part is length-prefixed, so no two different (cookie, sessions) tuples feed the
    MAC the same bytes.
    """
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in (cookie_value, *sessions):
        data = part.encode("utf-8", "surrogatepass")
        mac.update(len(data).to_bytes(4, "big") + data)
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")


def _sessions_of(connection: HTTPConnection, names: tuple[str, ...]) -> list[str]:
    cookies = connection.cookies
    return [cookies.get(name, "") for name in names]


class CsrfCookieMiddleware:
    """Makes sure every browser holds a CSRF cookie, and shares it with the same request.

    A first visit has no cookie yet; the new value is put into the ASGI scope so the page
    rendered by that very request already carries a token matching the cookie it sets.
    ``session_cookies`` names the cookies that say who the browser is signed in as; every
    token is bound to their values.
    """

    def __init__(
        self, app: ASGIApp, key: bytes, secure: bool, *, session_cookies: Sequence[str]
    ) -> None:
        self.app = app
        self.key = key
        self.secure = secure
        self.session_cookies = tuple(session_cookies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        existing = HTTPConnection(scope).cookies.get(CSRF_COOKIE, "")
        if _COOKIE_SHAPE.fullmatch(existing):
            scope[_SCOPE_KEY] = _CsrfScope(existing, self.key, self.session_cookies)
            await self.app(scope, receive, send)
            return
        fresh = new_secret()
        scope[_SCOPE_KEY] = _CsrfScope(fresh, self.key, self.session_cookies)
        header = self._cookie_header(fresh)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie_header(self, value: str) -> bytes:
        cookie: SimpleCookie = SimpleCookie()
        cookie[CSRF_COOKIE] = value
        morsel = cookie[CSRF_COOKIE]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        # Secure cookies only work over HTTPS; on plain http the browser would drop them.
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString().encode("latin-1")


def _scope_state(connection: HTTPConnection) -> _CsrfScope:
    state = connection.scope.get(_SCOPE_KEY)
    if not isinstance(state, _CsrfScope):
        raise RuntimeError("CsrfCookieMiddleware is not installed on this app")
    return state


def csrf_token(connection: HTTPConnection) -> str:
    """The token forms rendered for this request must carry."""
    state = _scope_state(connection)
    return token_for(state.key, state.cookie, _sessions_of(connection, state.session_cookies))


def csrf_input(connection: HTTPConnection) -> Markup:
    """The hidden form field carrying the token (a Jinja global)."""
    # Markup.format escapes its arguments.
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(connection)
    )


def verify_csrf(connection: HTTPConnection, submitted: str | None, key: bytes) -> None:
    """Raise ``CsrfError`` unless ``submitted`` is the token for the cookies the browser sent.

    The CSRF cookie is read from the request itself: a cookie the middleware has only just
    minted was never seen by the browser, so no genuine form can carry its token. The
    session cookies are too, so a token rendered for another session (or for this browser
    before it signed in) does not pass.
    """
    names = _scope_state(connection).session_cookies
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    if not submitted or not _COOKIE_SHAPE.fullmatch(cookie):
        raise CsrfError("missing CSRF cookie or token")
    expected = token_for(key, cookie, _sessions_of(connection, names)).encode("ascii")
    # Constant time, so response timing does not reveal how much of a guess was right;
    # bytes, because compare_digest refuses non-ASCII str and a form can hold anything.
    if not hmac.compare_digest(expected, submitted.encode("utf-8", "surrogatepass")):
        raise CsrfError("CSRF token does not match the cookies")
