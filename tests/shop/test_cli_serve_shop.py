"""``miniport serve shop``: checks its settings, migrates and seeds on request, then serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select
from typer.testing import CliRunner

from miniport.cli import app
from miniport.common.db import make_engine, make_sessionmaker
from miniport.shop.catalog import Product


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "MINIPORT_SHOP_ENVIRONMENT": "test",
        "MINIPORT_SHOP_DATA_DIR": str(data_dir),
        "MINIPORT_SHOP_SLUG": "louis-vuitton",
        **extra,
    }


def test_it_needs_the_mini_programs_credentials(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "shop"], env=_env(tmp_path))
    assert result.exit_code == 1
    assert "MINIPORT_SHOP_APPID" in result.output


def test_an_old_schema_is_refused_without_migrate(tmp_path: Path) -> None:
    env = _env(tmp_path, MINIPORT_SHOP_APPID="wx1", MINIPORT_SHOP_APP_SECRET="s" * 40)
    result = CliRunner().invoke(app, ["serve", "shop"], env=env)
    assert result.exit_code == 1
    assert "--migrate" in result.output


def test_migrate_seed_and_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.update(kwargs))
    env = _env(
        tmp_path,
        MINIPORT_SHOP_APPID="wx1",
        MINIPORT_SHOP_APP_SECRET="s" * 40,
        MINIPORT_SHOP_BASE_URL="http://127.0.0.1:8401",
        MINIPORT_SHOP_FRAME_ANCESTORS="http://127.0.0.1:8300",
    )

    result = CliRunner().invoke(
        app, ["serve", "shop", "--migrate", "--seed", "--port", "8401"], env=env
    )

    assert result.exit_code == 0, result.output
    assert served["port"] == 8401 and served["factory"] is True
    assert "http://127.0.0.1:8401/mp/entry" in result.output
    assert "shop-louis-vuitton-staff-password.secret" in result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'shop-louis-vuitton.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Product)) == 9
    finally:
        engine.dispose()
    again = CliRunner().invoke(app, ["serve", "shop", "--seed"], env=env)
    assert again.exit_code == 0 and "already filled" in again.output
