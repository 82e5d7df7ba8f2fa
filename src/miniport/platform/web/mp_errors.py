"""Maps the mini-program API's error family to ``{"errcode", "errmsg"}`` JSON, once.

Always HTTP 200, as the API family answers (see ``miniprogram_api.errors``): its SDKs read
the errcode from the body and would report any non-2xx status as a network failure.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from miniport.platform.miniprogram_api.errors import MiniProgramApiError

# Credentials and codes pass through these answers: never cache them anywhere.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def mp_json(body: dict[str, Any]) -> Response:
    return Response(_encode(body), media_type="application/json", headers=NO_STORE)


def mp_error_bytes(error: MiniProgramApiError) -> bytes:
    """The body of a refusal; the lean path of ``launch`` and ``jscode2session`` sends it as
    is (with status 200), everything else through the handler below."""
    return _encode(error.as_dict())


async def _mp_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MiniProgramApiError)
    return Response(mp_error_bytes(exc), media_type="application/json", headers=NO_STORE)


def install(app: FastAPI) -> None:
    app.add_exception_handler(MiniProgramApiError, _mp_error)
