"""Drive the platform's authorization pages over HTTP as a browser would (forms + cookies)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support.html_forms import form_with, submit


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


def run_details(appid: str, path: str = "/pages/index") -> str:
    return json.dumps([{"type": "miniprogram_run", "appid": appid, "path": path}])


@dataclass
class AuthorizeParams:
    client_id: str
    redirect_uri: str
    appid: str | None
    verifier: str
    challenge: str
    state: str
    nonce: str

    @classmethod
    def new(cls, client_id: str, redirect_uri: str, appid: str | None) -> AuthorizeParams:
        verifier, challenge = pkce_pair()
        return cls(
            client_id,
            redirect_uri,
            appid,
            verifier,
            challenge,
            secrets.token_urlsafe(16),
            secrets.token_urlsafe(16),
        )

    def query(self, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid miniprogram" if self.appid else "openid",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        if self.appid:
            params["authorization_details"] = run_details(self.appid)
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}


def is_redirect_to(response: httpx.Response, prefix: str) -> bool:
    return response.is_redirect and response.headers["location"].startswith(prefix)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class Browser:
    """A cookie-keeping client that stops at redirects leaving the platform."""

    def __init__(self, platform_url: str) -> None:
        self.platform_url = platform_url
        self.client = httpx.Client(base_url=platform_url, follow_redirects=False, timeout=10)

    def close(self) -> None:
        self.client.close()

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects while they stay on the platform."""
        while response.is_redirect:
            location = response.headers["location"]
            if location.startswith("http") and not location.startswith(self.platform_url):
                return response
            response = self.client.get(location)
        return response

    def sign_in(self, page: httpx.Response, username: str, password: str) -> httpx.Response:
        form = form_with(page.text, "password")
        return self.follow(
            submit(self.client, page, form, {"username": username, "password": password})
        )

    def answer_consent(self, page: httpx.Response, decision: str) -> httpx.Response:
        form = form_with(page.text, "decision")
        return self.follow(submit(self.client, page, form, {"decision": decision}))

    def authorize(
        self, query: dict[str, str], *, username: str, password: str, decision: str = "allow"
    ) -> httpx.Response:
        """Run the whole authorization; returns the final redirect back to the client."""
        page = self.follow(self.client.get("/authorize?" + urlencode(query)))
        if page.status_code == 200 and 'name="password"' in page.text:
            page = self.sign_in(page, username, password)
        if page.status_code == 200 and 'name="decision"' in page.text:
            page = self.answer_consent(page, decision)
        return page
