"""URL links: ``POST /wxa/generate_urllink`` and ``POST /wxa/query_urllink``, and resolving a
link for hosts (the port ``check`` API resolves links it is given with ``find_live_link``).

Mirrors the API family's URL-link calls. ``generate_urllink`` body: ``{"path", "query",
"env_version", "expire_type": 0|1, "expire_time" (unix seconds) | "expire_interval" (days)}``
→ ``{"errcode": 0, "errmsg": "ok", "url_link": "<base_url>/urllink/<slug>"}``.
``query_urllink`` body ``{"url_link"}`` → ``{"errcode": 0, "errmsg": "ok", "url_link_info":
{"appid", "path", "query", "create_time", "expire_time", "env_version"}}``.

- ``path`` is a page of the mini program without a query (40165); empty or absent opens its
  home page (its first registered page).
- ``query``: at most 1024 characters of the allowed set (40212).
- ``env_version``: ``release`` (default), ``trial`` or ``develop`` (40097 otherwise).
- Links live at most 30 days: ``expire_type`` 0 takes ``expire_time``, which must lie in the
  next 30 days (absent: 30 days from now); ``expire_type`` 1 takes ``expire_interval`` of 1 to
  30 days (85401 otherwise). ``expire_type`` defaults to 1 when only ``expire_interval`` is
  given.
- Each mini program may generate ``URL_LINK_DAILY_QUOTA`` links a UTC day (45009).
- A mini program queries only its own links (40097 for any other or unknown link).

The slug is 128 random bits: a link is a capability to learn which page it opens, and must
not be guessable from another.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from miniport.common.clock import epoch
from miniport.platform.miniprogram_api import pages, params, quotas
from miniport.platform.miniprogram_api.context import ApiContext
from miniport.platform.miniprogram_api.directory import MiniProgramEntry
from miniport.platform.miniprogram_api.errors import (
    BadParameters,
    ExpiryOutOfRange,
    InvalidCredential,
    InvalidPagePath,
    QuotaReached,
)
from miniport.platform.miniprogram_api.models import UrlLink

URL_LINK_DAILY_QUOTA = 500_000
MAX_LIFETIME = dt.timedelta(days=30)
MAX_INTERVAL_DAYS = 30
ENV_VERSIONS = frozenset({"release", "trial", "develop"})
LINK_PATH_PREFIX = "/urllink/"
_URL_LINKS = cast(Table, UrlLink.__table__)
_SLUG = re.compile(r"[A-Za-z0-9_-]{16,32}")


@dataclass(frozen=True, slots=True)
class GeneratedLink:
    url_link: str

    def as_dict(self) -> dict[str, Any]:
        return {"errcode": 0, "errmsg": "ok", "url_link": self.url_link}


@dataclass(frozen=True, slots=True)
class LinkInfo:
    appid: str
    path: str
    query: str
    create_time: int
    expire_time: int
    env_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "errcode": 0,
            "errmsg": "ok",
            "url_link_info": {
                "appid": self.appid,
                "path": self.path,
                "query": self.query,
                "create_time": self.create_time,
                "expire_time": self.expire_time,
                "env_version": self.env_version,
            },
        }


def caller_appid(context: ApiContext, access_token: str | None) -> str:
    """The mini program whose ``/cgi-bin/token`` access token this is; 40001 otherwise."""
    appid = context.access_tokens.appid_for(access_token, context.now) if access_token else None
    if appid is None:
        raise InvalidCredential(
            "invalid credential, access_token is invalid or not latest"
            if access_token
            else "invalid credential: access_token missing"
        )
    return appid


def calling_mini_program(context: ApiContext, access_token: str | None) -> MiniProgramEntry:
    """``caller_appid``'s mini program, for calls that act as it; 40001 once it is gone."""
    entry = context.mini_programs.get(caller_appid(context, access_token))
    if entry is None:
        raise InvalidCredential("invalid credential: the mini program no longer exists")
    return entry


def _expiry(body: dict[str, Any], now: dt.datetime) -> dt.datetime:
    expire_type = params.integer(body, "expire_type")
    interval = params.integer(body, "expire_interval")
    # Read even when the other kind of expiry is chosen: a field of the wrong type is
    # refused wherever it is, not ignored.
    expire_time = params.integer(body, "expire_time")
    if expire_type is None:
        expire_type = 1 if interval is not None else 0
    if expire_type == 1:
        if interval is None or not 1 <= interval <= MAX_INTERVAL_DAYS:
            raise ExpiryOutOfRange("expire_interval must be 1 to 30 days")
        return now + dt.timedelta(days=interval)
    if expire_type != 0:
        raise BadParameters("invalid args: expire_type must be 0 or 1")
    if expire_time is None:
        return now + MAX_LIFETIME
    latest = epoch(now + MAX_LIFETIME)
    if not epoch(now) < expire_time <= latest:
        raise ExpiryOutOfRange("expire_time must lie within the next 30 days")
    return dt.datetime.fromtimestamp(expire_time, dt.UTC)


def generate(
    session: Session,
    context: ApiContext,
    *,
    access_token: str | None,
    body: dict[str, Any],
    daily_quota: int = URL_LINK_DAILY_QUOTA,
) -> GeneratedLink:
    """Create a URL link for the calling mini program (flushed; the caller commits)."""
    entry = calling_mini_program(context, access_token)
    appid = entry.appid
    raw_path = params.text(body, "path", max_length=2 * pages.MAX_PATH_LENGTH) or ""
    if "?" in raw_path:
        raise InvalidPagePath("invalid weapp pagepath: put the query in query, not in path")
    path = pages.page(entry, raw_path) if raw_path else entry.home_path
    query = pages.query(params.text(body, "query", max_length=2 * pages.MAX_QUERY_LENGTH) or "")
    env_version = params.text(body, "env_version", max_length=16) or "release"
    if env_version not in ENV_VERSIONS:
        raise BadParameters("invalid args: env_version must be release, trial or develop")
    expires_at = _expiry(body, context.now)
    if not quotas.take(
        session.connection(), key=f"urllink:{appid}", limit=daily_quota, now=context.now
    ):
        raise QuotaReached(f"reach max api daily quota limit: {daily_quota} URL links a day")
    slug = secrets.token_urlsafe(16)
    session.execute(
        insert(_URL_LINKS).values(
            slug=slug,
            appid=appid,
            path=path,
            query=query,
            env_version=env_version,
            created_at=context.now,
            expires_at=expires_at,
        )
    )
    return GeneratedLink(url_link=context.base_url.rstrip("/") + LINK_PATH_PREFIX + slug)


def query_link(
    session: Session, context: ApiContext, *, access_token: str | None, body: dict[str, Any]
) -> LinkInfo:
    """Describe one of the calling mini program's links (expired ones too)."""
    appid = caller_appid(context, access_token)
    slug = slug_of(params.required_text(body, "url_link", max_length=2048))
    row = _row(session, slug) if slug else None
    if row is None or row.appid != appid:
        raise BadParameters("invalid args: url_link not found")
    return LinkInfo(
        appid=row.appid,
        path=row.path,
        query=row.query,
        create_time=epoch(row.created_at),
        expire_time=epoch(row.expires_at),
        env_version=row.env_version,
    )


def slug_of(url_or_slug: str) -> str | None:
    """The slug of ``…/urllink/<slug>`` (or of a bare slug); None when it cannot be one."""
    value = url_or_slug.strip()
    if "/" in value:
        path = urlsplit(value).path
        if not path.startswith(LINK_PATH_PREFIX):
            return None
        value = path[len(LINK_PATH_PREFIX) :].rstrip("/")
    return value if _SLUG.fullmatch(value) else None


def _row(session: Session, slug: str) -> Any:
    links = UrlLink.__table__.c
    return session.execute(
        select(
            links.appid,
            links.path,
            links.query,
            links.env_version,
            links.created_at,
            links.expires_at,
        ).where(links.slug == slug)
    ).first()


@dataclass(frozen=True, slots=True)
class LiveLink:
    appid: str
    path: str
    query: str
    expires_at: dt.datetime


def find_live_link(session: Session, url_or_slug: str, now: dt.datetime) -> LiveLink | None:
    """A live link by URL or slug: one primary-key read, none for a value that cannot be one."""
    slug = slug_of(url_or_slug)
    if slug is None:
        return None
    links = UrlLink.__table__.c
    row = session.execute(
        select(links.appid, links.path, links.query, links.expires_at).where(links.slug == slug)
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return LiveLink(row.appid, row.path, row.query or "", row.expires_at)
