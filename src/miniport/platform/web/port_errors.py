"""Maps the port error family to governance-API JSON, once.

``{"error": <code>, "error_description": <message>}`` with the code the domain class carries:

=====================  ======  ==========================================================
error                  status  when
=====================  ======  ==========================================================
``port_not_found``     404     no such port (or mini program, or host) for this caller
``not_allowed``        403     this kind of party may not make that move
``illegal_transition`` 409     the port's state does not allow the move
``stale_version``      409     ``expected_version`` is not the port's current version
``invalid_staging``    400     a staging value out of range
``invalid_request``    400     malformed input to the ports API (413 when too large)
``port_error``         400     any other refusal (a reason missing or too long)
=====================  ======  ==========================================================
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.responses import Response

from miniport.platform.ports.check import BodyTooLarge
from miniport.platform.ports.states import (
    IllegalTransition,
    NotAllowed,
    PortError,
    PortNotFound,
    StaleVersion,
)
from miniport.platform.web.errors import NO_STORE

STATUS: tuple[tuple[type[PortError], int], ...] = (
    (BodyTooLarge, 413),
    (PortNotFound, 404),
    (NotAllowed, 403),
    (IllegalTransition, 409),
    (StaleVersion, 409),
)


def status_of(error: PortError) -> int:
    return next((status for cls, status in STATUS if isinstance(error, cls)), 400)


def port_error_response(error: PortError) -> Response:
    return Response(
        json.dumps({"error": error.code, "error_description": str(error)}, ensure_ascii=False),
        status_code=status_of(error),
        media_type="application/json",
        headers=NO_STORE,
    )


async def _port_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PortError)
    return port_error_response(exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PortError, _port_error)
