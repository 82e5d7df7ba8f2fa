"""RFC 6749 §2.3.1 — client authentication: ``client_secret_basic`` and ``client_secret_post``."""

from __future__ import annotations

import base64
import binascii
from typing import Protocol
from urllib.parse import unquote

from miniport.platform.oauth.errors import InvalidClient, InvalidRequest

SUPPORTED_METHODS = ("client_secret_basic", "client_secret_post")


class Client(Protocol):
    """What the protocol core needs to know about an authenticated client."""

    @property
    def client_id(self) -> str: ...

    @property
    def id_token_signed_response_alg(self) -> str: ...


class ClientDirectory(Protocol):
    """Where clients are looked up (``registry.directory.HostAppDirectory``)."""

    def authenticate(self, client_id: str, secret: str) -> Client | None:
        """The client, if ``secret`` is its secret (compared in constant time)."""
        ...


def credentials_from(authorization_header: str | None, form: dict[str, str]) -> tuple[str, str]:
    """The (client_id, secret) pair a request presents; exactly one method may be used."""
    in_form = "client_secret" in form
    if authorization_header:
        if in_form:
            raise InvalidRequest("use one client authentication method, not two")
        scheme, _, encoded = authorization_header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise InvalidClient("unsupported client authentication scheme")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidClient("malformed basic credentials") from exc
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise InvalidClient("malformed basic credentials")
        # §2.3.1: both parts are form-urlencoded before base64.
        return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))
    if in_form:
        client_id = form.get("client_id", "")
        if not client_id:
            raise InvalidClient("client_id is missing")
        return client_id, form["client_secret"]
    raise InvalidClient("client authentication is required")


def authenticate(
    clients: ClientDirectory, authorization_header: str | None, form: dict[str, str]
) -> Client:
    client_id, secret = credentials_from(authorization_header, form)
    if "client_id" in form and form["client_id"] != client_id:
        raise InvalidRequest("client_id does not match the authenticated client")
    host = clients.authenticate(client_id, secret)
    if host is None:
        raise InvalidClient("client authentication failed")
    return host
