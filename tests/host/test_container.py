"""Server-side state of opening a mini program: single-use authorizations, sealed secrets,
same-site return URLs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.host.accounts import find_user
from miniport.host.container import (
    AuthorizationNotFound,
    AuthorizationOfOtherUser,
    OpenRequest,
    Sealer,
    SealError,
    live_ticket,
    safe_return,
    start_authorization,
    take_pending,
)
from miniport.host.container.models import PendingAuthorization, RunTicket
from miniport.sdk.models import AuthorizationStart
from tests.host.conftest import GUCCI_APPID

SEALER = Sealer(b"t" * 48)
REQUEST = OpenRequest(appid=GUCCI_APPID, path="/pages/index", query="", return_to="/search?q=x")
LIFETIME = dt.timedelta(minutes=10)


@dataclass
class StartOnly:
    """Only ``new_authorization`` is needed to start; it makes no network call."""

    def new_authorization(
        self,
        *,
        redirect_uri: str,
        appid: str,
        path: str = "/pages/index",
        scope: str = "",
        prompt: str | None = None,
        login_hint: str | None = None,
    ) -> AuthorizationStart:
        return AuthorizationStart(
            url="http://platform.test/authorize?x=1",
            state="state-123",
            nonce="nonce-456",
            code_verifier="verifier-789",
            redirect_uri=redirect_uri,
            appid=appid,
            path=path,
        )


def start(session: Session, user_id: int, now: dt.datetime) -> str:
    return start_authorization(
        session,
        StartOnly(),  # type: ignore[arg-type]  # starting calls new_authorization only
        SEALER,
        user_id=user_id,
        request=REQUEST,
        redirect_uri="http://host.test/auth/callback",
        now=now,
        lifetime=LIFETIME,
    )


def users(session: Session) -> tuple[int, int]:
    lin, momo = find_user(session, "lin"), find_user(session, "momo")
    assert lin is not None and momo is not None
    return lin.id, momo.id


def test_a_pending_authorization_is_taken_once(seeded: sessionmaker[Session]) -> None:
    now = utcnow()
    with seeded() as session, session.begin():
        lin, _ = users(session)
        assert start(session, lin, now) == "http://platform.test/authorize?x=1"

    with seeded() as session, session.begin():
        pending = take_pending(session, SEALER, state="state-123", user_id=lin, now=now)
    with seeded() as session, session.begin(), pytest.raises(AuthorizationNotFound):
        take_pending(session, SEALER, state="state-123", user_id=lin, now=now)

    assert (pending.nonce, pending.code_verifier, pending.request) == (
        "nonce-456",
        "verifier-789",
        REQUEST,
    )


def test_secrets_are_stored_sealed_and_the_state_only_as_a_digest(
    seeded: sessionmaker[Session],
) -> None:
    with seeded() as session, session.begin():
        lin, _ = users(session)
        start(session, lin, utcnow())
    with seeded() as session:
        row = session.query(PendingAuthorization).one()
        stored = " ".join(str(value) for value in row.__dict__.values())

    for secret in ("state-123", "nonce-456", "verifier-789"):
        assert secret not in stored


def test_an_expired_authorization_cannot_finish(seeded: sessionmaker[Session]) -> None:
    now = utcnow()
    with seeded() as session, session.begin():
        lin, _ = users(session)
        start(session, lin, now)
    with seeded() as session, session.begin(), pytest.raises(AuthorizationNotFound):
        take_pending(session, SEALER, state="state-123", user_id=lin, now=now + LIFETIME)


def test_another_users_callback_is_refused(seeded: sessionmaker[Session]) -> None:
    now = utcnow()
    with seeded() as session, session.begin():
        lin, momo = users(session)
        start(session, lin, now)
    with seeded() as session, session.begin(), pytest.raises(AuthorizationOfOtherUser):
        take_pending(session, SEALER, state="state-123", user_id=momo, now=now)


def test_a_ticket_sealed_for_one_user_does_not_open_for_another(
    seeded: sessionmaker[Session],
) -> None:
    now = utcnow()
    with seeded() as session, session.begin():
        lin, momo = users(session)
        sealed = SEALER.seal("run-ticket", context=f"access:{lin}:{GUCCI_APPID}")
        for user_id in (lin, momo):
            session.add(
                RunTicket(
                    user_id=user_id,
                    appid=GUCCI_APPID,
                    sealed_access_token=sealed,
                    expires_at=now + dt.timedelta(hours=1),
                    created_at=now,
                )
            )
    with seeded() as session:
        assert live_ticket(session, SEALER, user_id=lin, appid=GUCCI_APPID, now=now) == "run-ticket"
        assert live_ticket(session, SEALER, user_id=momo, appid=GUCCI_APPID, now=now) is None
        # A ticket about to expire is not worth launching with.
        later = now + dt.timedelta(minutes=59, seconds=45)
        assert live_ticket(session, SEALER, user_id=lin, appid=GUCCI_APPID, now=later) is None


def test_sealing_needs_the_same_key_and_context() -> None:
    sealed = SEALER.seal("secret", context="a")

    assert SEALER.open(sealed, context="a") == "secret"
    with pytest.raises(SealError):
        SEALER.open(sealed, context="b")
    with pytest.raises(SealError):
        Sealer(b"u" * 48).open(sealed, context="a")
    with pytest.raises(SealError):
        SEALER.open(sealed[:-4] + "AAAA", context="a")


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/search?q=Gucci", "/search?q=Gucci"),
        ("/brands/gucci", "/brands/gucci"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\tevil", "/"),
        ("search", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_return_urls_stay_on_this_site(candidate: str | None, expected: str) -> None:
    assert safe_return(candidate) == expected
