"""Registering brands, mini programs, host apps and operators, as an operator would."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.tokens import digest
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.accounts.users import WeakPassword, create_user
from miniport.platform.ports.states import Actor
from miniport.platform.registry import admin
from miniport.platform.registry.errors import (
    AlreadyRegistered,
    InvalidRegistration,
    NotRegistered,
)
from miniport.platform.registry.lookup import authenticate_host_app, authenticate_mini_program
from miniport.platform.registry.models import Brand
from miniport.platform.settings import PlatformSettings

REDIRECT = "http://127.0.0.1:8001/auth/callback"


@pytest.fixture
def session(platform_settings: PlatformSettings) -> Iterator[Session]:
    # The registry needs only the database: no signing keys, so no RSA key generation per test.
    engine = make_engine(platform_settings.database_url)
    with make_sessionmaker(engine)() as session, session.begin():
        yield session
    engine.dispose()


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def gucci(session: Session) -> Brand:
    return admin.create_brand(
        session, slug="gucci", name_zh="古驰", name_en="Gucci", actor=Actor.system()
    )


def _mini_program(session: Session, brand: Brand, **overrides: object) -> tuple[str, str]:
    values: dict[str, object] = {
        "brand_id": brand.id,
        "name_zh": "GUCCI古驰线上旗舰店",
        "name_en": "GUCCI Online Flagship Store",
        "entry_url": "http://127.0.0.1:8101/mp/entry",
        "allowed_paths": ["/pages/index", "/pages/product"],
    }
    values.update(overrides)
    mini_program, secret = admin.create_mini_program(session, **values, actor=Actor.system())  # type: ignore[arg-type]
    return mini_program.appid, secret


def _host(session: Session, **overrides: object) -> tuple[str, str]:
    values: dict[str, object] = {
        "slug": "xiaohongshu",
        "name_zh": "小红书",
        "name_en": "Xiaohongshu",
        "redirect_uris": [REDIRECT],
    }
    values.update(overrides)
    host, secret = admin.create_host_app(session, **values, actor=Actor.system())  # type: ignore[arg-type]
    return host.client_id, secret


# --- brands ------------------------------------------------------------------------------------


def test_a_brand_is_found_by_slug_or_id_and_its_slug_is_lowercased(session: Session) -> None:
    brand = admin.create_brand(
        session, slug=" Gucci ", name_zh=" 古驰 ", name_en="Gucci", actor=Actor.system()
    )

    assert (brand.slug, brand.name_zh) == ("gucci", "古驰")
    assert admin.get_brand(session, "gucci") is brand
    assert admin.get_brand(session, str(brand.id)) is brand
    assert admin.list_brands(session) == [brand]


def test_a_taken_brand_slug_is_refused(session: Session, gucci: Brand) -> None:
    with pytest.raises(AlreadyRegistered, match="'gucci' already exists"):
        admin.create_brand(
            session, slug="GUCCI", name_zh="古驰", name_en="Gucci", actor=Actor.system()
        )


@pytest.mark.parametrize("slug", ["", "-gucci", "gucci-", "gu cci", "古驰", "g" * 65, "a_b"])
def test_a_malformed_slug_is_refused(session: Session, slug: str) -> None:
    with pytest.raises(InvalidRegistration, match="slug"):
        admin.create_brand(
            session, slug=slug, name_zh="古驰", name_en="Gucci", actor=Actor.system()
        )


def test_names_must_not_be_empty(session: Session) -> None:
    with pytest.raises(InvalidRegistration, match="name_en must not be empty"):
        admin.create_brand(
            session, slug="gucci", name_zh="古驰", name_en="  ", actor=Actor.system()
        )


def test_an_unknown_brand_is_reported(session: Session) -> None:
    with pytest.raises(NotRegistered, match="no brand 'dior'"):
        admin.get_brand(session, "dior")
    with pytest.raises(NotRegistered, match="no brand with id 404"):
        admin.create_mini_program(
            session,
            brand_id=404,
            name_zh="x",
            name_en="x",
            entry_url="https://x.example/",
            allowed_paths=["/"],
            actor=Actor.system(),
        )


# --- mini programs -----------------------------------------------------------------------------


def test_a_mini_program_gets_a_wx_appid_and_a_secret_that_authenticates_it(
    session: Session, gucci: Brand
) -> None:
    appid, secret = _mini_program(session, gucci)

    assert re.fullmatch(r"wx[0-9a-f]{16}", appid)
    assert len(secret) >= 43  # 256 random bits, base64url
    assert authenticate_mini_program(session, appid, secret) is not None
    assert authenticate_mini_program(session, appid, secret + "x") is None
    assert [mp.appid for mp in admin.list_mini_programs(session, brand_id=gucci.id)] == [appid]


def test_mini_program_and_host_secrets_are_stored_only_as_digests(
    session: Session, gucci: Brand
) -> None:
    appid, app_secret = _mini_program(session, gucci)
    client_id, client_secret = _host(session)

    for table, secret in (("mini_programs", app_secret), ("host_apps", client_secret)):
        rows = session.execute(text(f"select * from {table}"))
        stored = [str(value) for row in rows for value in row]
        assert not any(secret in value for value in stored), f"{table} holds a plaintext secret"
        assert digest(secret) in stored


def test_every_mini_program_gets_its_own_appid_and_secret(session: Session, gucci: Brand) -> None:
    first = _mini_program(session, gucci)
    # A second store of the same brand needs names of its own (registry.distinct_names).
    second = _mini_program(session, gucci, name_zh="古驰美妆", name_en="Gucci Beauty")

    assert first[0] != second[0]
    assert first[1] != second[1]


@pytest.mark.parametrize(
    "entry_url",
    [
        "ftp://shop.example/entry",
        "/mp/entry",
        "shop.example/entry",
        "https://",
        "https://a.example/#x",
    ],
)
def test_an_entry_url_must_be_absolute_http(session: Session, gucci: Brand, entry_url: str) -> None:
    with pytest.raises(InvalidRegistration, match="entry URL"):
        _mini_program(session, gucci, entry_url=entry_url)


@pytest.mark.parametrize(
    "path",
    ["pages/index", "/pages/../admin", "//evil.example/x", "/pages/index?x=1", "/a b", "/a\\b"],
)
def test_an_allowed_path_must_be_a_plain_rooted_page_path(
    session: Session, gucci: Brand, path: str
) -> None:
    with pytest.raises(InvalidRegistration, match="allowed path"):
        _mini_program(session, gucci, allowed_paths=["/pages/index", path])


def test_at_least_one_allowed_path_is_needed_and_duplicates_collapse(
    session: Session, gucci: Brand
) -> None:
    with pytest.raises(InvalidRegistration, match="at least one allowed path"):
        _mini_program(session, gucci, allowed_paths=[])

    appid, _ = _mini_program(session, gucci, allowed_paths=["/pages/index", "/pages/index"])
    assert admin.get_mini_program(session, appid).allowed_paths == ["/pages/index"]


def test_rotating_a_mini_program_secret_retires_the_old_one(session: Session, gucci: Brand) -> None:
    appid, old = _mini_program(session, gucci)
    rotated_before = admin.get_mini_program(session, appid).secret_rotated_at

    mini_program, new = admin.rotate_mini_program_secret(session, appid, actor=Actor.system())

    assert new != old
    assert mini_program.secret_rotated_at >= rotated_before
    assert authenticate_mini_program(session, appid, old) is None
    assert authenticate_mini_program(session, appid, new) is not None


def test_an_unknown_appid_is_reported(session: Session) -> None:
    with pytest.raises(NotRegistered, match="wx0000000000000000"):
        admin.rotate_mini_program_secret(session, "wx0000000000000000", actor=Actor.system())


# --- host apps ---------------------------------------------------------------------------------


def test_a_host_app_gets_a_client_id_and_a_secret_that_authenticates_it(session: Session) -> None:
    client_id, secret = _host(session)

    assert re.fullmatch(r"hc[0-9a-f]{16}", client_id)
    host = admin.get_host_app(session, "xiaohongshu")
    assert host.client_id == client_id
    assert host.redirect_uris == [REDIRECT]
    assert host.id_token_signed_response_alg == "RS256"
    assert authenticate_host_app(session, client_id, secret) is host
    assert authenticate_host_app(session, client_id, "wrong") is None


@pytest.mark.parametrize(
    "uri",
    [
        "https://xhs.example/auth/callback",
        "https://xhs.example/auth/callback?from=mp",
        "http://127.0.0.1:8001/auth/callback",
        "http://localhost/cb",
        "http://[::1]:8001/cb",
    ],
)
def test_redirect_uris_that_keep_codes_off_the_wire_are_accepted(
    session: Session, uri: str
) -> None:
    client_id, _ = _host(session, redirect_uris=[uri])

    assert admin.get_host_app(session, client_id).redirect_uris == [uri]


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http://xhs.example/auth/callback", "must use https"),
        ("https://xhs.example/cb#done", "fragment"),
        ("https://xhs.example/cb#", "fragment"),
        ("https://user:pw@xhs.example/cb", "user name or password"),
        ("/auth/callback", "absolute"),
        ("ftp://xhs.example/cb", "absolute"),
        ("https:///cb", "absolute"),
        ("https://xhs.example/c b", "no spaces"),
        ("https://xhs.example:99999/cb", "not a valid URL"),
    ],
)
def test_redirect_uris_that_could_leak_codes_are_refused(
    session: Session, uri: str, reason: str
) -> None:
    with pytest.raises(InvalidRegistration, match=reason):
        _host(session, redirect_uris=[REDIRECT, uri])


def test_a_host_app_needs_a_redirect_uri_a_known_algorithm_and_a_free_slug(
    session: Session,
) -> None:
    with pytest.raises(InvalidRegistration, match="at least one redirect URI"):
        _host(session, redirect_uris=[])
    with pytest.raises(InvalidRegistration, match="HS256"):
        _host(session, id_token_alg="HS256")
    _host(session, id_token_alg="ES256")
    with pytest.raises(AlreadyRegistered, match="xiaohongshu"):
        _host(session)


def test_rotating_a_client_secret_retires_the_old_one(session: Session) -> None:
    client_id, old = _host(session)

    _, new = admin.rotate_host_secret(session, client_id, actor=Actor.system())

    assert authenticate_host_app(session, client_id, old) is None
    assert authenticate_host_app(session, client_id, new) is not None


# --- operators and users -----------------------------------------------------------------------


def test_an_operator_is_a_user_with_the_operator_role(
    session: Session, hasher: PasswordHasher
) -> None:
    operator = admin.create_operator(
        session,
        hasher,
        username="Ops",
        display_name="运营",
        password="operator-pass",
        actor=Actor.system(),
    )
    create_user(session, hasher, username="lin", display_name="林", password="lin-password")

    assert admin.get_user(session, "ops").roles == ("operator",)
    assert [(r.user.username, r.roles) for r in admin.list_users(session)] == [
        ("ops", ("operator",)),
        ("lin", ()),
    ]
    assert hasher.verify(operator.password_hash, "operator-pass")


def test_an_operator_with_a_weak_password_is_refused(
    session: Session, hasher: PasswordHasher
) -> None:
    with pytest.raises(WeakPassword):
        admin.create_operator(
            session,
            hasher,
            username="ops",
            display_name="ops",
            password="short",
            actor=Actor.system(),
        )


def test_an_unknown_user_is_reported(session: Session) -> None:
    with pytest.raises(NotRegistered, match="no user 'nobody'"):
        admin.get_user(session, "nobody")
