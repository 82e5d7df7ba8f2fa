"""Finding and authenticating registered host apps and mini programs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniport.common.tokens import same_secret
from miniport.platform.registry.models import Brand, HostApp, MiniProgram


def find_host_app(session: Session, client_id: str) -> HostApp | None:
    return session.get(HostApp, client_id)


def find_mini_program(session: Session, appid: str) -> MiniProgram | None:
    return session.get(MiniProgram, appid)


def find_brand(session: Session, brand_id: int) -> Brand | None:
    return session.get(Brand, brand_id)


def authenticate_host_app(session: Session, client_id: str, secret: str) -> HostApp | None:
    host = find_host_app(session, client_id)
    # Compare even for an unknown client so timing does not tell which client ids exist.
    stored = host.secret_digest if host else "0" * 64
    if not same_secret(secret, stored) or host is None:
        return None
    return host


def authenticate_mini_program(session: Session, appid: str, secret: str) -> MiniProgram | None:
    mini_program = find_mini_program(session, appid)
    stored = mini_program.secret_digest if mini_program else "0" * 64
    if not same_secret(secret, stored) or mini_program is None:
        return None
    return mini_program
