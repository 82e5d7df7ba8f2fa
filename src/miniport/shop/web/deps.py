"""FastAPI dependencies shared by the shop's routes (``Annotated`` aliases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.common.csrf import CSRF_FIELD, verify_csrf
from miniport.shop import staff
from miniport.shop.runtime import ShopRuntime
from miniport.shop.sessions.sessions import CurrentSession
from miniport.shop.web.forms import FormData, read_form
from miniport.shop.web.templating import shopper_of

MAX_TOKEN_INPUT = 128


class NotInSession(Exception):
    """A page that needs a shop session (cart, orders), opened without one."""


class StaffOnly(Exception):
    """A staff page opened without a valid staff cookie."""


def get_runtime(request: Request) -> ShopRuntime:
    runtime: ShopRuntime = request.app.state.runtime
    return runtime


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; the route commits where its work is complete."""
    with get_runtime(request).sessions() as session:
        yield session


def get_read_db(request: Request) -> Iterator[Session]:
    """A session that never takes SQLite's write lock, for pages that only read."""
    with get_runtime(request).read_sessions() as session:
        yield session


def get_shopper(request: Request) -> CurrentSession | None:
    return shopper_of(request)


def require_shopper(request: Request) -> CurrentSession:
    shopper = shopper_of(request)
    if shopper is None:
        raise NotInSession()
    return shopper


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token matched this browser's cookie."""
    form = await read_form(request)
    verify_csrf(
        request,
        form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT),
        get_runtime(request).cookie_key,
    )
    return form


def require_staff(request: Request) -> None:
    runtime = get_runtime(request)
    token = request.cookies.get(runtime.settings.staff_cookie)
    if not staff.token_valid(runtime.cookie_key, runtime.staff_password, token, now=utcnow()):
        raise StaffOnly()


RuntimeDep = Annotated[ShopRuntime, Depends(get_runtime)]
DbSession = Annotated[Session, Depends(get_db)]
ReadDbSession = Annotated[Session, Depends(get_read_db)]
OptionalShopper = Annotated[CurrentSession | None, Depends(get_shopper)]
Shopper = Annotated[CurrentSession, Depends(require_shopper)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
StaffOnlyDep = Depends(require_staff)
