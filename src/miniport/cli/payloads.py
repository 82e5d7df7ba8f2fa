"""The JSON shape of each registry row as the CLI prints it (never a digest or a hash)."""

from __future__ import annotations

from typing import Any

from miniport.platform.keys.models import SigningKey
from miniport.platform.registry.admin import UserRecord
from miniport.platform.registry.models import Brand, HostApp, MiniProgram


def brand(row: Brand) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "webhook_url": row.webhook_url,
        "created_at": row.created_at,
    }


def mini_program(row: MiniProgram) -> dict[str, Any]:
    return {
        "appid": row.appid,
        "brand_id": row.brand_id,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "entry_url": row.entry_url,
        "allowed_paths": list(row.allowed_paths),
        "icon_url": row.icon_url,
        "secret_rotated_at": row.secret_rotated_at,
        "created_at": row.created_at,
    }


def host_app(row: HostApp) -> dict[str, Any]:
    return {
        "client_id": row.client_id,
        "slug": row.slug,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "redirect_uris": list(row.redirect_uris),
        "logo_url": row.logo_url,
        "webhook_url": row.webhook_url,
        "id_token_alg": row.id_token_signed_response_alg,
        "secret_rotated_at": row.secret_rotated_at,
        "created_at": row.created_at,
    }


def user(found: UserRecord) -> dict[str, Any]:
    return {
        "id": found.user.id,
        "username": found.user.username,
        "display_name": found.user.display_name,
        "roles": list(found.roles),
        "blocked": found.user.blocked,
        "created_at": found.user.created_at,
    }


def signing_key(row: SigningKey) -> dict[str, Any]:
    # The private JWK never leaves the database through the CLI.
    return {
        "kid": row.kid,
        "alg": row.alg,
        "state": row.state,
        "created_at": row.created_at,
        "retired_at": row.retired_at,
    }
