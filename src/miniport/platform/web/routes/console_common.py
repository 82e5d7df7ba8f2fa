"""What every console page shares: the signed-in staff member, CSRF, rendering, refusals.

Console pages are for platform staff and partner staff (``StaffMembership``). A visitor
who is not signed in is sent to sign in and back; a signed-in user without any membership
gets 403. Each POST checks the CSRF token before reading anything else. Domain refusals
(``PortError``, ``RegistryError``, ``ConsoleError``) become a console error page with the
status a forged request should get: 404 for what is not yours, 403 for a move your party
may not make, 409 for a stale or illegal one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from miniport.common.csrf import CSRF_FIELD, verify_csrf
from miniport.common.forms import FormData
from miniport.common.i18n import N_
from miniport.platform.console.staff import (
    ConsoleError,
    Forbidden,
    Invalid,
    NotFound,
    Staff,
    load_staff,
)
from miniport.platform.ports.states import (
    IllegalTransition,
    NotAllowed,
    PortError,
    PortNotFound,
    StaleVersion,
)
from miniport.platform.registry.errors import ConfusableName, RegistryError
from miniport.platform.registry.models import Brand, HostApp
from miniport.platform.web.deps import OptionalSignIn, ReadDbSession
from miniport.platform.web.forms import read_form
from miniport.platform.web.templating import render

HtmlForm = Annotated[FormData, Depends(read_form)]
MAX_TOKEN_INPUT = 128
MAX_TEXT = 500


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Conflict(ConsoleError):
    status_code = 409


@dataclass(frozen=True, slots=True)
class Nav:
    """The sidebar: which consoles this person may open, with the partners' names."""

    brands: list[Brand]
    hosts: list[HostApp]


def get_staff(request: Request, signin: OptionalSignIn, db: ReadDbSession) -> Staff:
    if signin is None:
        raise SignInRequired(request.url.path)
    staff = load_staff(db, signin)
    if not staff.any_role:
        raise Forbidden(N_("Your account has no access to the consoles."))
    request.state.console_nav = Nav(
        brands=list(db.scalars(select(Brand).where(Brand.id.in_(staff.brand_ids)))),
        hosts=list(db.scalars(select(HostApp).where(HostApp.client_id.in_(staff.host_ids)))),
    )
    return staff


StaffDep = Annotated[Staff, Depends(get_staff)]


def check_csrf(request: Request, form: FormData) -> None:
    key: bytes = request.app.state.runtime.cookie_key
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), key)


def page(
    request: Request, name: str, staff: Staff, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    nav = getattr(request.state, "console_nav", Nav([], []))
    values = {"staff": staff, "nav": nav, "notice": request.query_params.get("done", "")}
    return render(request, f"console/{name}", values | context, status_code=status_code)


def see_other(path: str, done: str = "") -> RedirectResponse:
    return RedirectResponse(path + (("?" + urlencode({"done": done})) if done else ""), 303)


# PortError messages are English developer text; people see one of these instead.
_PORT_REFUSALS: tuple[tuple[type[PortError], type[ConsoleError], str], ...] = (
    (PortNotFound, NotFound, N_("There is no such port.")),
    (NotAllowed, Forbidden, N_("Your role may not make this change to the port.")),
    (
        StaleVersion,
        Conflict,
        N_("The port changed since you opened this page. Reload it and try again."),
    ),
    (IllegalTransition, Conflict, N_("The port's current state does not allow this.")),
)


_WEB_URL = N_(
    "The webhook URL must be a complete http:// or https:// address, without spaces or a #fragment."
)
# Registry refusals are English developer text too; the field they name picks the sentence.
_REGISTRY_FIELDS: dict[str | None, str] = {
    "webhook URL": _WEB_URL,
    "entry URL": N_(
        "The entry URL must be a complete http:// or https:// address, without spaces or a "
        "#fragment."
    ),
    "icon URL": N_(
        "The icon must be empty, a complete http:// or https:// address, or a path on the "
        "platform starting with /."
    ),
    "redirect URI": N_(
        "Each redirect URI must be a complete https:// address (http:// only for 127.0.0.1, "
        "[::1] or localhost), without a user name, password or #fragment; one to ten of them."
    ),
    "allowed_paths": N_(
        "Each allowed page path starts with a single /, has no .. or \\, no query or "
        "#fragment, and at most 256 characters; give at least one (for example /pages/index)."
    ),
    "name_zh": N_("Names must not be empty or contain control characters (at most 128)."),
    "name_en": N_("Names must not be empty or contain control characters (at most 128)."),
}
_REGISTRY_FIELDS["redirect_uris"] = _REGISTRY_FIELDS["redirect URI"]


# A name that looks like another entry's; the message names that entry.
_CONFUSABLE: dict[str, str] = {
    "mini program": N_(
        "This name can be mistaken for the mini program “%(name)s” (%(id)s). "
        "Choose a name that looks different."
    ),
    "brand": N_(
        "This name can be mistaken for the brand “%(name)s” (%(id)s). "
        "Choose a name that looks different."
    ),
    "host app": N_(
        "This name can be mistaken for the host app “%(name)s” (%(id)s). "
        "Choose a name that looks different."
    ),
}


@dataclass(frozen=True, slots=True)
class FieldError:
    """A refusal shown beside the form field it is about: a msgid and its variables."""

    message: str
    variables: dict[str, str]


def registry_refusal(error: RegistryError) -> FieldError:
    """The sentence, in the reader's language, for a value the registry refused."""
    if isinstance(error, ConfusableName):
        return FieldError(
            _CONFUSABLE[error.kind], {"name": error.existing_name, "id": error.existing_id}
        )
    return FieldError(_REGISTRY_FIELDS.get(error.field, str(error)), {})


@contextmanager
def refusals() -> Iterator[None]:
    """Turn the domain's refusals into console errors (rolled back by the caller's session)."""
    try:
        yield
    except PortError as error:
        for domain_cls, console_cls, message in _PORT_REFUSALS:
            if isinstance(error, domain_cls):
                raise console_cls(message) from error
        raise Invalid(str(error)) from error
    except RegistryError as error:
        raise Invalid(_REGISTRY_FIELDS.get(error.field, str(error))) from error


def text_field(form: FormData, name: str, *, multiline: bool = False) -> str:
    return (
        form.optional(name, max_length=4000 if multiline else MAX_TEXT, multiline=multiline) or ""
    )


async def _console_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    return render(
        request,
        "console/error.html",
        {
            "message": exc.message,
            "status": exc.status_code,
            "staff": None,
            "nav": getattr(request.state, "console_nav", Nav([], [])),
            "notice": "",
        },
        status_code=exc.status_code,
    )


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse("/signin?" + urlencode({"next": exc.next_path}), 303)


def install_errors(app: FastAPI) -> None:
    app.add_exception_handler(ConsoleError, _console_refused)
    app.add_exception_handler(SignInRequired, _sign_in_first)
