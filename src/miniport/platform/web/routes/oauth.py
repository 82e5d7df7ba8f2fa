"""OpenID Connect endpoints: authorize, userinfo, revoke.

Routes parse, call one domain function, and answer; the protocol lives in
``miniport.platform.oauth``. Discovery, JWKS, token and introspection are the hot paths and
are served by ``web.fastpath`` in front of FastAPI, over the same domain functions.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.csrf import verify_csrf
from miniport.common.i18n import N_
from miniport.platform.accounts.sessions import SignedIn
from miniport.platform.consent.grants import has_active_grant, remember_grant
from miniport.platform.oauth import authorize as authz
from miniport.platform.oauth import (
    client_auth,
    revoke,
    token_store,
    userinfo,
)
from miniport.platform.oauth.errors import (
    AccessDenied,
    ConsentRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    UntrustedRedirect,
)
from miniport.platform.registry.lookup import find_host_app, find_mini_program
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web import oauth_docs
from miniport.platform.web.deps import DbSession, OptionalSignIn, RuntimeDep, bearer_token
from miniport.platform.web.errors import NO_STORE
from miniport.platform.web.forms import form_params, query_params, single_values
from miniport.platform.web.templating import render

router = APIRouter(tags=["OpenID Connect"])


def _json(body: object, status_code: int = 200) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status_code=status_code,
        media_type="application/json",
        headers=NO_STORE,
    )


# --- authorization endpoint -------------------------------------------------------------


def _error_page(request: Request, reason: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": N_("The authorization request cannot be processed"), "message": reason},
        status_code=400,
    )


def _signin_redirect(request: authz.AuthorizationRequest, sealed: str, *, reauth: bool) -> str:
    params = {"next": "/authorize/resume?" + urlencode({"request": sealed})}
    if request.login_hint:
        params["login_hint"] = request.login_hint
    if reauth:
        params["reauth"] = "1"
    return "/signin?" + urlencode(params)


def _needs_authentication(request: authz.AuthorizationRequest, signin: SignedIn | None) -> bool:
    if signin is None:
        return True
    signed_in_at = signin.auth_time.timestamp()
    if signed_in_at >= request.created_at:
        return False  # authenticated during this very request: prompt/max_age are satisfied
    if "login" in request.prompt:
        return True
    return request.max_age is not None and utcnow().timestamp() - signed_in_at > request.max_age


def _proceed(
    http: Request,
    db: DbSession,
    runtime: PlatformRuntime,
    request: authz.AuthorizationRequest,
    signin: SignedIn | None,
) -> Response:
    """Sign-in, consent, then a code: the steps after a request validated."""
    sealed = authz.seal(request, runtime.cookie_key)
    try:
        authz.check_ports(runtime.ports.current(), request, now=utcnow())
        if _needs_authentication(request, signin):
            if "none" in request.prompt:
                raise LoginRequired("the user is not signed in")
            return RedirectResponse(
                _signin_redirect(request, sealed, reauth=signin is not None), status_code=303
            )
        assert signin is not None
        remembered = has_active_grant(db, user_id=signin.user_id, client_id=request.client_id)
        if request.appids and ("consent" in request.prompt or not remembered):
            if "none" in request.prompt:
                raise ConsentRequired("the user has not allowed this host app yet")
            return _consent_page(http, db, runtime, request, sealed, signin)
        return _grant(db, runtime, request, signin)
    except OAuthError as error:
        return _back_to_client(runtime, request, error)


def _back_to_client(
    runtime: PlatformRuntime, request: authz.AuthorizationRequest, error: OAuthError
) -> RedirectResponse:
    """An error for a verified client goes back to it (RFC 6749 §4.1.2.1), with ``iss``."""
    return RedirectResponse(
        authz.error_redirect(
            request.redirect_uri, error, state=request.state, issuer=runtime.issuer
        ),
        status_code=303,
    )


def _grant(
    db: DbSession,
    runtime: PlatformRuntime,
    request: authz.AuthorizationRequest,
    signin: SignedIn,
) -> Response:
    now = utcnow()
    if request.appids:
        remember_grant(
            db, user_id=signin.user_id, client_id=request.client_id, appids=request.appids, now=now
        )
    code = authz.issue_code(
        db, request, user_id=signin.user_id, auth_time=signin.auth_time, now=now
    )
    db.commit()
    return RedirectResponse(
        authz.success_redirect(request, code=code, issuer=runtime.issuer), status_code=303
    )


def _consent_page(
    http: Request,
    db: DbSession,
    runtime: PlatformRuntime,
    request: authz.AuthorizationRequest,
    sealed: str,
    signin: SignedIn,
) -> Response:
    host = find_host_app(db, request.client_id)
    mini_programs = [find_mini_program(db, appid) for appid in request.appids]
    return render(
        http,
        "consent.html",
        {
            "host": host,
            "mini_programs": [mp for mp in mini_programs if mp is not None],
            "platform_name_zh": runtime.settings.display_name_zh,
            "platform_name_en": runtime.settings.display_name_en,
            "request_blob": sealed,
            "signed_in": signin,
        },
    )


async def _authorize_params(http: Request) -> dict[str, list[str]]:
    if http.method == "POST":
        return await form_params(http)
    return query_params(http)


# One route per method: a single GET+POST route would give both the same OpenAPI operation id.
@router.get(
    "/authorize",
    summary="Authorization endpoint (code flow + PKCE)",
    response_class=HTMLResponse,
    openapi_extra=oauth_docs.AUTHORIZE_GET,
)
@router.post(
    "/authorize",
    summary="Authorization endpoint, form-encoded (OIDC Core §3.1.2.1)",
    response_class=HTMLResponse,
    openapi_extra=oauth_docs.AUTHORIZE_POST,
)
async def authorize(
    http: Request, db: DbSession, runtime: RuntimeDep, signin: OptionalSignIn
) -> Response:
    try:
        params = await _authorize_params(http)
        host, redirect_uri = authz.trusted_client(db, params)
    except (UntrustedRedirect, InvalidRequest) as exc:
        return _error_page(http, getattr(exc, "reason", None) or str(exc))
    try:
        request = authz.parse_request(db, host, redirect_uri, params, now=utcnow())
    except OAuthError as error:
        return RedirectResponse(
            authz.error_redirect(
                redirect_uri, error, state=authz.state_of(params), issuer=runtime.issuer
            ),
            status_code=303,
        )
    return _proceed(http, db, runtime, request, signin)


def _unseal_trusted(
    db: DbSession, runtime: PlatformRuntime, sealed: str | None
) -> authz.AuthorizationRequest:
    if not sealed:
        raise InvalidRequest("the authorization request is missing; start again")
    request = authz.unseal(sealed, runtime.cookie_key, now=utcnow())
    host = find_host_app(db, request.client_id)
    # The client may have changed its redirect URIs since the request was sealed.
    if host is None or request.redirect_uri not in host.redirect_uris:
        raise InvalidRequest("the client is no longer registered for this redirect URI")
    return request


@router.get(
    "/authorize/resume",
    summary="Continue an authorization after sign-in",
    response_class=HTMLResponse,
    openapi_extra=oauth_docs.AUTHORIZE_RESUME,
)
def authorize_resume(
    http: Request, db: DbSession, runtime: RuntimeDep, signin: OptionalSignIn
) -> Response:
    try:
        request = _unseal_trusted(db, runtime, single_values(query_params(http)).get("request"))
    except OAuthError as exc:
        return _error_page(http, exc.description)
    return _proceed(http, db, runtime, request, signin)


@router.post(
    "/authorize/consent",
    summary="The user's answer on the consent page",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=oauth_docs.AUTHORIZE_CONSENT,
)
async def authorize_consent(
    http: Request, db: DbSession, runtime: RuntimeDep, signin: OptionalSignIn
) -> Response:
    try:
        form = single_values(await form_params(http))
    except OAuthError as exc:
        return _error_page(http, exc.description)
    verify_csrf(http, form.get("csrf_token"), runtime.cookie_key)
    try:
        request = _unseal_trusted(db, runtime, form.get("request"))
    except OAuthError as exc:
        return _error_page(http, exc.description)
    if signin is None:
        # Signed out in another tab meanwhile: sign in again, then see the consent page anew.
        sealed = authz.seal(request, runtime.cookie_key)
        return RedirectResponse(_signin_redirect(request, sealed, reauth=False), status_code=303)
    if form.get("decision") != "allow":
        return _back_to_client(runtime, request, AccessDenied("the user denied the request"))
    try:
        # The port may have closed while the consent page was open.
        authz.check_ports(runtime.ports.current(), request, now=utcnow())
    except OAuthError as error:
        return _back_to_client(runtime, request, error)
    return _grant(db, runtime, request, signin)


# --- revocation and userinfo (token and introspection: ``web.fastpath``) ---------------


@router.post(
    "/revoke",
    summary="RFC 7009 token revocation",
    response_class=Response,
    openapi_extra=oauth_docs.REVOKE,
)
async def revoke_token(http: Request, db: DbSession, runtime: RuntimeDep) -> Response:
    form = single_values(await form_params(http))
    host = client_auth.authenticate(runtime.host_apps, http.headers.get("authorization"), form)
    revoked = revoke.revoke(
        db,
        caller_client_id=host.client_id,
        token=form.get("token"),
        token_type_hint=form.get("token_type_hint"),
        now=utcnow(),
    )
    db.commit()
    if revoked:
        runtime.tokens.clear()
    return Response(status_code=200, headers=NO_STORE)


@router.get("/userinfo", summary="OIDC UserInfo", openapi_extra=oauth_docs.USERINFO_GET)
@router.post(
    "/userinfo",
    summary="OIDC UserInfo (token in a form body)",
    openapi_extra=oauth_docs.USERINFO_POST,
)
async def userinfo_endpoint(http: Request, runtime: RuntimeDep) -> Response:
    value = bearer_token(http.headers.get("authorization"))
    if http.method == "POST" and http.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        in_form = single_values(await form_params(http)).get("access_token")
        if in_form is not None and value is not None:
            # RFC 6750 §3.1: more than one method of sending the token is invalid_request.
            raise InvalidRequest("send the access token in one way, not two")
        value = value or in_form
    now = utcnow()
    info = token_store.lookup(runtime.tokens, runtime.read_engine, value, now) if value else None
    return _json(userinfo.claims(info, identifiers=runtime.identifiers, now=now))
