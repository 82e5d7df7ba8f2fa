"""``POST /webhooks/platform``: the platform's signed events (Standard Webhooks).

A port opened or closed, a host suspended or resumed, a grant revoked: the check cache is
cleared at once, so the next page asks the platform afresh and a reload right after a close
shows the plain card. Each ``webhook-id`` acts once; redeliveries are acknowledged and
ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from miniport.common.clock import utcnow
from miniport.common.openapi import json_response
from miniport.host.mini_program_cards.webhooks import changes_cards, record_event
from miniport.host.runtime import HostRuntime
from miniport.host.settings import WEBHOOK_PATH
from miniport.sdk import verify_webhook
from miniport.sdk.errors import WebhookVerificationError

log = logging.getLogger(__name__)
router = APIRouter()

MAX_BODY_BYTES = 256 * 1024


def _answer(status_code: int, **body: object) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})


def _record(runtime: HostRuntime, webhook_id: str, event_type: str) -> bool:
    with runtime.sessions() as session:
        fresh = record_event(session, webhook_id=webhook_id, event_type=event_type, now=utcnow())
        session.commit()
    return fresh


def _error(description: str) -> dict[str, Any]:
    return json_response(
        description,
        {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
    )


# The one JSON endpoint of the host, in its ``/openapi.json``: what a platform (or anyone)
# may send and every answer it can get.
OPENAPI: dict[str, Any] = {
    "parameters": [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["type", "timestamp", "data"],
                    "properties": {
                        "type": {"type": "string"},
                        "timestamp": {"type": "string", "format": "date-time"},
                        "data": {"type": "object"},
                    },
                }
            }
        },
    },
    "responses": {
        "200": json_response(
            "Received (`duplicate`: this webhook-id had been received before)",
            {
                "type": "object",
                "required": ["received", "duplicate"],
                "properties": {
                    "received": {"type": "boolean"},
                    "duplicate": {"type": "boolean"},
                },
            },
        ),
        "401": _error("Not signed by the platform, tampered with, or too old"),
        "404": _error("This host has no webhook secret configured"),
        "413": _error(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB"),
    },
}


@router.post(
    WEBHOOK_PATH,
    include_in_schema=True,
    summary="The platform's signed events (Standard Webhooks)",
    tags=["Webhooks"],
    openapi_extra=OPENAPI,
)
async def platform_webhook(request: Request) -> JSONResponse:
    runtime: HostRuntime = request.app.state.runtime
    secret = runtime.settings.webhook_secret
    if secret is None:
        return _answer(404, error="webhooks_not_configured")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _answer(413, error="too_large")
    try:
        event = verify_webhook(secret.get_secret_value(), body, dict(request.headers))
    except WebhookVerificationError as error:
        # Not from the platform, tampered with, or an old delivery replayed: change nothing.
        log.warning("refused a webhook: %s", error)
        return _answer(401, error="invalid_signature")
    fresh = await run_in_threadpool(_record, runtime, event.id, event.type)
    if fresh and changes_cards(event.type):
        # Cleared after the event is recorded, so other workers' epoch check agrees.
        runtime.cards.cache.clear()
    return _answer(200, received=True, duplicate=not fresh)
