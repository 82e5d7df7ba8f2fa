"""Driving the platform's account pages as a browser would: fetch the form, post it back."""

from __future__ import annotations

import re

import httpx

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    match = _CSRF.search(page.text)
    assert match, f"no CSRF field on the page:\n{page.text[:1500]}"
    return match.group(1)


def post_form(
    client: httpx.Client,
    page_path: str,
    action: str,
    fields: dict[str, str],
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """GET ``page_path`` for a fresh token, then POST ``fields`` with it to ``action``."""
    page = client.get(page_path)
    return client.post(action, data={"csrf_token": csrf_of(page), **fields}, headers=headers)


def sign_in(
    client: httpx.Client,
    username: str,
    password: str,
    *,
    next_path: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    fields = {"username": username, "password": password}
    if next_path is not None:
        fields["next"] = next_path
    # reauth=1 shows the form even to a signed-in browser.
    return post_form(client, "/signin?reauth=1", "/signin", fields, headers=headers)


def sign_up(
    client: httpx.Client, username: str, password: str, display_name: str = ""
) -> httpx.Response:
    return post_form(
        client,
        "/signup",
        "/signup",
        {"username": username, "password": password, "display_name": display_name},
    )


def is_html_page(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/html") and (
        "<html" in response.text
    )
