"""Maps each error family to its response format, once.

- ``OAuthError`` raised by a JSON endpoint → RFC 6749 §5.2 JSON, ``Cache-Control: no-store``,
  and a ``WWW-Authenticate`` challenge on 401.
- FastAPI's request validation errors → the endpoint family's format, never a bare 422 dump.
- Anything unexpected → a logged 500 in the right format, without internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from miniport.common.openapi import allow_header
from miniport.platform.oauth.errors import InvalidClient, InvalidToken, OAuthError

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error_response(error: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if isinstance(error, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="miniport", charset="UTF-8"'
    elif error.status_code in (401, 403):
        # RFC 6750 §3: resource endpoints answer with a Bearer challenge.
        challenge = f'Bearer realm="miniport", error="{error.error}"'
        headers["WWW-Authenticate"] = challenge
    elif isinstance(error, InvalidToken):
        headers["WWW-Authenticate"] = 'Bearer realm="miniport", error="invalid_token"'
    return JSONResponse(error.as_dict(), status_code=error.status_code, headers=headers)


async def _oauth_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    return oauth_error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = ", ".join(".".join(str(p) for p in err.get("loc", ())) for err in exc.errors())
    return JSONResponse(
        {"error": "invalid_request", "error_description": f"invalid parameters: {fields}"},
        status_code=400,
        headers=NO_STORE,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = getattr(exc, "headers", None) or {}
    if exc.status_code == 405:
        headers = {**headers, "Allow": allow_header(request.app.routes, request.scope)}
    return JSONResponse(
        {
            "error": "invalid_request" if exc.status_code < 500 else "server_error",
            "error_description": str(exc.detail),
        },
        status_code=exc.status_code,
        # Like every other error of the JSON APIs: a body FastAPI could not parse (not UTF-8,
        # nested too deeply) must not be cached any more than a validation error.
        headers={**NO_STORE, **headers},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(OAuthError, _oauth_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
