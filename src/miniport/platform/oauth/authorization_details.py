"""RFC 9396 — Rich Authorization Requests, for the ``miniprogram_run`` type.

A host asks to run a mini program with ``authorization_details`` =
``[{"type": "miniprogram_run", "appid": "wx…", "path": "/pages/index?x=1"}]``. The appid must
be registered and the path (its query may vary) one of the mini program's allowed paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from miniport.platform.oauth.errors import InvalidAuthorizationDetails
from miniport.platform.registry.lookup import find_mini_program

RUN_TYPE = "miniprogram_run"
MAX_DETAILS = 10
MAX_PATH_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class RunDetail:
    appid: str
    path: str

    def as_dict(self) -> dict[str, str]:
        return {"type": RUN_TYPE, "appid": self.appid, "path": self.path}


def page_of(path: str) -> str:
    """The page a path opens, without its query."""
    return urlsplit(path).path


def parse(raw: str | None) -> list[RunDetail]:
    """Parse and shape-check the JSON parameter; an absent parameter is an empty list."""
    if raw is None or raw == "":
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidAuthorizationDetails("authorization_details is not valid JSON") from exc
    if not isinstance(value, list) or not value:
        raise InvalidAuthorizationDetails("authorization_details must be a non-empty JSON array")
    if len(value) > MAX_DETAILS:
        raise InvalidAuthorizationDetails(f"at most {MAX_DETAILS} authorization_details")
    details: list[RunDetail] = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidAuthorizationDetails("each authorization detail must be an object")
        if item.get("type") != RUN_TYPE:
            raise InvalidAuthorizationDetails(
                f"unsupported authorization detail type; use {RUN_TYPE}"
            )
        appid, path = item.get("appid"), item.get("path", "/")
        if not isinstance(appid, str) or not isinstance(path, str):
            raise InvalidAuthorizationDetails("appid and path must be strings")
        if not path.startswith("/") or len(path) > MAX_PATH_LENGTH:
            raise InvalidAuthorizationDetails(
                "path must start with / and be at most 1024 characters"
            )
        details.append(RunDetail(appid=appid, path=path))
    return details


def validate(session: Session, details: list[RunDetail]) -> None:
    """Check each appid is registered and each path is one its mini program allows."""
    for detail in details:
        mini_program = find_mini_program(session, detail.appid)
        if mini_program is None:
            raise InvalidAuthorizationDetails(f"unknown appid {detail.appid}")
        if page_of(detail.path) not in mini_program.allowed_paths:
            raise InvalidAuthorizationDetails(
                f"path {page_of(detail.path)} is not a page of {detail.appid}"
            )


def from_stored(stored: list[dict[str, str]]) -> list[RunDetail]:
    return [RunDetail(appid=item["appid"], path=item["path"]) for item in stored]


def appids_of(stored: list[dict[str, str]]) -> list[str]:
    return sorted({item["appid"] for item in stored})
