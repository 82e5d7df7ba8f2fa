"""Control characters in a request's path or query: refused at the edge, before any route.

NUL, the other C0 controls, DEL and the C1 controls have no place in an address. Let
through, they turn into bugs far from here: SQLite's FTS5 reads NUL as the end of a query
string ("unterminated string", a 500), PostgreSQL refuses NUL in any text parameter, ESC
writes terminal escapes into logs. Each route could check its own inputs; one ASGI
middleware per service checks every route at once, including those added later, and for
the price of two regular-expression searches per request.

Form bodies are checked where they are read (``miniport.common.forms`` and each service's
readers), field by field, because a ``<textarea>`` may hold line breaks and tabs; JSON
bodies likewise by the APIs that read them.

``ControlCharacterGuard`` answers with ``refuse(request)``, so each service refuses in the
shape its callers read: a page in the reader's language (``page_refusal``) or, on the
platform's APIs, their own JSON error format.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from miniport.common.i18n import N_
from miniport.common.templating import ErrorPage

# Unicode's control characters (category Cc: C0, DEL and C1) in a decoded path.
_CONTROL_TEXT = re.compile("[\x00-\x1f\x7f-\x9f]")
# The same in a query string as sent: a raw control byte (servers rarely pass one on), a
# percent-encoded C0 or DEL, or the UTF-8 encoding of a C1 control (C2 80 to C2 9F).
_CONTROL_QUERY = re.compile(rb"[\x00-\x1f\x7f]|%(?:[01][0-9A-Fa-f]|7[Ff])|%[Cc]2%[89][0-9A-Fa-f]")

REFUSED_TITLE = N_("This address cannot be opened")
REFUSED_MESSAGE = N_(
    "The address contains characters that are not allowed. Check the link and try again."
)

Refusal = Callable[[Request], Response]


def has_control_characters(scope: Scope) -> bool:
    """Whether the request's path or query string carries a control character."""
    if _CONTROL_TEXT.search(scope["path"]):
        return True
    return _CONTROL_QUERY.search(scope.get("query_string", b"")) is not None


class ControlCharacterGuard:
    """ASGI middleware: a request with a control character in its path or query gets
    ``refuse(request)`` instead of reaching any route."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and has_control_characters(scope):
            await self.refuse(Request(scope, receive))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def page_refusal(error_page: ErrorPage) -> Refusal:
    """A 400 page in the service's style and the reader's language."""

    def refuse(request: Request) -> Response:
        return error_page(request, title=REFUSED_TITLE, message=REFUSED_MESSAGE, status_code=400)

    return refuse
