"""A write unit for group-commit tests: one access token, through the domain function."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.oauth import token_store


def issue_token(client_id: str) -> Callable[[Session], str]:
    def unit(session: Session) -> str:
        return token_store.issue(
            session,
            kind=token_store.ACCESS,
            family="f",
            client_id=client_id,
            user_id=None,
            scope="ports",
            authorization_details=(),
            auth_time=None,
            now=utcnow(),
        )

    return unit
