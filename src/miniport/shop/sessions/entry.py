"""The mini program's entry: a launch code from the platform becomes a shop session.

::

    GET /mp/entry?code=…&scene=1069&path=/pages/product?id=3[&host=…]
        │
        ├─ this browser's session was started by this very code? ──▶ the page (a reload)
        ├─ jscode2session(code) at the platform ──▶ openid, unionid
        │     refusals (40029 used/expired/foreign code, 89300 port closed, …) propagate
        │     as the SDK's exceptions, for the web layer to explain
        └─ customer upserted by openid, session started ──▶ cookie + the page

The code is single use at the platform, so a browser reloading the entry URL after success
would be refused there; remembering the code's digest on the session recognises that
reload without spending anything. Another browser replaying a leaked entry URL has no such
session, goes to the platform, and is refused.

The platform is called outside any database transaction: on SQLite a write transaction
holds the database's only write lock, and no other request should wait on a network call.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, quote, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import unit_of_work
from miniport.common.tokens import digest
from miniport.sdk.models import MiniProgramSession
from miniport.shop.customers.customers import upsert_customer
from miniport.shop.guides.guides import attribute, find_guide
from miniport.shop.sessions.sessions import current_session, end_session, start_session

MAX_CODE_LENGTH = 128
MAX_PATH_LENGTH = 256
_HOST = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

# The mini program's pages (register these as its allowed paths on the platform), and the
# store URL each opens. Only these are ever redirected to: the entry never sends the browser
# to a URL taken from its query, so it cannot be used as an open redirect.
INDEX_PAGE = "/pages/index"
MINI_PROGRAM_PAGES: tuple[str, ...] = (
    INDEX_PAGE,
    "/pages/category",
    "/pages/product",
    "/pages/cart",
    "/pages/orders",
    "/pages/boutiques",
    "/pages/guide",
)


class CodeExchanger(Protocol):
    """What the entry needs of the platform (``miniport.sdk.MiniProgramClient``)."""

    def code_to_session(self, js_code: str) -> MiniProgramSession: ...


class MalformedEntry(ValueError):
    """No usable launch code in the entry URL."""


@dataclass(frozen=True, slots=True)
class EntryRequest:
    code: str
    scene: int | None
    path: str
    host: str | None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> EntryRequest:
        code = query.get("code", "")
        if not code or len(code) > MAX_CODE_LENGTH:
            raise MalformedEntry("the entry URL carries no launch code")
        raw_scene = query.get("scene", "")
        scene = int(raw_scene) if raw_scene.isdigit() and len(raw_scene) <= 6 else None
        # The platform's launch URL names the launching host app (its client id, mapped
        # to a name by ``host_names``); it is recorded for the brand's reports. It is
        # attribution, not a credential: the launch code alone decides who the customer is.
        raw_host = query.get("host", "")
        host = raw_host if _HOST.fullmatch(raw_host) else None
        path = query.get("path", INDEX_PAGE)[:MAX_PATH_LENGTH] or INDEX_PAGE
        return cls(code=code, scene=scene, path=path, host=host)


@dataclass(frozen=True, slots=True)
class Entered:
    customer_id: int
    target: str  # the store URL to show
    cookie_value: str | None  # a new session's cookie; None when the session already existed


def page_url(path: str) -> str:
    """The store URL for a mini-program page path such as ``/pages/product?id=3``."""
    page, _, query = path.partition("?")
    page = "/" + page.lstrip("/")
    params = dict(parse_qsl(query, keep_blank_values=False)) if query else {}
    item = params.get("id", "")
    if page == "/pages/product" and item.isdigit() and len(item) <= 9:
        return f"/products/{int(item)}"
    if page == "/pages/category" and item.isdigit() and len(item) <= 9:
        return f"/categories/{int(item)}"
    if page == "/pages/category":
        return "/categories"
    if page == "/pages/cart":
        return "/cart"
    if page == "/pages/orders":
        return "/orders"
    if page == "/pages/boutiques":
        return "/boutiques"
    code = params.get("code", "")
    if page == "/pages/guide" and re.fullmatch(r"[A-Za-z0-9-]{3,32}", code):
        return "/g/" + quote(code)
    return "/"


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return url.startswith("/") and not url.startswith("//") and not parts.netloc


def enter(
    sessions: sessionmaker[Session],
    read_sessions: sessionmaker[Session],
    platform: CodeExchanger,
    request: EntryRequest,
    *,
    cookie_value: str | None,
    guide_code: str | None,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> Entered:
    """Run the entry; commits the new session. SDK errors from the platform propagate."""
    code_digest = digest(request.code)
    target = page_url(request.path)
    with read_sessions() as session:
        existing = current_session(session, cookie_value, now)
    if existing is not None and existing.entry_code_digest == code_digest:
        return Entered(customer_id=existing.customer_id, target=target, cookie_value=None)
    ids = platform.code_to_session(request.code)
    with unit_of_work(sessions) as session:
        customer = upsert_customer(session, openid=ids.openid, unionid=ids.unionid, now=now)
        # A guide's link opened before the customer had a session counts from now on.
        guide = find_guide(session, guide_code)
        if guide is not None:
            attribute(session, customer_id=customer.id, guide=guide, now=now)
        # This browser's previous session (another entry) is replaced, not left lying about.
        end_session(session, cookie_value)
        value = start_session(
            session,
            customer_id=customer.id,
            code_digest=code_digest,
            entry_scene=request.scene,
            entry_host=request.host,
            entry_path=request.path,
            now=now,
            lifetime=lifetime,
        )
        return Entered(customer_id=customer.id, target=target, cookie_value=value)
