"""Registering brands, mini programs, host apps and operators (the admin side of the registry).

Plain functions over a SQLAlchemy ``Session``: they validate (``rules``), add and flush, and
never commit; the caller (a CLI command, a console route) commits its unit of work.
Failures raise the ``RegistryError`` family from ``errors``.

Every change is written to the audit log here, in the same transaction, by the function that
makes it: each takes the ``actor`` making the change, so the console, the CLI and seeding
scripts cannot make a change the log misses. Secrets appear in the log only as a
fingerprint (``audit.changes.fingerprint``). Where partners receive webhooks, and the secret
those are signed with, is changed through ``partner_webhooks``, audited the same way.

Credentials are generated here, returned to the caller exactly once, and stored only as their
SHA-256 digest (see ``miniport.common.tokens``): nobody, the platform included, can show a
secret again after it was created or rotated. The one exception is a partner's webhook
signing secret (``whsec_…``): the platform computes an HMAC with it for every delivery, so it
is kept usable (see ``miniport.platform.webhooks.signing``); it is still handed to people only
when it is generated or rotated. Reading ``webhook_secret`` right after ``create_brand`` or
``create_host_app`` is that one showing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.common.db import mark_changed
from miniport.common.tokens import digest, new_secret
from miniport.platform.accounts.memberships import grant
from miniport.platform.accounts.models import StaffMembership, StaffRole, User
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.accounts.users import create_user, find_user
from miniport.platform.audit.changes import fingerprint, fingerprint_of_digest, record_change
from miniport.platform.ports.states import Actor
from miniport.platform.registry.distinct_names import check_distinct_names
from miniport.platform.registry.errors import AlreadyRegistered, NotRegistered
from miniport.platform.registry.lookup import find_brand, find_host_app, find_mini_program
from miniport.platform.registry.models import Brand, HostApp, MiniProgram
from miniport.platform.registry.partner_webhooks import partner_target
from miniport.platform.registry.rules import (
    clean_id_token_alg,
    clean_image_url,
    clean_name,
    clean_optional_web_url,
    clean_page_paths,
    clean_redirect_uris,
    clean_slug,
    clean_web_url,
)
from miniport.platform.webhooks.signing import new_webhook_secret


def _flush_unique(session: Session, what: str) -> None:
    """Flush, turning a unique-constraint race (two admins, one slug) into a clear error."""
    try:
        session.flush()
    except IntegrityError as error:
        raise AlreadyRegistered(f"{what} is already registered") from error


# --- identifiers -----------------------------------------------------------------------------


def new_appid(session: Session) -> str:
    """``wx`` + 16 lowercase hex digits (64 random bits), unused so far."""
    while True:
        appid = "wx" + secrets.token_hex(8)
        if find_mini_program(session, appid) is None:
            return appid


def new_client_id(session: Session) -> str:
    """``hc`` + 16 lowercase hex digits (64 random bits), unused so far."""
    while True:
        client_id = "hc" + secrets.token_hex(8)
        if find_host_app(session, client_id) is None:
            return client_id


# --- brands ----------------------------------------------------------------------------------


def create_brand(
    session: Session,
    *,
    slug: str,
    name_zh: str,
    name_en: str,
    webhook_url: str | None = None,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Brand:
    """Register a brand entity (flushed, not committed); its slug is stored lowercase."""
    brand = Brand(
        slug=clean_slug(slug),
        name_zh=clean_name(name_zh, "name_zh"),
        name_en=clean_name(name_en, "name_en"),
        webhook_url=clean_optional_web_url(webhook_url, "webhook URL"),
    )
    if brand.webhook_url is not None:
        brand.webhook_secret = new_webhook_secret()
    if session.scalar(select(Brand.id).where(Brand.slug == brand.slug)) is not None:
        raise AlreadyRegistered(f"a brand with slug {brand.slug!r} already exists", field="slug")
    check_distinct_names(session, brand)
    session.add(brand)
    _flush_unique(session, f"brand slug {brand.slug!r}")
    after: dict[str, Any] = {
        "slug": brand.slug,
        "name_zh": brand.name_zh,
        "name_en": brand.name_en,
        "webhook_url": brand.webhook_url,
    }
    if brand.webhook_secret:
        after["webhook_secret"] = fingerprint(brand.webhook_secret)
    record_change(
        session,
        actor,
        "brand.created",
        target=partner_target(brand),
        at=now or utcnow(),
        after=after,
    )
    return brand


def list_brands(session: Session) -> list[Brand]:
    return list(session.scalars(select(Brand).order_by(Brand.id)))


def get_brand(session: Session, key: str | int) -> Brand:
    """A brand by numeric id or by slug (an all-digit slug is tried after the id)."""
    brand: Brand | None = None
    text = str(key).strip()
    if text.isdigit():
        brand = find_brand(session, int(text))
    if brand is None:
        brand = session.scalar(select(Brand).where(Brand.slug == text.lower()))
    if brand is None:
        raise NotRegistered(f"no brand {key!r}", field="brand")
    return brand


# --- mini programs ---------------------------------------------------------------------------


def create_mini_program(
    session: Session,
    *,
    brand_id: int,
    name_zh: str,
    name_en: str,
    entry_url: str,
    allowed_paths: Sequence[str],
    icon_url: str = "",
    actor: Actor,
    now: dt.datetime | None = None,
) -> tuple[MiniProgram, str]:
    """Register a mini program; returns it and its secret, which is never retrievable again."""
    brand = find_brand(session, brand_id)
    if brand is None:
        raise NotRegistered(f"no brand with id {brand_id}", field="brand_id")
    secret = new_secret()
    mini_program = MiniProgram(
        appid=new_appid(session),
        brand_id=brand.id,
        name_zh=clean_name(name_zh, "name_zh"),
        name_en=clean_name(name_en, "name_en"),
        icon_url=clean_image_url(icon_url, "icon URL"),
        entry_url=clean_web_url(entry_url, "entry URL"),
        allowed_paths=clean_page_paths(allowed_paths),
        secret_digest=digest(secret),
        secret_rotated_at=utcnow(),
    )
    check_distinct_names(session, mini_program)
    session.add(mini_program)
    session.flush()
    mark_changed(session, "registry")
    record_change(
        session,
        actor,
        "mini_program.created",
        target=("mini_program", mini_program.appid),
        at=now or utcnow(),
        after={
            "brand_id": mini_program.brand_id,
            "name_zh": mini_program.name_zh,
            "name_en": mini_program.name_en,
            "icon_url": mini_program.icon_url,
            "entry_url": mini_program.entry_url,
            "allowed_paths": list(mini_program.allowed_paths),
            "secret": fingerprint(secret),
        },
    )
    return mini_program, secret


def list_mini_programs(session: Session, *, brand_id: int | None = None) -> list[MiniProgram]:
    query = select(MiniProgram).order_by(MiniProgram.created_at, MiniProgram.appid)
    if brand_id is not None:
        query = query.where(MiniProgram.brand_id == brand_id)
    return list(session.scalars(query))


def get_mini_program(session: Session, appid: str) -> MiniProgram:
    mini_program = find_mini_program(session, appid.strip())
    if mini_program is None:
        raise NotRegistered(f"no mini program with appid {appid!r}", field="appid")
    return mini_program


def rotate_mini_program_secret(
    session: Session, appid: str, *, actor: Actor, now: dt.datetime | None = None
) -> tuple[MiniProgram, str]:
    """Replace the secret at once (the old one stops working); returns the new one, once."""
    mini_program = get_mini_program(session, appid)
    before = fingerprint_of_digest(mini_program.secret_digest)
    secret = new_secret()
    mini_program.secret_digest = digest(secret)
    now = now or utcnow()
    mini_program.secret_rotated_at = now
    session.flush()
    # Workers cache secret digests (``registry.directory``, ``miniprogram_api.directory``):
    # after the commit the old secret must stop working everywhere at once.
    mark_changed(session, "registry")
    record_change(
        session,
        actor,
        "mini_program.secret_rotated",
        target=("mini_program", mini_program.appid),
        at=now,
        before={"secret": before},
        after={"secret": fingerprint(secret)},
    )
    return mini_program, secret


# --- host apps -------------------------------------------------------------------------------


def create_host_app(
    session: Session,
    *,
    slug: str,
    name_zh: str,
    name_en: str,
    redirect_uris: Sequence[str],
    logo_url: str = "",
    webhook_url: str | None = None,
    id_token_alg: str = "RS256",  # noqa: S107  (an algorithm name, not a password)
    actor: Actor,
    now: dt.datetime | None = None,
) -> tuple[HostApp, str]:
    """Register a host app (an OAuth client); returns it and its client secret, once."""
    secret = new_secret()
    host = HostApp(
        client_id=new_client_id(session),
        slug=clean_slug(slug),
        name_zh=clean_name(name_zh, "name_zh"),
        name_en=clean_name(name_en, "name_en"),
        logo_url=clean_image_url(logo_url, "logo URL"),
        secret_digest=digest(secret),
        secret_rotated_at=utcnow(),
        redirect_uris=clean_redirect_uris(redirect_uris),
        webhook_url=clean_optional_web_url(webhook_url, "webhook URL"),
        id_token_signed_response_alg=clean_id_token_alg(id_token_alg),
    )
    if host.webhook_url is not None:
        host.webhook_secret = new_webhook_secret()
    if session.scalar(select(HostApp.client_id).where(HostApp.slug == host.slug)) is not None:
        raise AlreadyRegistered(f"a host app with slug {host.slug!r} already exists", field="slug")
    check_distinct_names(session, host)
    session.add(host)
    _flush_unique(session, f"host app slug {host.slug!r}")
    mark_changed(session, "registry")
    after: dict[str, Any] = {
        "slug": host.slug,
        "name_zh": host.name_zh,
        "name_en": host.name_en,
        "logo_url": host.logo_url,
        "redirect_uris": list(host.redirect_uris),
        "webhook_url": host.webhook_url,
        "id_token_alg": host.id_token_signed_response_alg,
        "secret": fingerprint(secret),
    }
    if host.webhook_secret:
        after["webhook_secret"] = fingerprint(host.webhook_secret)
    record_change(
        session, actor, "host.created", target=partner_target(host), at=now or utcnow(), after=after
    )
    return host, secret


def list_host_apps(session: Session) -> list[HostApp]:
    return list(session.scalars(select(HostApp).order_by(HostApp.created_at, HostApp.slug)))


def get_host_app(session: Session, key: str) -> HostApp:
    """A host app by client id or by slug."""
    host = find_host_app(session, key.strip()) or session.scalar(
        select(HostApp).where(HostApp.slug == key.strip().lower())
    )
    if host is None:
        raise NotRegistered(f"no host app {key!r}", field="client_id")
    return host


def rotate_host_secret(
    session: Session, client_id: str, *, actor: Actor, now: dt.datetime | None = None
) -> tuple[HostApp, str]:
    """Replace the client secret at once (the old one stops working); returns the new one."""
    host = get_host_app(session, client_id)
    before = fingerprint_of_digest(host.secret_digest)
    secret = new_secret()
    host.secret_digest = digest(secret)
    now = now or utcnow()
    host.secret_rotated_at = now
    session.flush()
    mark_changed(session, "registry")
    record_change(
        session,
        actor,
        "host.secret_rotated",
        target=partner_target(host),
        at=now,
        before={"secret": before},
        after={"secret": fingerprint(secret)},
    )
    return host, secret


# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user with the console roles they hold (never the password hash)."""

    user: User
    roles: tuple[str, ...]


def create_operator(
    session: Session,
    hasher: PasswordHasher,
    *,
    username: str,
    display_name: str,
    password: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> User:
    """A new user who may operate the platform (open and close ports, manage the registry).

    Raises ``miniport.platform.accounts.users.AccountError`` for a bad username or password.
    The operator role is granted (and audited) as ``accounts.memberships.grant`` does.
    """
    user = create_user(
        session, hasher, username=username, display_name=display_name, password=password
    )
    grant(session, username=user.username, role=StaffRole.OPERATOR, actor=actor, now=now)
    return user


def _roles(session: Session, user_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    roles: dict[int, list[str]] = {user_id: [] for user_id in user_ids}
    rows = session.execute(
        select(StaffMembership.user_id, StaffMembership.role)
        .where(StaffMembership.user_id.in_(user_ids))
        .order_by(StaffMembership.id)
    )
    for user_id, role in rows:
        if role not in roles[user_id]:
            roles[user_id].append(role)
    return {user_id: tuple(found) for user_id, found in roles.items()}


def list_users(session: Session) -> list[UserRecord]:
    users = list(session.scalars(select(User).order_by(User.id)))
    roles = _roles(session, [user.id for user in users])
    return [UserRecord(user=user, roles=roles[user.id]) for user in users]


def get_user(session: Session, username: str) -> UserRecord:
    user = find_user(session, username)
    if user is None:
        raise NotRegistered(f"no user {username.strip().lower()!r}", field="username")
    return UserRecord(user=user, roles=_roles(session, [user.id])[user.id])
