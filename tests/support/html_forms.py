"""Read the forms of an HTML page the way a browser would, so tests submit real forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._current = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "button", "textarea", "select"):
            name = a.get("name")
            if not name:
                return
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            if kind == "submit":
                self._current.buttons.setdefault(name, []).append(a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._current.fields[name] = a.get("value", "on")
            else:
                self._current.fields[name] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_with(html: str, field_name: str) -> Form:
    """The first form on the page having a field or button called ``field_name``."""
    for form in forms_of(html):
        if field_name in form.fields or field_name in form.buttons:
            return form
    raise AssertionError(f"no form with a field {field_name!r} on the page:\n{html[:2000]}")


def submit(
    client: httpx.Client, page: httpx.Response, form: Form, values: dict[str, str]
) -> httpx.Response:
    data = {**form.fields, **values}
    url = urljoin(str(page.url), form.action or str(page.url))
    return client.request(form.method.upper(), url, data=data)
