"""FastAPI dependencies shared by the host's routes (``Annotated`` aliases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.host.accounts.sessions import SignedIn, current_signin
from miniport.host.runtime import HostRuntime
from miniport.host.web.forms import FormData, read_form

SESSION_COOKIE = "host_session"


def get_runtime(request: Request) -> HostRuntime:
    runtime: HostRuntime = request.app.state.runtime
    return runtime


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; the route commits where its work is complete."""
    with get_runtime(request).sessions() as session:
        yield session


def get_read_db(request: Request) -> Iterator[Session]:
    """A session that never takes SQLite's write lock, for pages that only read."""
    with get_runtime(request).read_sessions() as session:
        yield session


def get_signin(request: Request) -> SignedIn | None:
    with get_runtime(request).read_sessions() as session:
        return current_signin(session, request.cookies.get(SESSION_COOKIE), utcnow())


RuntimeDep = Annotated[HostRuntime, Depends(get_runtime)]
DbSession = Annotated[Session, Depends(get_db)]
ReadDbSession = Annotated[Session, Depends(get_read_db)]
OptionalSignIn = Annotated[SignedIn | None, Depends(get_signin)]
HtmlForm = Annotated[FormData, Depends(read_form)]
