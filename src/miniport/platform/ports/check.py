"""``check``: which of these mini programs may this host show this user, right now?

A host asks once per search-results page, for up to 100 appids or URL links, with an opaque
key of its own user (the key it will pass to launch, so card and launch always agree). It is
the hottest call of the platform, so once warm it touches no database: decisions come from
the port snapshot, mini-program cards and resolved URL links from small in-memory caches.
A cache miss is reported as ``NeedsLoading`` so the web layer can do the loading off its
event loop and ask again.

Reason codes (stable, documented in docs/api.md): ``open``, ``no_port``, ``port_requested``,
``port_rejected``, ``port_withdrawn``, ``port_closed``, ``port_expired``, ``host_suspended``,
``not_in_rollout``, ``trial_ended``, and ``invalid_url_link`` for an item that is neither an
appid nor a live URL link.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from xxhash import xxh3_128_hexdigest

from miniport.common import clock
from miniport.common.ttl_cache import TtlCache
from miniport.platform.miniprogram_api.urllink import LiveLink, find_live_link, slug_of
from miniport.platform.ports.api import InvalidPortRequest
from miniport.platform.ports.decision import (
    HOST_SUSPENDED,
    NO_PORT,
    Decision,
    PortSnapshot,
    staged_decision,
)
from miniport.platform.ports.snapshot import PortDirectory
from miniport.platform.registry.models import MiniProgram

APPID = re.compile(r"wx[0-9a-f]{16}")
MAX_ITEMS = 100
MAX_USER_KEY = 128
MAX_ITEM_LENGTH = 2048
MAX_BODY_BYTES = 64 * 1024
INVALID_URL_LINK = "invalid_url_link"
# Answers for longer items are rendered each time rather than kept: appids and the
# platform's own link URLs are far shorter, and long junk must not fill memory.
MAX_RENDERED_ITEM = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
Card = dict[str, str]
# (item, decision reason, the link the item resolved to) -> that item's rendered answer
RenderKey = tuple[str, str, LiveLink | None]


class BodyTooLarge(InvalidPortRequest):
    """More than ``MAX_BODY_BYTES``: 100 items of 2,048 characters would not need more."""


class NeedsLoading(Exception):  # noqa: N818  (a signal to the caller, not a failure)
    """The answer needs a card or a URL link that is not cached yet."""


# Named tuples rather than frozen dataclasses: as immutable, and built several times faster
# (a frozen dataclass's ``__init__`` goes through ``object.__setattr__`` per field), which
# shows on an endpoint that builds both for every check.
class CheckRequest(NamedTuple):
    user_key: str
    items: tuple[str, ...]


class CheckAnswer(NamedTuple):
    body: bytes
    etag: str


# (session, slug, now) -> where a live link leads; None for an unknown or expired one.
LinkResolver = Callable[[Session, str, dt.datetime], LiveLink | None]


def _text(value: object, name: str, max_length: int) -> str:
    if type(value) is not str or not value or len(value) > max_length:
        raise InvalidPortRequest(f"{name} must be a string of 1 to {max_length} characters")
    if _CONTROL.search(value):
        raise InvalidPortRequest(f"{name} must not contain control characters")
    return value


def parse_check_request(raw: bytes) -> CheckRequest:
    """``{"user_key": "…", "items": ["wx…" or URL link, …]}``; raises ``InvalidPortRequest``."""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        # orjson: a quarter of the standard parser's time on a 20-item check, and it refuses
        # invalid UTF-8 and nesting deeper than 1,024 levels with the same ValueError.
        body = orjson.loads(raw)
    except ValueError:
        raise InvalidPortRequest("the body must be a JSON object") from None
    if type(body) is not dict:
        raise InvalidPortRequest("the body must be a JSON object")
    if len(body) != 2 or "user_key" not in body or "items" not in body:
        unknown = sorted(set(body) - {"user_key", "items"})
        raise InvalidPortRequest(
            f"unknown fields: {', '.join(unknown)}"
            if unknown
            else "user_key and items are required"
        )
    return check_request(body["user_key"], body["items"])


def check_request(user_key: object, items: object) -> CheckRequest:
    key = _text(user_key, "user_key", MAX_USER_KEY)
    if type(items) is not list or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidPortRequest(f"items must be a list of 1 to {MAX_ITEMS} appids or URL links")
    # Whole-list checks that run in C rather than a Python loop per item: this runs for every
    # check, and per-item checks were a visible share of it. ``join`` refuses a non-string.
    try:
        joined = "".join(items)
    except TypeError:
        joined = None
    if (
        joined is None
        or "" in items
        # No item can be too long when all of them together are not.
        or (len(joined) > MAX_ITEM_LENGTH and max(map(len, items)) > MAX_ITEM_LENGTH)
    ):
        raise InvalidPortRequest(f"each item must be a string of 1 to {MAX_ITEM_LENGTH} characters")
    # Printable ASCII (what appids and link URLs are) has no control characters; both tests
    # are a fraction of the regex's time, which then runs only on other text.
    if not (joined.isascii() and joined.isprintable()) and _CONTROL.search(joined):
        raise InvalidPortRequest("items must not contain control characters")
    return CheckRequest(user_key=key, items=tuple(items))


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _invalid_link(item: str) -> bytes:
    return _json({"item": item, "appid": None, "open": False, "reason": INVALID_URL_LINK})


def etag_of(body: bytes) -> str:
    """A strong validator: the same bytes give the same tag, in every worker.

    XXH3-128 rather than a cryptographic hash: a tag only tells a host whether its own
    answer changed, so nobody gains from forging a collision, and it costs a fraction of
    BLAKE2b's time on a 100-item answer.
    """
    return '"' + xxh3_128_hexdigest(body) + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: ``*`` or any listed tag, compared weakly (``W/`` ignored)."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


class PortChecker:
    """Answers ``check`` from the port snapshot and small caches.

    - cards (a mini program's names and icon): cleared by the ``registry`` bus topic, and
      lapse after ``card_ttl`` seconds in any case;
    - resolved URL links: lapse after ``link_ttl`` seconds, which bounds how long a deleted
      link keeps resolving (an expired one is refused at once: its end time is kept);
    - rendered results: the JSON of one item's answer, keyed by the item, the decision's
      reason and the link it resolved to. Most answers repeat (the same appids, decided the
      same way for most users), so a check mostly decides and joins ready-made bytes.
      The whole cache is dropped whenever the snapshot or the cards change.
    """

    def __init__(
        self,
        ports: PortDirectory,
        read_sessions: sessionmaker[Session],
        *,
        resolve_link: LinkResolver = find_live_link,
        link_ttl: float = 30.0,
        card_ttl: float = 300.0,
        max_rendered: int = 20_000,
    ) -> None:
        self._ports = ports
        self._read_sessions = read_sessions
        self._resolve_link = resolve_link
        self._links: TtlCache[LiveLink | None] = TtlCache(ttl=link_ttl, max_entries=50_000)
        self._cards: TtlCache[Card | None] = TtlCache(ttl=card_ttl, max_entries=100_000)
        self._card_ttl = card_ttl
        self._max_rendered = max_rendered
        # (snapshot it was rendered from, cards generation, until when, item → bytes)
        self._rendered: tuple[PortSnapshot | None, int, float, dict[RenderKey, bytes]] = (
            None,
            -1,
            0.0,
            {},
        )

    def on_change(self, topic: str) -> None:
        if topic == "registry":
            self._cards.clear()
            self._links.clear()

    def _rendered_for(self, snapshot: PortSnapshot) -> dict[RenderKey, bytes]:
        built_from, generation, until, rendered = self._rendered
        if (
            built_from is not snapshot
            or generation != self._cards.generation()
            or until < clock.monotonic()
            or len(rendered) >= self._max_rendered
        ):
            rendered = {}
            # Replaced whole, never emptied in place: a reader on another thread keeps a
            # consistent (if old) dict.
            self._rendered = (
                snapshot,
                self._cards.generation(),
                clock.monotonic() + self._card_ttl,
                rendered,
            )
        return rendered

    def answer(
        self, *, client_id: str, request: CheckRequest, now: dt.datetime, load: bool = False
    ) -> CheckAnswer:
        """The response body and its ETag.

        Without ``load`` nothing touches the database, and a cache miss raises
        ``NeedsLoading``; with ``load`` misses are read (call that from a worker thread).
        """
        snapshot = self._ports.current()
        rendered = self._rendered_for(snapshot)
        suspended = client_id in snapshot.suspended_hosts
        rules = snapshot.rules_of(client_id)
        user_key = request.user_key
        parts: list[bytes] = []
        for item in request.items:
            link: LiveLink | None = None
            rule = rules.get(item)
            if rule is not None:
                appid = item  # only appids are keys of the snapshot: no need to match APPID
            elif APPID.fullmatch(item):
                appid = item
            else:
                # Cached by slug, not by the item: a host cannot grow the cache with endless
                # spellings of one link, and a malformed item never reaches the database.
                slug = slug_of(item)
                link = self._link(slug, now, load) if slug is not None else None
                if link is None or link.expires_at <= now:
                    parts.append(_invalid_link(item))
                    continue
                appid = link.appid
                rule = rules.get(appid)
            # ``decide``'s branches, over the host's rules looked up once per check. A
            # suspended host is refused everything, ports or not: say so, not no_port.
            if suspended:
                decision = HOST_SUSPENDED
            elif rule is None:
                decision = NO_PORT
            elif rule.fixed is not None:
                decision = rule.fixed
            else:
                decision = staged_decision(rule, user_key=user_key, now=now)
            key = (item, decision.reason, link)
            part = rendered.get(key)
            if part is None:
                part = self._render(item, appid, link, decision, load)
                if len(item) <= MAX_RENDERED_ITEM:
                    rendered[key] = part
            parts.append(part)
        body = b'{"results":[' + b",".join(parts) + b"]}"
        return CheckAnswer(body=body, etag=etag_of(body))

    def _render(
        self, item: str, appid: str, link: LiveLink | None, decision: Decision, load: bool
    ) -> bytes:
        result: dict[str, Any] = {"item": item, "appid": appid}
        if link is not None:
            result["path"], result["query"] = link.path, link.query
        result["open"], result["reason"] = decision.open, decision.reason
        if decision.open:
            result["mini_program"] = self._card(appid, load)
        return _json(result)

    def _link(self, slug: str, now: dt.datetime, load: bool) -> LiveLink | None:
        found, target = self._links.find(slug)
        if found:
            return target
        if not load:
            raise NeedsLoading(slug)
        generation = self._links.generation()
        with self._read_sessions() as session:
            target = self._resolve_link(session, slug, now)
        self._links.put(slug, target, generation=generation)
        return target

    def _card(self, appid: str, load: bool) -> Card | None:
        found, cached = self._cards.find(appid)
        if found:
            return cached
        if not load:
            raise NeedsLoading(appid)
        generation = self._cards.generation()
        with self._read_sessions() as session:
            row = session.execute(
                select(MiniProgram.name_zh, MiniProgram.name_en, MiniProgram.icon_url).where(
                    MiniProgram.appid == appid
                )
            ).first()
        card: Card | None = (
            {"name_zh": row.name_zh, "name_en": row.name_en, "icon_url": row.icon_url}
            if row is not None
            else None
        )
        self._cards.put(appid, card, generation=generation)
        return card
