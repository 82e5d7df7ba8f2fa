"""Opening a mini program for a host user: authorize at the platform, keep the run ticket,
launch.

::

    tap ──▶ live run ticket? ──yes──────────────────────────────▶ launch ──▶ container
              │ no: refresh token? ──refreshed (no browser trip)───▶ ▲
              ▼                                                     │
        start_authorization ──▶ platform consent ──▶ callback ──▶ finish_authorization
        (pending row: state,                          (pending row taken once,
         sealed nonce + verifier)                      code exchanged, ticket stored)

A pending authorization is single use and lives ``authorization_minutes``: the callback
deletes it before exchanging, so a replayed callback URL finds nothing. It belongs to the
host user who started it; a callback arriving in another user's browser session is refused,
which stops an attacker from completing their own authorization in a victim's session.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from miniport.common.clock import as_utc
from miniport.common.tokens import digest
from miniport.host.container.models import PendingAuthorization, RunTicket
from miniport.host.container.sealing import Sealer, SealError
from miniport.host.platform_api import PlatformClient
from miniport.sdk.models import AuthorizationStart, Launch, TokenSet

MAX_STATE_LENGTH = 512
MAX_APPID = 64
MAX_PATH = 512
# The platform launches with at most 1024 characters of query, the path's own and the
# link's joined by "&": these two limits keep a link within that.
MAX_QUERY = 512
# What the platform takes in a launch's query (the mini-program API's rule); anything else
# arrives percent-encoded.
QUERY_CHARACTERS = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*")
# A ticket this close to expiry is not worth a launch that may fail half-way.
TICKET_MARGIN = dt.timedelta(seconds=30)


class ContainerError(Exception):
    """Opening a mini program cannot continue; ``code`` picks the message shown."""

    code = "container_error"


class AuthorizationNotFound(ContainerError):
    """Unknown, expired or already used state: the callback cannot be matched."""

    code = "authorization_not_found"


class AuthorizationOfOtherUser(ContainerError):
    code = "authorization_other_user"


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """What a mini-program entry asks to open; a link asking more than ``MAX_APPID``,
    ``MAX_PATH`` or ``MAX_QUERY`` characters, or a query (the path's own or the link's)
    the platform would not launch with (``QUERY_CHARACTERS``), is refused."""

    appid: str
    path: str
    query: str
    return_to: str


@dataclass(frozen=True, slots=True)
class Pending:
    state: str
    nonce: str
    code_verifier: str
    request: OpenRequest


def _context(kind: str, user_id: int, appid: str) -> str:
    return f"{kind}:{user_id}:{appid}"


def start_authorization(
    session: Session,
    client: PlatformClient,
    sealer: Sealer,
    *,
    user_id: int,
    request: OpenRequest,
    redirect_uri: str,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> str:
    """Record a pending authorization (flushed); returns the platform URL to send the user to."""
    session.execute(delete(PendingAuthorization).where(PendingAuthorization.expires_at <= now))
    start = client.new_authorization(
        redirect_uri=redirect_uri, appid=request.appid, path=request.path
    )
    session.add(
        PendingAuthorization(
            # Only the digest: reading the table gives nobody a state to complete a flow with.
            state_digest=digest(start.state),
            user_id=user_id,
            appid=request.appid,
            path=request.path,
            query=request.query,
            return_to=request.return_to,
            sealed_nonce=sealer.seal(
                start.nonce, context=_context("nonce", user_id, request.appid)
            ),
            sealed_verifier=sealer.seal(
                start.code_verifier, context=_context("verifier", user_id, request.appid)
            ),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return start.url


def take_pending(
    session: Session, sealer: Sealer, *, state: str | None, user_id: int, now: dt.datetime
) -> Pending:
    """The pending authorization ``state`` names, removed so it can never be used again."""
    if not state or len(state) > MAX_STATE_LENGTH:
        raise AuthorizationNotFound("no state")
    row = session.get(PendingAuthorization, digest(state))
    if row is None:
        raise AuthorizationNotFound("unknown or used state")
    session.delete(row)
    session.flush()
    if as_utc(row.expires_at) <= now:
        raise AuthorizationNotFound("the authorization expired")
    if row.user_id != user_id:
        raise AuthorizationOfOtherUser("started by another host user")
    try:
        nonce = sealer.open(row.sealed_nonce, context=_context("nonce", user_id, row.appid))
        verifier = sealer.open(
            row.sealed_verifier, context=_context("verifier", user_id, row.appid)
        )
    except SealError as error:
        raise AuthorizationNotFound("the stored authorization cannot be opened") from error
    return Pending(
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        request=OpenRequest(
            appid=row.appid, path=row.path, query=row.query, return_to=row.return_to
        ),
    )


def finish_authorization(
    session: Session,
    client: PlatformClient,
    sealer: Sealer,
    *,
    pending: Pending,
    user_id: int,
    params: Mapping[str, str],
    redirect_uri: str,
    now: dt.datetime,
) -> None:
    """Handle the platform's redirect back and keep the run ticket (flushed).

    The SDK checks ``state`` and ``iss`` (RFC 9207 mix-up), raises the ``OAuthError`` of an
    ``error`` answer (``AccessDenied`` when the user declined or the port shut meanwhile),
    exchanges the code with the PKCE verifier and verifies the ID token's nonce, which binds
    the tokens to the authorization this browser started.
    """
    request = pending.request
    start = AuthorizationStart(
        url="",
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
        redirect_uri=redirect_uri,
        appid=request.appid,
        path=request.path,
    )
    tokens = client.complete_authorization(start, params).tokens
    store_tokens(session, sealer, user_id=user_id, appid=request.appid, tokens=tokens, now=now)


def store_tokens(
    session: Session,
    sealer: Sealer,
    *,
    user_id: int,
    appid: str,
    tokens: TokenSet,
    now: dt.datetime,
) -> None:
    """Keep (or replace) the user's run ticket for ``appid``, sealed (flushed)."""
    session.execute(delete(RunTicket).where(RunTicket.user_id == user_id, RunTicket.appid == appid))
    session.add(
        RunTicket(
            user_id=user_id,
            appid=appid,
            sealed_access_token=sealer.seal(
                tokens.access_token, context=_context("access", user_id, appid)
            ),
            sealed_refresh_token=(
                sealer.seal(tokens.refresh_token, context=_context("refresh", user_id, appid))
                if tokens.refresh_token
                else None
            ),
            expires_at=as_utc(tokens.expires_at),
            created_at=now,
        )
    )
    session.flush()


def stored_refresh_token(
    session: Session, sealer: Sealer, *, user_id: int, appid: str
) -> str | None:
    """The refresh token kept with the user's (possibly expired) run ticket for ``appid``."""
    row = session.scalar(
        select(RunTicket).where(RunTicket.user_id == user_id, RunTicket.appid == appid)
    )
    if row is None or row.sealed_refresh_token is None:
        return None
    try:
        return sealer.open(row.sealed_refresh_token, context=_context("refresh", user_id, appid))
    except SealError:
        return None


def live_ticket(
    session: Session, sealer: Sealer, *, user_id: int, appid: str, now: dt.datetime
) -> str | None:
    """The user's run ticket for ``appid`` if one is stored and not about to expire."""
    row = session.scalar(
        select(RunTicket).where(RunTicket.user_id == user_id, RunTicket.appid == appid)
    )
    if row is None or as_utc(row.expires_at) - TICKET_MARGIN <= now:
        return None
    try:
        return sealer.open(row.sealed_access_token, context=_context("access", user_id, appid))
    except SealError:
        return None


def forget_ticket(session: Session, *, user_id: int, appid: str) -> None:
    """Drop a ticket the platform no longer honours, so the next tap authorizes afresh."""
    session.execute(delete(RunTicket).where(RunTicket.user_id == user_id, RunTicket.appid == appid))


def launch(client: PlatformClient, *, ticket: str, request: OpenRequest, user_key: str) -> Launch:
    """Ask the platform for a launch URL; raises the SDK's ``PortClosed`` / ``ApiError``."""
    return client.launch(
        run_ticket=ticket,
        appid=request.appid,
        path=request.path,
        query=request.query,
        user_key=user_key,
    )
