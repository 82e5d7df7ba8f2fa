"""Remembered run consents: one grant per (user, host app), revocable by the user.

::

    (none) --remember_grant--> active --revoke_grant--> revoked
                                 ^                         |
                                 +-----remember_grant------+   (fresh granted_at)

While a grant is active the host app may run mini programs for the user without asking
again. Revoking it also revokes, at once, every access token (run ticket) and refresh token
the user's authorizations gave that host, so nothing already handed out outlives the
user's decision, and the next authorization shows the consent screen again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniport.platform.audit.chain import append as audit_append
from miniport.platform.consent.models import ConsentGrant, ConsentGrantApp
from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.oauth.models import AuthorizationCode, IssuedToken
from miniport.platform.registry.models import HostApp, MiniProgram
from miniport.platform.webhooks.outbox import enqueue_grant_revoked

# Called after a revocation is committed (say, to drop an in-memory token cache). Run only
# once the commit is done: clearing a cache earlier would let a concurrent request cache
# the still-valid rows again.
on_tokens_revoked: list[Callable[[], None]] = []


@dataclass(frozen=True)
class GrantedApp:
    appid: str
    name_zh: str
    name_en: str
    icon_url: str
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class GrantView:
    client_id: str
    host_name_zh: str
    host_name_en: str
    host_logo_url: str
    granted_at: datetime
    apps: tuple[GrantedApp, ...]


def _find(session: Session, *, user_id: int, client_id: str) -> ConsentGrant | None:
    return session.scalar(
        select(ConsentGrant).where(
            ConsentGrant.user_id == user_id, ConsentGrant.client_id == client_id
        )
    )


def remember_grant(
    session: Session, *, user_id: int, client_id: str, appids: Sequence[str], now: datetime
) -> None:
    """Record that the user allowed ``client_id`` to run ``appids`` (flushed, not committed)."""
    grant = _find(session, user_id=user_id, client_id=client_id)
    if grant is None:
        try:
            with session.begin_nested():
                grant = ConsentGrant(user_id=user_id, client_id=client_id, granted_at=now)
                session.add(grant)
        except IntegrityError:
            # The same user allowed the same host in another tab a moment ago.
            grant = _find(session, user_id=user_id, client_id=client_id)
            if grant is None:
                raise
    if grant.revoked_at is not None:
        grant.revoked_at = None
        grant.granted_at = now
    session.flush()
    for appid in dict.fromkeys(appids):
        touched = session.execute(
            update(ConsentGrantApp)
            .where(ConsentGrantApp.grant_id == grant.id, ConsentGrantApp.appid == appid)
            .values(last_at=now)
            .execution_options(synchronize_session=False)
        )
        if touched.rowcount:  # type: ignore[attr-defined]
            continue
        try:
            with session.begin_nested():
                session.add(
                    ConsentGrantApp(grant_id=grant.id, appid=appid, first_at=now, last_at=now)
                )
        except IntegrityError:
            session.execute(
                update(ConsentGrantApp)
                .where(ConsentGrantApp.grant_id == grant.id, ConsentGrantApp.appid == appid)
                .values(last_at=now)
                .execution_options(synchronize_session=False)
            )


def has_active_grant(session: Session, *, user_id: int, client_id: str) -> bool:
    return (
        session.scalar(
            select(ConsentGrant.id).where(
                ConsentGrant.user_id == user_id,
                ConsentGrant.client_id == client_id,
                ConsentGrant.revoked_at.is_(None),
            )
        )
        is not None
    )


def list_grants(session: Session, *, user_id: int) -> list[GrantView]:
    """The user's active grants, most recently granted first, with their mini programs."""
    grants = session.execute(
        select(ConsentGrant, HostApp)
        .join(HostApp, HostApp.client_id == ConsentGrant.client_id)
        .where(ConsentGrant.user_id == user_id, ConsentGrant.revoked_at.is_(None))
        .order_by(ConsentGrant.granted_at.desc(), ConsentGrant.id.desc())
    ).all()
    if not grants:
        return []
    apps_by_grant: dict[int, list[GrantedApp]] = {}
    app_rows = session.execute(
        select(ConsentGrantApp, MiniProgram)
        .join(MiniProgram, MiniProgram.appid == ConsentGrantApp.appid)
        .where(ConsentGrantApp.grant_id.in_([grant.id for grant, _ in grants]))
        .order_by(ConsentGrantApp.last_at.desc(), ConsentGrantApp.id)
    ).all()
    for granted, mini_program in app_rows:
        apps_by_grant.setdefault(granted.grant_id, []).append(
            GrantedApp(
                appid=mini_program.appid,
                name_zh=mini_program.name_zh,
                name_en=mini_program.name_en,
                icon_url=mini_program.icon_url,
                first_at=granted.first_at,
                last_at=granted.last_at,
            )
        )
    return [
        GrantView(
            client_id=host.client_id,
            host_name_zh=host.name_zh,
            host_name_en=host.name_en,
            host_logo_url=host.logo_url,
            granted_at=grant.granted_at,
            apps=tuple(apps_by_grant.get(grant.id, ())),
        )
        for grant, host in grants
    ]


def revoke_grant(
    session: Session,
    *,
    user_id: int,
    client_id: str,
    now: datetime,
    identifiers: IdentifierDeriver | None = None,
) -> int:
    """Withdraw the user's consent for ``client_id``; returns how many tokens were revoked.

    Tokens are revoked even when no active grant is found, so a revocation can never leave
    live credentials behind. Unused authorization codes are spent as well: otherwise a code
    issued a moment before the revocation could still be exchanged for fresh tokens.

    Given ``identifiers``, an active grant's revocation also queues ``grant.revoked`` for the
    host and the brands of the grant's mini programs, in this same transaction.
    """
    grant = _find(session, user_id=user_id, client_id=client_id)
    if grant is not None and grant.revoked_at is None:
        grant.revoked_at = now
        audit_append(
            session,
            actor_kind="user",
            actor_id=str(user_id),
            action="grant.revoked",
            target_kind="grant",
            target_id=str(grant.id),
            before={"client_id": client_id, "revoked": False},
            after={"client_id": client_id, "revoked": True},
            reason_category="user",
            at=now,
        )
        if identifiers is not None:
            appids = session.scalars(
                select(ConsentGrantApp.appid)
                .where(ConsentGrantApp.grant_id == grant.id)
                .order_by(ConsentGrantApp.appid)
            ).all()
            enqueue_grant_revoked(
                session,
                identifiers=identifiers,
                user_id=user_id,
                client_id=client_id,
                appids=list(appids),
                now=now,
            )
        # The mini-program list describes what the user allowed under this grant; a later
        # grant starts its own list rather than inheriting one the user withdrew.
        session.execute(delete(ConsentGrantApp).where(ConsentGrantApp.grant_id == grant.id))
    revoked = session.execute(
        update(IssuedToken)
        .where(
            IssuedToken.user_id == user_id,
            IssuedToken.client_id == client_id,
            IssuedToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.user_id == user_id,
            AuthorizationCode.client_id == client_id,
            AuthorizationCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    event.listen(session, "after_commit", _notify_revoked, once=True)
    count: int = revoked.rowcount  # type: ignore[attr-defined]
    return count


def _notify_revoked(_session: Session) -> None:
    for hook in list(on_tokens_revoked):
        hook()
