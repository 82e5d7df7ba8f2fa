"""FastAPI dependencies shared by the platform's routes (``Annotated`` aliases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.accounts.sessions import SignedIn, current_signin
from miniport.platform.runtime import PlatformRuntime

SESSION_COOKIE = "mp_session"


def get_runtime(request: Request) -> PlatformRuntime:
    runtime: PlatformRuntime = request.app.state.runtime
    return runtime


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; the route commits where its work is complete."""
    with get_runtime(request).sessions() as session:
        yield session


def get_read_db(request: Request) -> Iterator[Session]:
    """A session that never takes SQLite's write lock, for pages that only read."""
    with get_runtime(request).read_sessions() as session:
        yield session


def get_signin(request: Request) -> SignedIn | None:
    """Who this browser is signed in as, from the ``mp_session`` cookie; ``None`` if nobody."""
    with get_runtime(request).read_sessions() as session:
        return current_signin(session, request.cookies.get(SESSION_COOKIE), utcnow())


RuntimeDep = Annotated[PlatformRuntime, Depends(get_runtime)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
DbSession = Annotated[Session, Depends(get_db)]
ReadDbSession = Annotated[Session, Depends(get_read_db)]
OptionalSignIn = Annotated[SignedIn | None, Depends(get_signin)]


def bearer_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer …``, or None when there is none."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
