"""Which change bus a worker gets from its settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from miniport.platform.bus import InProcessBus
from miniport.platform.bus.factory import bus_kind, make_bus
from miniport.platform.bus.file import FileBus
from miniport.platform.bus.postgres import PostgresBus, psycopg_dsn
from miniport.platform.bus.redis import RedisBus
from tests.conftest import make_platform_settings

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/miniport"


@pytest.mark.parametrize(
    ("database_url", "bus_url", "kind", "cls"),
    [
        ("", "", "file", FileBus),
        ("sqlite:///:memory:", "", "inprocess", InProcessBus),
        ("", "inprocess", "inprocess", InProcessBus),
        (PG, "", "postgres", PostgresBus),
        (PG, "inprocess", "inprocess", InProcessBus),
        ("", "redis://127.0.0.1:6379/0", "redis", RedisBus),
        (PG, "redis://127.0.0.1:6379/0", "redis", RedisBus),
        ("", "postgresql://postgres@127.0.0.1/bus", "postgres", PostgresBus),
    ],
)
def test_make_bus_picks(
    tmp_path: Path, database_url: str, bus_url: str, kind: str, cls: type
) -> None:
    settings = make_platform_settings(tmp_path, database_url=database_url, bus_url=bus_url)
    assert bus_kind(settings) == kind
    bus = make_bus(settings)
    try:
        assert isinstance(bus, cls)
        if isinstance(bus, FileBus):
            assert bus.path == tmp_path / "platform.db-bus"
        elif not isinstance(bus, InProcessBus):
            assert bus.channel == "miniport_changes"
    finally:
        bus.stop()


def test_bad_bus_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="bus_url"):
        make_platform_settings(tmp_path, bus_url="kafka://broker")
    with pytest.raises(ValidationError, match="bus_channel"):
        make_platform_settings(tmp_path, bus_channel="changes; DROP TABLE ports")
    assert make_platform_settings(tmp_path, bus_channel="team_a_changes").bus_channel == (
        "team_a_changes"
    )


def test_psycopg_dsn_drops_the_sqlalchemy_driver_name() -> None:
    assert psycopg_dsn(PG) == "postgresql://postgres@127.0.0.1:5432/miniport"
    assert psycopg_dsn("postgres://u:p%40ss@db/x?sslmode=require") == (
        "postgresql://u:p%40ss@db/x?sslmode=require"
    )
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        psycopg_dsn("sqlite:///x.db")


def test_the_in_process_bus_refuses_unknown_topics() -> None:
    bus = InProcessBus()
    heard: list[str] = []
    bus.subscribe(heard.append)
    bus.publish("ports")
    assert heard == ["ports"]
    with pytest.raises(ValueError, match="unknown bus topic"):
        bus.publish("everything")
