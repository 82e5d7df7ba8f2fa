"""Building the platform's HTTP requests, one method per endpoint, with no I/O.

Paths, parameter names and credential placement are the platform's documented ones:

- standards face — client authentication ``client_secret_basic`` (RFC 6749 §2.3.1), form
  bodies, bearer tokens in ``Authorization``;
- ports API — a host's ``client_credentials`` token as ``Authorization: Bearer``; a brand's
  mini-program access token as ``?access_token=``;
- mini-program face — credentials in the query string and JSON bodies, as that API family
  does.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

import httpx

USER_AGENT = "miniport-sdk/0.1"


class RequestBuilder:
    def __init__(self, base_url: str, *, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        # Requests are sent with ``Client.send``, which takes the timeout from the request.
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}

    def build(
        self,
        method: str,
        target: str,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """A request for ``target``: a path under the base URL, or an absolute URL."""
        url = target if target.startswith(("https://", "http://")) else self.base_url + target
        return httpx.Request(
            method,
            url,
            params=params,
            data=form,
            json=json,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            extensions=self._extensions,
        )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


class HostRequests(RequestBuilder):
    """The OpenID Connect endpoints, the host's ports API, and launch."""

    def __init__(self, base_url: str, *, client_id: str, client_secret: str, timeout: float):
        super().__init__(base_url, timeout=timeout)
        # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined and encoded.
        pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
        self._client_auth = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    # --- OpenID Connect ------------------------------------------------------------------

    def discovery(self) -> httpx.Request:
        return self.build("GET", "/.well-known/openid-configuration")

    def jwks(self, jwks_uri: str) -> httpx.Request:
        return self.build("GET", jwks_uri)

    def _token(self, form: Mapping[str, str]) -> httpx.Request:
        return self.build("POST", "/token", form=form, headers=self._client_auth)

    def authorization_code(
        self, *, code: str, redirect_uri: str, code_verifier: str
    ) -> httpx.Request:
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    def refresh_token(self, refresh_token: str, *, scope: str | None = None) -> httpx.Request:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope is not None:
            form["scope"] = scope
        return self._token(form)

    def client_credentials(self, *, scope: str) -> httpx.Request:
        return self._token({"grant_type": "client_credentials", "scope": scope})

    def userinfo(self, access_token: str) -> httpx.Request:
        return self.build("GET", "/userinfo", headers=_bearer(access_token))

    def introspect(self, token: str, *, token_type_hint: str | None = None) -> httpx.Request:
        form = _without_none({"token": token, "token_type_hint": token_type_hint})
        return self.build("POST", "/introspect", form=form, headers=self._client_auth)

    def revoke(self, token: str, *, token_type_hint: str | None = None) -> httpx.Request:
        form = _without_none({"token": token, "token_type_hint": token_type_hint})
        return self.build("POST", "/revoke", form=form, headers=self._client_auth)

    # --- ports (Authorization: Bearer <client_credentials token, scope ports>) ------------

    def check(
        self, bearer: str, *, user_key: str, items: Sequence[str], etag: str | None
    ) -> httpx.Request:
        headers = _bearer(bearer)
        if etag is not None:
            headers["If-None-Match"] = etag
        return self.build(
            "POST",
            "/api/ports/check",
            json={"user_key": user_key, "items": list(items)},
            headers=headers,
        )

    def apply_port(self, bearer: str, *, appid: str, reason: str) -> httpx.Request:
        return self.build(
            "POST", "/api/ports", json={"appid": appid, "reason": reason}, headers=_bearer(bearer)
        )

    def list_ports(self, bearer: str, *, state: str | None = None) -> httpx.Request:
        params = {"state": state} if state is not None else None
        return self.build("GET", "/api/ports", params=params, headers=_bearer(bearer))

    def get_port(self, bearer: str, port_id: int) -> httpx.Request:
        return self.build("GET", f"/api/ports/{int(port_id)}", headers=_bearer(bearer))

    def withdraw_port(self, bearer: str, port_id: int, *, reason: str) -> httpx.Request:
        return self.build(
            "POST",
            f"/api/ports/{int(port_id)}/withdraw",
            json={"reason": reason},
            headers=_bearer(bearer),
        )

    # --- launch (the user's run ticket) ----------------------------------------------------

    def launch(
        self, run_ticket: str, *, appid: str, path: str, query: str, user_key: str
    ) -> httpx.Request:
        return self.build(
            "POST",
            "/wxa/launch",
            params={"access_token": run_ticket},
            json={"appid": appid, "path": path, "query": query, "user_key": user_key},
        )


class MiniProgramRequests(RequestBuilder):
    """The mini-program API and the brand's ports API, for one mini program."""

    def __init__(self, base_url: str, *, appid: str, secret: str, timeout: float) -> None:
        super().__init__(base_url, timeout=timeout)
        self.appid = appid
        self._secret = secret

    def stable_token(self, *, force_refresh: bool) -> httpx.Request:
        return self.build(
            "POST",
            "/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret,
                "force_refresh": force_refresh,
            },
        )

    def token(self) -> httpx.Request:
        return self.build(
            "GET",
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self._secret},
        )

    def jscode2session(self, js_code: str) -> httpx.Request:
        return self.build(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self._secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
        )

    def generate_urllink(
        self,
        access_token: str,
        *,
        path: str,
        query: str,
        expire_interval_days: int,
        env_version: str,
    ) -> httpx.Request:
        return self.build(
            "POST",
            "/wxa/generate_urllink",
            params={"access_token": access_token},
            json={
                "path": path,
                "query": query,
                "env_version": env_version,
                "expire_type": 1,
                "expire_interval": expire_interval_days,
            },
        )

    def query_urllink(self, access_token: str, url_link: str) -> httpx.Request:
        return self.build(
            "POST",
            "/wxa/query_urllink",
            params={"access_token": access_token},
            json={"url_link": url_link},
        )

    def report_order(
        self,
        access_token: str,
        *,
        openid: str,
        order_id: str,
        amount: int,
        currency: str,
        paid_time: int,
    ) -> httpx.Request:
        return self.build(
            "POST",
            "/wxa/report_order",
            params={"access_token": access_token},
            json={
                "openid": openid,
                "order_id": order_id,
                "amount": amount,
                "currency": currency,
                "paid_time": paid_time,
            },
        )

    # --- the brand's ports API (?access_token=<this mini program's access token>) ---------

    def brand_ports(self, access_token: str, *, state: str | None = None) -> httpx.Request:
        params = _without_none({"access_token": access_token, "state": state})
        return self.build("GET", "/api/brand/ports", params=params)

    def brand_port(self, access_token: str, port_id: int) -> httpx.Request:
        return self.build(
            "GET", f"/api/brand/ports/{int(port_id)}", params={"access_token": access_token}
        )

    def _port_action(
        self, access_token: str, port_id: int, action: str, body: Mapping[str, Any]
    ) -> httpx.Request:
        return self.build(
            "POST",
            f"/api/brand/ports/{int(port_id)}/{action}",
            params={"access_token": access_token},
            json=_without_none(body),
        )

    def approve_port(
        self, access_token: str, port_id: int, *, reason: str, expected_version: int | None
    ) -> httpx.Request:
        body = {"reason": reason, "expected_version": expected_version}
        return self._port_action(access_token, port_id, "approve", body)

    def reject_port(
        self, access_token: str, port_id: int, *, message: str, expected_version: int | None
    ) -> httpx.Request:
        body = {"message": message, "expected_version": expected_version}
        return self._port_action(access_token, port_id, "reject", body)

    def close_port(
        self,
        access_token: str,
        port_id: int,
        *,
        category: str,
        reason: str,
        expected_version: int | None,
    ) -> httpx.Request:
        body = {"reason_category": category, "reason": reason, "expected_version": expected_version}
        return self._port_action(access_token, port_id, "close", body)

    def stage_port(
        self,
        access_token: str,
        port_id: int,
        *,
        rollout_percent: int,
        allow_list: Sequence[str],
        trial_ends_at: dt.datetime | None,
        daily_launch_quota: int | None,
        expected_version: int | None,
    ) -> httpx.Request:
        # The staging body always names all four settings: null clears one.
        body: dict[str, Any] = {
            "rollout_percent": rollout_percent,
            "allow_list": list(allow_list),
            "trial_ends_at": trial_ends_at.isoformat() if trial_ends_at is not None else None,
            "daily_launch_quota": daily_launch_quota,
        }
        if expected_version is not None:
            body["expected_version"] = expected_version
        return self.build(
            "POST",
            f"/api/brand/ports/{int(port_id)}/staging",
            params={"access_token": access_token},
            json=body,
        )

    def set_port_policy(self, access_token: str, policy: str) -> httpx.Request:
        return self.build(
            "POST",
            "/api/brand/policy",
            params={"access_token": access_token},
            json={"policy": policy},
        )
