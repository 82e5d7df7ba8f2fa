"""One test per security rule of the authorization server (issue: Platform, part 1)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from miniport.common.tokens import digest
from miniport.platform.oauth.models import AuthorizationCode, IssuedToken
from miniport.platform.registry.models import HostApp, MiniProgram
from miniport.platform.runtime import PlatformRuntime
from tests.factories import PASSWORD, World
from tests.support.html_forms import form_with
from tests.support.oidc import AuthorizeParams, Browser, query_of


def _code(browser: Browser, world: World, params: AuthorizeParams, **overrides: str | None) -> str:
    back = browser.authorize(params.query(**overrides), username=world.username, password=PASSWORD)
    location = back.headers["location"]
    assert location.startswith(world.redirect_uri), location
    return query_of(location)["code"]


def _exchange(
    platform_url: str, world: World, code: str, verifier: str | None, **extra: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": world.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    return httpx.post(
        f"{platform_url}/token", data=data, auth=(world.client_id, world.client_secret)
    )


def _error_redirect(browser: Browser, world: World, query: dict[str, str]) -> dict[str, str]:
    back = browser.authorize(query, username=world.username, password=PASSWORD)
    assert back.is_redirect, back.text[:500]
    location = back.headers["location"]
    assert location.startswith(world.redirect_uri)
    return query_of(location)


# --- PKCE ------------------------------------------------------------------------------


def test_authorization_without_pkce_is_refused(
    browser: Browser, world: World, params: AuthorizeParams, platform_url: str
) -> None:
    answer = _error_redirect(browser, world, params.query(code_challenge=None))
    assert answer["error"] == "invalid_request"
    assert "code_challenge" in answer["error_description"]
    assert answer["state"] == params.state and answer["iss"] == platform_url


def test_plain_pkce_is_refused(browser: Browser, world: World, params: AuthorizeParams) -> None:
    answer = _error_redirect(
        browser, world, params.query(code_challenge="a" * 43, code_challenge_method="plain")
    )
    assert answer["error"] == "invalid_request"
    assert "S256" in answer["error_description"]


def test_wrong_or_missing_verifier_gets_invalid_grant(
    browser: Browser, world: World, params: AuthorizeParams, platform_url: str
) -> None:
    code = _code(browser, world, params)
    wrong = _exchange(platform_url, world, code, "w" * 50)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = _code(
        browser, world, AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
    )
    missing = _exchange(platform_url, world, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"


# --- redirect URI -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "mangle",
    [
        lambda uri: uri + "/extra",
        lambda uri: uri + "?x=1",
        lambda uri: uri + "/",
        lambda uri: uri.replace("callback", "Callback"),
        lambda uri: uri.replace("127.0.0.1", "127.0.0.1.evil.example"),
    ],
    ids=["extra-path", "query", "trailing-slash", "case", "host"],
)
def test_redirect_uri_must_match_exactly(
    browser: Browser, world: World, params: AuthorizeParams, mangle: object
) -> None:
    assert callable(mangle)
    response = browser.client.get(
        "/authorize", params=params.query(redirect_uri=mangle(world.redirect_uri))
    )
    # An untrusted redirect URI gets an error page, never a redirect (no open redirector).
    assert response.status_code == 400
    assert not response.is_redirect
    assert "redirect_uri" in response.text


def test_unknown_client_gets_an_error_page(browser: Browser, params: AuthorizeParams) -> None:
    response = browser.client.get("/authorize", params=params.query(client_id="hc_nope"))
    assert response.status_code == 400 and not response.is_redirect


def test_token_request_with_a_different_redirect_uri_fails(
    browser: Browser, world: World, params: AuthorizeParams, platform_url: str
) -> None:
    code = _code(browser, world, params)
    response = _exchange(
        platform_url, world, code, params.verifier, redirect_uri=world.redirect_uri + "/"
    )
    assert response.json()["error"] == "invalid_grant"


# --- authorization codes ----------------------------------------------------------------


def test_code_replay_fails_and_revokes_what_the_code_issued(
    browser: Browser, world: World, params: AuthorizeParams, platform_url: str
) -> None:
    code = _code(browser, world, params)
    first = _exchange(platform_url, world, code, params.verifier)
    assert first.status_code == 200
    tokens = first.json()
    replay = _exchange(platform_url, world, code, params.verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    for value in (tokens["access_token"], tokens["refresh_token"]):
        body = httpx.post(
            f"{platform_url}/introspect",
            data={"token": value},
            auth=(world.client_id, world.client_secret),
        ).json()
        assert body == {"active": False}
    refreshed = httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(world.client_id, world.client_secret),
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_expired_code_is_refused(
    browser: Browser,
    world: World,
    params: AuthorizeParams,
    platform_url: str,
    runtime: PlatformRuntime,
) -> None:
    code = _code(browser, world, params)
    with runtime.sessions() as session, session.begin():
        row = session.get(AuthorizationCode, digest(code))
        assert row is not None
        # Codes live 60 s; move this one's expiry into the past.
        assert (row.expires_at - row.created_at) == dt.timedelta(seconds=60)
        row.expires_at = row.created_at - dt.timedelta(seconds=1)
    response = _exchange(platform_url, world, code, params.verifier)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "the authorization code has expired",
    }


def test_code_is_bound_to_its_client(
    browser: Browser, world: World, params: AuthorizeParams, platform_url: str
) -> None:
    code = _code(browser, world, params)
    response = httpx.post(
        f"{platform_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": world.redirect_uri,
            "code_verifier": params.verifier,
        },
        auth=(world.other_client_id, world.other_client_secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    # ...and the rightful client can still use it.
    assert _exchange(platform_url, world, code, params.verifier).status_code == 200


def test_codes_and_tokens_are_stored_only_as_digests(
    browser: Browser,
    world: World,
    params: AuthorizeParams,
    platform_url: str,
    runtime: PlatformRuntime,
) -> None:
    code = _code(browser, world, params)
    tokens = _exchange(platform_url, world, code, params.verifier).json()
    with runtime.sessions() as session:
        stored_codes = list(session.scalars(select(AuthorizationCode.digest)))
        stored_tokens = list(session.scalars(select(IssuedToken.digest)))
        host_digests = list(session.scalars(select(HostApp.secret_digest)))
        app_digests = list(session.scalars(select(MiniProgram.secret_digest)))
    assert stored_codes == [digest(code)]
    assert set(stored_tokens) == {digest(tokens["access_token"]), digest(tokens["refresh_token"])}
    assert digest(world.client_secret) in host_digests
    assert digest(world.app_secret) in app_digests
    raw = (runtime.settings.data_dir / "platform.db").read_bytes()
    for secret in (code, tokens["access_token"], tokens["refresh_token"], world.client_secret):
        assert secret.encode() not in raw


# --- client authentication ----------------------------------------------------------------


def test_wrong_client_secret_is_invalid_client(
    browser: Browser, world: World, params: AuthorizeParams, platform_url: str
) -> None:
    code = _code(browser, world, params)
    basic = httpx.post(
        f"{platform_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": world.redirect_uri,
            "code_verifier": params.verifier,
        },
        auth=(world.client_id, world.client_secret + "x"),
    )
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"
    assert basic.headers["www-authenticate"].startswith("Basic")
    assert basic.headers["cache-control"] == "no-store"
    post = httpx.post(
        f"{platform_url}/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": "nope",
        },
    )
    assert post.status_code == 401 and post.json()["error"] == "invalid_client"


def test_two_client_authentication_methods_at_once_are_refused(
    world: World, platform_url: str
) -> None:
    response = httpx.post(
        f"{platform_url}/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world.client_id,
            "client_secret": world.client_secret,
        },
        auth=(world.client_id, world.client_secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_client_credentials_token(world: World, platform_url: str) -> None:
    response = httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "client_credentials"},
        auth=(world.client_id, world.client_secret),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["scope"] == "ports" and "refresh_token" not in body and "id_token" not in body
    introspected = httpx.post(
        f"{platform_url}/introspect",
        data={"token": body["access_token"]},
        auth=(world.client_id, world.client_secret),
    ).json()
    assert introspected["active"] is True and "sub" not in introspected
    # Another client cannot learn anything about this token.
    foreign = httpx.post(
        f"{platform_url}/introspect",
        data={"token": body["access_token"]},
        auth=(world.other_client_id, world.other_client_secret),
    ).json()
    assert foreign == {"active": False}


def test_introspection_requires_client_authentication(world: World, platform_url: str) -> None:
    response = httpx.post(f"{platform_url}/introspect", data={"token": "whatever"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


# --- consent and prompts -------------------------------------------------------------------


def test_consent_form_without_csrf_token_is_refused(
    browser: Browser, world: World, params: AuthorizeParams
) -> None:
    page = browser.follow(browser.client.get("/authorize", params=params.query()))
    page = browser.sign_in(page, world.username, PASSWORD)
    form = form_with(page.text, "decision")
    fields = dict(form.fields)
    fields.pop("csrf_token")
    response = browser.client.post("/authorize/consent", data={**fields, "decision": "allow"})
    assert response.status_code == 403
    assert not response.is_redirect
    forged = browser.client.post(
        "/authorize/consent", data={**fields, "decision": "allow", "csrf_token": "forged"}
    )
    assert forged.status_code == 403


def test_deny_returns_access_denied(
    browser: Browser, world: World, params: AuthorizeParams, platform_url: str
) -> None:
    back = browser.authorize(
        params.query(), username=world.username, password=PASSWORD, decision="deny"
    )
    answer = query_of(back.headers["location"])
    assert answer["error"] == "access_denied"
    assert answer["state"] == params.state and answer["iss"] == platform_url


def test_consent_is_remembered_per_host_until_forced(
    browser: Browser, world: World, params: AuthorizeParams
) -> None:
    _code(browser, world, params)
    # Second run, another mini program of the same host: no consent page.
    second = AuthorizeParams.new(world.client_id, world.redirect_uri, world.second_appid)
    first_hop = browser.follow(browser.client.get("/authorize", params=second.query()))
    assert first_hop.is_redirect and "code=" in first_hop.headers["location"]
    forced = browser.follow(browser.client.get("/authorize", params=second.query(prompt="consent")))
    assert forced.status_code == 200 and 'name="decision"' in forced.text


def test_prompt_none_without_a_session_is_login_required(
    browser: Browser, world: World, params: AuthorizeParams
) -> None:
    answer = query_of(
        browser.client.get("/authorize", params=params.query(prompt="none")).headers["location"]
    )
    assert answer["error"] == "login_required"


def test_prompt_none_without_consent_is_consent_required(
    browser: Browser, world: World, params: AuthorizeParams
) -> None:
    page = browser.follow(browser.client.get("/authorize", params=params.query()))
    browser.sign_in(page, world.username, PASSWORD)  # now signed in, consent not given
    answer = query_of(
        browser.client.get("/authorize", params=params.query(prompt="none")).headers["location"]
    )
    assert answer["error"] == "consent_required"


def test_prompt_login_and_max_age_ask_for_the_password_again(
    browser: Browser, world: World, params: AuthorizeParams
) -> None:
    _code(browser, world, params)  # signed in and consented
    for extra in ({"prompt": "login"}, {"max_age": "0"}):
        again = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
        page = browser.follow(browser.client.get("/authorize", params=again.query(**extra)))
        assert page.status_code == 200 and 'name="password"' in page.text, extra
        back = browser.sign_in(page, world.username, PASSWORD)
        assert back.is_redirect and "code=" in back.headers["location"], extra


def test_login_hint_prefills_the_username(
    browser: Browser, world: World, params: AuthorizeParams
) -> None:
    page = browser.follow(browser.client.get("/authorize", params=params.query(login_hint="lin")))
    assert form_with(page.text, "password").fields.get("username") == "lin"


@pytest.mark.parametrize(
    ("details", "fragment"),
    [
        (
            '[{"type":"miniprogram_run","appid":"wx0000000000000000","path":"/pages/index"}]',
            "unknown appid",
        ),
        ('[{"type":"miniprogram_run","appid":"APPID","path":"/pages/secret"}]', "not a page"),
        ('[{"type":"payment","appid":"APPID"}]', "unsupported"),
        ("not json", "JSON"),
        ("[]", "non-empty"),
    ],
)
def test_bad_authorization_details_are_refused(
    browser: Browser, world: World, params: AuthorizeParams, details: str, fragment: str
) -> None:
    answer = _error_redirect(
        browser, world, params.query(authorization_details=details.replace("APPID", world.appid))
    )
    assert answer["error"] == "invalid_authorization_details"
    assert fragment in answer["error_description"]


def test_a_path_with_a_query_is_allowed(browser: Browser, world: World) -> None:
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
    query = params.query()
    query["authorization_details"] = query["authorization_details"].replace(
        "/pages/index", "/pages/product?id=42"
    )
    back = browser.authorize(query, username=world.username, password=PASSWORD)
    assert "code=" in back.headers["location"]


def test_revoked_tokens_fail_even_when_cached(
    browser: Browser,
    world: World,
    params: AuthorizeParams,
    platform_url: str,
    runtime: PlatformRuntime,
) -> None:
    tokens = _exchange(platform_url, world, _code(browser, world, params), params.verifier).json()
    auth = (world.client_id, world.client_secret)
    assert httpx.post(
        f"{platform_url}/introspect", data={"token": tokens["access_token"]}, auth=auth
    ).json()["active"]
    httpx.post(f"{platform_url}/revoke", data={"token": tokens["access_token"]}, auth=auth)
    assert httpx.post(
        f"{platform_url}/introspect", data={"token": tokens["access_token"]}, auth=auth
    ).json() == {"active": False}
    with runtime.sessions() as session:
        revoked = session.scalar(
            select(IssuedToken.revoked_at).where(
                IssuedToken.digest == digest(tokens["access_token"])
            )
        )
    assert revoked is not None
    # Revoking one access token leaves the grant's refresh token usable.
    refreshed = httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=auth,
    )
    assert refreshed.status_code == 200
