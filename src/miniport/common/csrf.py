"""Cross-site request forgery protection: a signed double-submit cookie.

Every browser gets a random ``mp_csrf`` cookie. Each form carries
``base64url(HMAC-SHA256(key, cookie))`` in a hidden ``csrf_token`` field. A forged
cross-site form can make the browser send the cookie, but the attacker can neither read it
nor compute its token without the server's key, so a POST whose token does not match its
own cookie is refused. The HMAC (rather than echoing the cookie itself) also means a cookie
planted by a sibling subdomain is useless without a token the server minted for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
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
    """A state-changing request without a valid token for the browser's own cookie."""


@dataclass(frozen=True, slots=True)
class _CsrfScope:
    cookie: str
    key: bytes


def token_for(key: bytes, cookie_value: str) -> str:
    mac = hmac.new(key, cookie_value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")


class CsrfCookieMiddleware:
    """Makes sure every browser holds a CSRF cookie, and shares it with the same request.

    A first visit has no cookie yet; the new value is put into the ASGI scope so the page
    rendered by that very request already carries a token matching the cookie it sets.
    """

    def __init__(self, app: ASGIApp, key: bytes, secure: bool) -> None:
        self.app = app
        self.key = key
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        existing = HTTPConnection(scope).cookies.get(CSRF_COOKIE, "")
        if _COOKIE_SHAPE.fullmatch(existing):
            scope[_SCOPE_KEY] = _CsrfScope(cookie=existing, key=self.key)
            await self.app(scope, receive, send)
            return
        fresh = new_secret()
        scope[_SCOPE_KEY] = _CsrfScope(cookie=fresh, key=self.key)
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
    return token_for(state.key, state.cookie)


def csrf_input(connection: HTTPConnection) -> Markup:
    """The hidden form field carrying the token (a Jinja global)."""
    # Markup.format escapes its arguments.
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(connection)
    )


def verify_csrf(connection: HTTPConnection, submitted: str | None, key: bytes) -> None:
    """Raise ``CsrfError`` unless ``submitted`` is the token for the cookie the browser sent.

    The cookie is read from the request itself: a cookie the middleware has only just
    minted was never seen by the browser, so no genuine form can carry its token.
    """
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    if not submitted or not _COOKIE_SHAPE.fullmatch(cookie):
        raise CsrfError("missing CSRF cookie or token")
    expected = token_for(key, cookie).encode("ascii")
    # Constant time, so response timing does not reveal how much of a guess was right;
    # bytes, because compare_digest refuses non-ASCII str and a form can hold anything.
    if not hmac.compare_digest(expected, submitted.encode("utf-8", "surrogatepass")):
        raise CsrfError("CSRF token does not match the cookie")
