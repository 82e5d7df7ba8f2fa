"""Driving the host and the platform over HTTP as one browser would (shared cookie jar)."""

from __future__ import annotations

import re
from html import unescape

import httpx

from tests.factories import PASSWORD
from tests.host.conftest import HOST_PASSWORD, Joined
from tests.support.html_forms import form_with, submit


class Browser:
    """A cookie-keeping client that remembers every response it saw (to look for leaks)."""

    def __init__(self) -> None:
        self.seen: list[httpx.Response] = []
        self.client = httpx.Client(
            follow_redirects=True, timeout=15, event_hooks={"response": [self._keep]}
        )

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.seen.append(response)

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return self.client.get(url, **kwargs)  # type: ignore[arg-type]

    def sign_in_to_host(self, joined: Joined, username: str = "lin") -> None:
        page = self.get(joined.host_url + "/signin")
        done = submit(
            self.client,
            page,
            form_with(page.text, "password"),
            {"username": username, "password": HOST_PASSWORD},
        )
        assert done.status_code == 200 and str(done.url).rstrip("/") == joined.host_url

    def tap(self, page: httpx.Response, *, follow: bool = True) -> httpx.Response:
        """Tap the mini-program entry on ``page``."""
        href = entry_href(page.text)
        assert href is not None, "the card carries no mini-program entry"
        return self.client.get(str(page.url.join(href)), follow_redirects=follow)

    def through_platform(
        self, page: httpx.Response, joined: Joined, *, decision: str = "allow"
    ) -> httpx.Response:
        """Sign in on the platform and answer its consent page, if they are shown."""
        if 'name="password"' in page.text and str(page.url).startswith(joined.platform_url):
            page = submit(
                self.client,
                page,
                form_with(page.text, "password"),
                {"username": joined.world.username, "password": PASSWORD},
            )
        if 'name="decision"' in page.text:
            page = submit(
                self.client, page, form_with(page.text, "decision"), {"decision": decision}
            )
        return page


def entry_href(html: str) -> str | None:
    match = re.search(r'<a class="mp-entry"[^>]*href="([^"]+)"', html)
    return unescape(match.group(1)) if match else None


def cards_of(html: str) -> dict[str, bool]:
    """Brand cards on a page: account slug → whether it carries the mini-program entry."""
    cards: dict[str, bool] = {}
    for block in re.findall(r'<article class="brand-card".*?</article>', html, re.S):
        slug = re.search(r'data-account="([^"]+)"', block)
        assert slug is not None
        cards[slug.group(1)] = 'data-testid="mp-entry"' in block
    return cards


def iframe_src(html: str) -> str:
    match = re.search(r'<iframe[^>]*data-testid="mp-frame"[^>]*>', html, re.S) or re.search(
        r'<iframe[^>]*src="[^"]*"[^>]*data-testid="mp-frame"', html, re.S
    )
    assert match is not None, html[:2000]
    src = re.search(r'src="([^"]+)"', match.group(0))
    assert src is not None
    return unescape(src.group(1))
