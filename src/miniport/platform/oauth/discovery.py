"""OpenID Connect Discovery 1.0 §3 — provider metadata (with RFC 8414 / 9207 / 9396 fields)."""

from __future__ import annotations

from typing import Any

from miniport.platform.keys.keyring import SUPPORTED_ALGORITHMS
from miniport.platform.oauth.authorization_details import RUN_TYPE
from miniport.platform.oauth.authorize import SUPPORTED_SCOPES
from miniport.platform.oauth.client_auth import SUPPORTED_METHODS
from miniport.platform.oauth.grants import CLIENT_SCOPES


def metadata(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks.json",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        "scopes_supported": sorted(SUPPORTED_SCOPES | CLIENT_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": list(SUPPORTED_ALGORITHMS),
        "token_endpoint_auth_methods_supported": list(SUPPORTED_METHODS),
        "introspection_endpoint_auth_methods_supported": list(SUPPORTED_METHODS),
        "revocation_endpoint_auth_methods_supported": list(SUPPORTED_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"],
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": True,
        "authorization_details_types_supported": [RUN_TYPE],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
        "ui_locales_supported": ["zh-CN", "en"],
    }
