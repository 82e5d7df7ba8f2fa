"""The host's side of OpenID Connect: the redirect back is checked before its code is used,
and ID tokens are verified against the platform's keys, which may rotate."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from miniport.platform.keys.keyring import rotate
from miniport.platform.ports.states import Actor
from miniport.platform.runtime import PlatformRuntime
from miniport.sdk import (
    AuthorizationResponseError,
    HostClient,
    IdTokenError,
    UnexpectedResponse,
    oidc,
)
from tests.factories import World, build_world
from tests.sdk.conftest import SignedIn, Tour, consent, sign_in
from tests.sdk.transports import FakeClock, Recording


def test_the_authorization_url_asks_for_a_run_with_pkce(host: HostClient, world: World) -> None:
    start = host.new_authorization(
        redirect_uri=world.redirect_uri, appid=world.appid, path="/pages/product?id=7"
    )
    query = {name: values[0] for name, values in parse_qs(urlsplit(start.url).query).items()}
    assert query["client_id"] == world.client_id
    assert query["scope"] == "openid miniprogram"
    assert (query["state"], query["nonce"]) == (start.state, start.nonce)
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == oidc.code_challenge(start.code_verifier)
    assert json.loads(query["authorization_details"]) == [
        {"type": "miniprogram_run", "appid": world.appid, "path": "/pages/product?id=7"}
    ]
    assert 43 <= len(start.code_verifier) <= 128
    again = host.new_authorization(redirect_uri=world.redirect_uri, appid=world.appid)
    assert {again.state, again.nonce, again.code_verifier}.isdisjoint(
        {start.state, start.nonce, start.code_verifier}
    )


# --- the redirect back ------------------------------------------------------------------------


@pytest.fixture
def wire() -> Recording:
    return Recording()


@pytest.fixture
def counted(platform_url: str, world: World, wire: Recording, tour: Tour) -> Iterator[Tour]:
    with HostClient(
        platform_url, client_id=world.client_id, client_secret=world.client_secret, transport=wire
    ) as host:
        tour.host = host
        yield tour


@pytest.mark.parametrize(
    "change",
    [
        {"state": "somebody-elses-state"},
        {"iss": "https://evil.example"},
        {"iss": None},
    ],
    ids=["foreign state", "another issuer (mix-up)", "iss missing"],
)
def test_a_redirect_back_that_does_not_match_is_refused_before_the_code_is_used(
    change: dict[str, str | None], counted: Tour, wire: Recording
) -> None:
    start, params = counted.code_and_callback()
    changed = {k: v for k, v in {**params, **change}.items() if v is not None}

    with pytest.raises(AuthorizationResponseError):
        counted.host.complete_authorization(start, changed)
    assert wire.count("/token") == 0

    # The code was never sent anywhere: with the genuine parameters it still works.
    assert counted.host.complete_authorization(start, params).subject


def test_exchange_code_checks_iss_and_state_when_given(counted: Tour) -> None:
    start, params = counted.code_and_callback()
    exchange = {
        "code": params["code"],
        "redirect_uri": start.redirect_uri,
        "code_verifier": start.code_verifier,
    }
    with pytest.raises(AuthorizationResponseError):
        counted.host.exchange_code(**exchange, returned_iss="https://evil.example")
    with pytest.raises(AuthorizationResponseError):
        counted.host.exchange_code(**exchange, expected_state=start.state, returned_state=None)
    tokens = counted.host.exchange_code(
        **exchange,
        expected_state=start.state,
        returned_state=params["state"],
        returned_iss=params["iss"],
    )
    assert tokens.appids == [counted.world.appid]


# --- ID tokens --------------------------------------------------------------------------------


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def _with_kid(token: str, kid: str) -> str:
    header, payload, signature = token.split(".")
    fields = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    fields["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
    return f"{encoded}.{payload}.{signature}"


def test_a_valid_id_token_verifies_with_nonce_and_at_hash(
    host: HostClient, signed_in: SignedIn
) -> None:
    tokens = signed_in.result.tokens
    claims = host.verify_id_token(
        tokens.id_token or "", nonce=signed_in.start.nonce, access_token=tokens.access_token
    )
    assert claims == signed_in.result.claims


@pytest.mark.parametrize(
    "how", ["wrong nonce", "another access token", "forged claims", "not a JWT"]
)
def test_an_id_token_that_fails_a_check_is_refused(
    how: str, host: HostClient, signed_in: SignedIn, platform_url: str, world: World
) -> None:
    tokens = signed_in.result.tokens
    id_token, nonce, access_token = (
        tokens.id_token or "",
        signed_in.start.nonce,
        tokens.access_token,
    )
    if how == "wrong nonce":
        nonce = "another-nonce"
    elif how == "another access token":
        access_token = sign_in(platform_url, host, world).run_ticket
    elif how == "forged claims":
        id_token = _tampered(id_token)
    else:
        id_token = "not.a.jwt"
    with pytest.raises(IdTokenError):
        host.verify_id_token(id_token, nonce=nonce, access_token=access_token)


def test_an_id_token_for_another_host_app_is_refused(jd: HostClient, signed_in: SignedIn) -> None:
    with pytest.raises(IdTokenError):
        jd.verify_id_token(signed_in.result.tokens.id_token or "", nonce=signed_in.start.nonce)


def test_an_expired_id_token_is_refused(
    platform_url: str, world: World, signed_in: SignedIn
) -> None:
    clock = FakeClock()
    with HostClient(
        platform_url, client_id=world.client_id, client_secret=world.client_secret, clock=clock
    ) as host:
        token, nonce = signed_in.result.tokens.id_token or "", signed_in.start.nonce
        assert host.verify_id_token(token, nonce=nonce)["sub"]
        clock.advance(dt.timedelta(minutes=15))  # ID tokens live 10 minutes
        with pytest.raises(IdTokenError):
            host.verify_id_token(token, nonce=nonce)


def test_keys_rotated_on_the_platform_are_fetched_once_when_a_new_kid_appears(
    platform_url: str, world: World, runtime: PlatformRuntime, wire: Recording
) -> None:
    with HostClient(
        platform_url, client_id=world.client_id, client_secret=world.client_secret, transport=wire
    ) as host:
        before = sign_in(platform_url, host, world)
        assert wire.count("/jwks.json") == 1
        with runtime.sessions() as session, session.begin():
            rotate(session, cipher=runtime.cipher, actor=Actor.system())

        after = sign_in(platform_url, host, world)
        assert wire.count("/jwks.json") == 2
        assert (
            oidc.unverified_header(after.result.tokens.id_token or "")["kid"]
            != (oidc.unverified_header(before.result.tokens.id_token or "")["kid"])
        )
        # A token signed with the previous key still verifies, from the cached set.
        host.verify_id_token(before.result.tokens.id_token or "", nonce=before.start.nonce)
        assert wire.count("/jwks.json") == 2

        # A kid the platform never had: one more fetch, then the token is refused.
        unknown = _with_kid(after.result.tokens.id_token or "", "rs256-nobody")
        with pytest.raises(IdTokenError):
            host.verify_id_token(unknown, nonce=after.start.nonce)
        assert wire.count("/jwks.json") == 3


def test_an_es256_host_verifies_its_id_tokens(platform_url: str, runtime: PlatformRuntime) -> None:
    world = build_world(runtime, host_alg="ES256")
    with HostClient(
        platform_url, client_id=world.client_id, client_secret=world.client_secret
    ) as host:
        signed_in = sign_in(platform_url, host, world)
    header = oidc.unverified_header(signed_in.result.tokens.id_token or "")
    assert header["alg"] == "ES256"
    assert signed_in.result.claims["aud"] == world.client_id


def test_a_discovery_document_naming_another_issuer_is_refused(platform_url: str) -> None:
    with HostClient(
        platform_url, client_id="hc", client_secret="s", issuer="https://platform.example"
    ) as host:
        with pytest.raises(UnexpectedResponse, match="issuer"):
            host.discovery()


def test_the_same_person_has_the_same_pairwise_subject_every_time(
    platform_url: str, host: HostClient, world: World, signed_in: SignedIn
) -> None:
    start = host.new_authorization(redirect_uri=world.redirect_uri, appid=world.appid)
    params = consent(platform_url, start, username=world.username)
    assert host.complete_authorization(start, params).subject == signed_in.result.subject
