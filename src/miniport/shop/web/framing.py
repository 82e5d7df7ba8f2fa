"""Running inside the registered host apps' frames: who may frame us, and cookies that work there.

**Who may frame the store.** Every response says ``Content-Security-Policy: frame-ancestors
'self' <origins>`` with exactly the registered hosts' origins (``frame_ancestors`` in the
settings), so a page of any other site cannot put the store in a frame and overlay it to
steal clicks on "Place order" or "Pay". ``X-Frame-Options`` is not sent: it cannot list
origins, and browsers that know ``frame-ancestors`` ignore it anyway.

**Cookies inside the frame.** A cookie is sent with a request from an iframe only when the
browser considers the iframe's context same-site, or the cookie is ``SameSite=None``:

- *Local demo and tests:* the host and the store are ``http://127.0.0.1:<port>`` on
  different ports. A site is scheme plus registrable domain; ports do not count, so the
  frame is same-site and ``SameSite=Lax`` cookies flow. ``Secure`` is left off because the
  browser would drop a ``Secure`` cookie set over plain http.
- *Production:* the host (``https://host.example``) and the store (``https://shop.example``)
  are different sites, so a ``Lax`` cookie would never reach the framed store. Cookies are
  then ``SameSite=None; Secure`` (``None`` requires ``Secure``) and ``Partitioned`` (CHIPS),
  which browsers that block third-party cookies still accept: the cookie is kept in a jar
  keyed by the top-level site, so the store's session inside one host app is not shared with
  the same store framed by another host, nor with the store opened directly. That is the
  right isolation for a session started by one host's launch code.

The switch is the public URL: an ``https://`` ``base_url`` selects the production
attributes. The CSRF cookie (``miniport.common.csrf``) gets the same treatment through
``FramedCsrfCookieMiddleware`` below.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from miniport.common.csrf import CSRF_COOKIE, CsrfCookieMiddleware

_CSP = b"content-security-policy"


def frame_ancestors(origins: list[str]) -> str:
    return " ".join(["frame-ancestors", "'self'", *origins])


def page_policy(origins: list[str]) -> str:
    """The full policy of the store's HTML pages: own resources only, no scripts at all."""
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'; " + frame_ancestors(origins)
    )


class FrameAncestorsMiddleware:
    """Adds ``frame-ancestors`` to every response that did not set its own policy (static
    files, redirects, error responses), so no response of the store can be framed elsewhere."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.header = frame_ancestors(origins).encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == _CSP for name, _ in headers):
                    headers.append((_CSP, self.header))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_policy)


def cookie_header(name: str, value: str, *, max_age: int | None, secure: bool) -> str:
    """A ``Set-Cookie`` value that reaches the store inside a host's frame (see above)."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    if not secure:
        morsel["samesite"] = "Lax"
        return morsel.OutputString()
    morsel["samesite"] = "None"
    morsel["secure"] = True
    # Written by hand: http.cookies learns the Partitioned attribute only in Python 3.14.
    return morsel.OutputString() + "; Partitioned"


def set_session_cookie(
    response: Response, *, name: str, value: str, max_age: int | None, secure: bool
) -> None:
    response.headers.append(
        "set-cookie", cookie_header(name, value, max_age=max_age, secure=secure)
    )


def delete_session_cookie(response: Response, *, name: str, secure: bool) -> None:
    set_session_cookie(response, name=name, value="", max_age=0, secure=secure)


class FramedCsrfCookieMiddleware(CsrfCookieMiddleware):
    """``miniport.common.csrf``'s middleware, with a cookie that also works in a cross-site
    frame over https (``SameSite=None; Secure; Partitioned``); unchanged on http."""

    def _cookie_header(self, value: str) -> bytes:
        if not self.secure:
            return super()._cookie_header(value)
        return cookie_header(CSRF_COOKIE, value, max_age=None, secure=True).encode("latin-1")
