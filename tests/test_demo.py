"""``miniport demo``: the article's world in five databases, and five servers that start,
answer and stop together — none left behind, even when the demo itself is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from miniport.cli import app
from miniport.common.db import make_engine, make_sessionmaker
from miniport.demo import DemoError, DemoLayout, datadir, seed_world
from miniport.demo.layout import DEFAULT_PORTS, SERVICE_KEYS
from miniport.demo.processes import child_environment
from miniport.demo.services import SETTINGS
from miniport.demo.world import (
    HOST_PASSWORD,
    OPERATOR,
    PLATFORM_USER,
    STORE_OF_HOST,
    SeededWorld,
    host_config,
    platform_config,
    shop_config,
)
from miniport.host.accounts.models import User as HostUser
from miniport.host.accounts.passwords import PasswordHasher as HostHasher
from miniport.host.brand_accounts.models import BrandAccount
from miniport.host.settings import HostSettings
from miniport.platform.accounts.models import StaffMembership, StaffRole, User
from miniport.platform.atrest.columns import webhook_secret
from miniport.platform.ports.models import Port, PortTransition
from miniport.platform.registry.lookup import authenticate_host_app, authenticate_mini_program
from miniport.platform.registry.models import HostApp, MiniProgram
from miniport.platform.settings import PlatformSettings
from miniport.shop.catalog.models import Product
from miniport.shop.sessions.entry import MINI_PROGRAM_PAGES
from miniport.shop.settings import ShopSettings
from tests.support.servers import free_port

MINIPORT = Path(sys.executable).with_name("miniport")
SIX_BRANDS = {"gucci", "louis-vuitton", "burberry", "coach", "cartier", "celine"}


def free_layout(data_dir: Path, *, cheap_hashing: bool = True) -> DemoLayout:
    return DemoLayout(
        data_dir=data_dir,
        platform_port=free_port(),
        xiaohongshu_port=free_port(),
        jd_port=free_port(),
        gucci_port=free_port(),
        louis_vuitton_port=free_port(),
        cheap_hashing=cheap_hashing,
    )


@contextmanager
def database(world: SeededWorld, key: str) -> Iterator[Session]:
    engine = make_engine(world.service(key).settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SeededWorld:
    layout = free_layout(tmp_path_factory.mktemp("demo"))
    datadir.reset(layout.data_dir)
    return seed_world(layout)


# --- the seeded world --------------------------------------------------------------------------


def test_the_platform_knows_the_article_s_parties(world: SeededWorld) -> None:
    layout = world.layout
    platform_settings = world.service("platform").settings()
    assert isinstance(platform_settings, PlatformSettings)
    cipher = platform_settings.data_cipher()
    with database(world, "platform") as session:
        people = select(User.username, StaffMembership.role).outerjoin(
            StaffMembership, StaffMembership.user_id == User.id
        )
        roles = dict(session.execute(people).all())
        assert roles == {OPERATOR.username: StaffRole.OPERATOR.value, PLATFORM_USER.username: None}

        for slug, name in (("xiaohongshu", "小红书"), ("jd", "京东")):
            seeded = world.credentials.host(slug)
            host = session.get(HostApp, seeded.client_id)
            assert host is not None and host.name_zh == name
            assert host.redirect_uris == [layout.url(slug) + "/auth/callback"]
            assert host.webhook_url == layout.url(slug) + "/webhooks/platform"
            assert authenticate_host_app(session, seeded.client_id, seeded.client_secret)
            # The host app was given the very secret the platform signs its webhooks with.
            assert seeded.webhook_secret and seeded.webhook_secret.startswith("whsec_")
            assert world.service(slug).values["webhook_secret"] == seeded.webhook_secret
            # ... and keeps it only sealed, under the platform's at-rest key.
            assert host.webhook_secret and "whsec_" not in host.webhook_secret
            assert webhook_secret(cipher, host) == seeded.webhook_secret

        for slug, name in (("gucci", "GUCCI古驰线上旗舰店"), ("louis-vuitton", "LOUIS VUITTON")):
            seeded_mp = world.credentials.mini_program(slug)
            mini_program = session.get(MiniProgram, seeded_mp.appid)
            assert mini_program is not None and mini_program.name_zh.startswith(name)
            assert mini_program.entry_url == layout.url(slug) + "/mp/entry"
            assert tuple(mini_program.allowed_paths) == MINI_PROGRAM_PAGES
            assert authenticate_mini_program(session, seeded_mp.appid, seeded_mp.secret)
            assert world.service(slug).values["app_secret"] == seeded_mp.secret


def test_exactly_the_two_ports_of_the_story_are_open_by_the_operator(world: SeededWorld) -> None:
    hosts, stores = world.credentials.host, world.credentials.mini_program
    with database(world, "platform") as session:
        ports = {(port.client_id, port.appid): port.state for port in session.scalars(select(Port))}
        who = select(PortTransition.actor_kind, PortTransition.actor_id)
        movers = {tuple(row) for row in session.execute(who)}
    xiaohongshu_gucci = (hosts("xiaohongshu").client_id, stores("gucci").appid)
    jd_louis_vuitton = (hosts("jd").client_id, stores("louis-vuitton").appid)
    assert ports == {xiaohongshu_gucci: "open", jd_louis_vuitton: "open"}
    assert movers == {("operator", OPERATOR.username)}


def test_the_host_apps_link_their_brand_s_card_to_its_store(world: SeededWorld) -> None:
    appids = {slug: world.credentials.mini_program(slug).appid for slug in STORE_OF_HOST.values()}
    hasher = HostHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for host, linked in STORE_OF_HOST.items():
        with database(world, host) as session:
            accounts = {
                account.slug: account.mp_item for account in session.scalars(select(BrandAccount))
            }
            lin = session.scalar(
                select(HostUser).where(HostUser.username == PLATFORM_USER.username)
            )
        assert set(accounts) == SIX_BRANDS
        assert {slug: item for slug, item in accounts.items() if item} == {linked: appids[linked]}
        assert lin is not None and hasher.verify(lin.password_hash, HOST_PASSWORD)


def test_both_stores_have_a_catalogue(world: SeededWorld) -> None:
    for store in ("gucci", "louis-vuitton"):
        with database(world, store) as session:
            assert session.scalars(select(Product)).first() is not None
        assert world.store_summaries[store].boutiques > 0


def test_each_server_reads_exactly_the_settings_the_demo_seeded_with(
    world: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A person's shell pointing elsewhere must not reach a demo server.
    monkeypatch.setenv("MINIPORT_PLATFORM_DATABASE_URL", "postgresql+psycopg://prod/platform")
    monkeypatch.setenv("MINIPORT_HOST_BUS_URL", "redis://prod")
    for service in world.services:
        environment = child_environment(service)
        assert "MINIPORT_HOST_BUS_URL" not in environment
        with monkeypatch.context() as patched:
            for name in [name for name in os.environ if name.startswith("MINIPORT_")]:
                patched.delenv(name)
            for name, value in environment.items():
                if name.startswith("MINIPORT_"):
                    patched.setenv(name, value)
            from_env = SETTINGS[service.kind]()
        assert from_env.model_dump() == service.settings().model_dump(), service.key
        assert from_env.database_url.startswith(f"sqlite:///{world.layout.data_dir}")


def test_refresh_intervals_in_the_shell_reach_the_servers_and_nothing_else_does(
    world: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # How a test idles a demo past every interval in a minute; a database URL stays out.
    monkeypatch.setenv("MINIPORT_PLATFORM_KEYS_REFRESH_SECONDS", "2")
    monkeypatch.setenv("MINIPORT_PLATFORM_DATABASE_URL", "postgresql+psycopg://prod/platform")
    monkeypatch.setenv("MINIPORT_HOST_CHECK_CACHE_SECONDS", "3")
    monkeypatch.setenv("MINIPORT_SHOP_ORDER_REPORT_SECONDS", "4")
    layout, credentials = world.layout, world.credentials
    configs = {
        "platform": platform_config(layout),
        "xiaohongshu": host_config(layout, "xiaohongshu", credentials),
        "gucci": shop_config(layout, "gucci", credentials),
    }
    platform = configs["platform"].settings()
    assert isinstance(platform, PlatformSettings)
    assert platform.keys_refresh_seconds == 2
    assert platform.database_url.startswith(f"sqlite:///{layout.data_dir}")
    host = configs["xiaohongshu"].settings()
    assert isinstance(host, HostSettings) and host.check_cache_seconds == 3
    shop = configs["gucci"].settings()
    assert isinstance(shop, ShopSettings) and shop.order_report_seconds == 4
    environments = {key: child_environment(config) for key, config in configs.items()}
    assert environments["platform"]["MINIPORT_PLATFORM_KEYS_REFRESH_SECONDS"] == "2"
    assert environments["xiaohongshu"]["MINIPORT_HOST_CHECK_CACHE_SECONDS"] == "3"
    assert environments["gucci"]["MINIPORT_SHOP_ORDER_REPORT_SECONDS"] == "4"
    assert environments["platform"]["MINIPORT_PLATFORM_DATABASE_URL"].startswith("sqlite:///")
    assert "MINIPORT_HOST_CHECK_CACHE_SECONDS" not in environments["platform"]


def test_the_shops_name_the_host_apps_and_let_them_frame_the_store(world: SeededWorld) -> None:
    for store in ("gucci", "louis-vuitton"):
        values = world.service(store).values
        assert values["host_names"] == {
            world.credentials.host("xiaohongshu").client_id: "小红书",
            world.credentials.host("jd").client_id: "京东",
        }
        assert values["frame_ancestors"] == [
            world.layout.url("xiaohongshu"),
            world.layout.url("jd"),
        ]


# --- the data directory ------------------------------------------------------------------------


def test_reset_replaces_an_old_demo_but_refuses_someone_else_s_directory(tmp_path: Path) -> None:
    old_demo = tmp_path / "old"
    old_demo.mkdir()
    (old_demo / "platform.db").write_text("an old demo")
    (old_demo / "platform.db-wal").write_text("")
    datadir.reset(old_demo)
    assert sorted(path.name for path in old_demo.iterdir()) == [datadir.MARKER]

    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with pytest.raises(DemoError, match="thesis.tex"):
        datadir.reset(home)
    assert (home / "thesis.tex").read_text() == "years of work"


# --- the command -------------------------------------------------------------------------------


def test_the_default_ports_are_the_ones_the_services_use_on_their_own() -> None:
    assert DemoLayout().url("platform") == "http://127.0.0.1:8000"
    assert [DemoLayout().port(key) for key in SERVICE_KEYS] == list(DEFAULT_PORTS.values())
    assert DEFAULT_PORTS["xiaohongshu"] == 8100  # `miniport serve host`'s default port


def test_a_busy_port_is_refused_before_anything_is_deleted(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    datadir.reset(data_dir)
    (data_dir / "platform.db").write_text("a running demo's database")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # Every other port free: a demo running on the default ports (`make demo` in another
        # terminal) must not change what this one is told.
        others = {
            f"MINIPORT_DEMO_{key.upper().replace('-', '_')}_PORT": str(free_port())
            for key in SERVICE_KEYS
            if key != "jd"
        }
        result = CliRunner().invoke(
            app, ["demo", "--data-dir", str(data_dir), "--jd-port", str(port)], env=others
        )
    assert result.exit_code == 1
    assert f"port {port} (jd) on 127.0.0.1 is already in use" in result.stderr
    assert (data_dir / "platform.db").read_text() == "a running demo's database"


# --- the real thing: five processes --------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc, Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may contain spaces, so split after its ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody reaped (a container's init may not)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(0.1)


def start_demo(layout: DemoLayout, output: Path) -> subprocess.Popen[bytes]:
    """``miniport demo`` in its own process, every port chosen by the environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MINIPORT_")}
    env.update(
        MINIPORT_DEMO_DATA_DIR=str(layout.data_dir),
        MINIPORT_DEMO_PLATFORM_PORT=str(layout.platform_port),
        MINIPORT_DEMO_XIAOHONGSHU_PORT=str(layout.xiaohongshu_port),
        MINIPORT_DEMO_JD_PORT=str(layout.jd_port),
        MINIPORT_DEMO_GUCCI_PORT=str(layout.gucci_port),
        MINIPORT_DEMO_LOUIS_VUITTON_PORT=str(layout.louis_vuitton_port),
        COLUMNS="200",
    )
    with output.open("wb") as sink:
        return subprocess.Popen(
            [str(MINIPORT), "demo"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )


def wait_for_summary(demo: subprocess.Popen[bytes], output: Path) -> str:
    def printed() -> bool:
        if demo.poll() is not None:
            pytest.fail(f"miniport demo exited early:\n{output.read_text()}")
        return "Ctrl-C stops every service." in output.read_text()

    wait_until(printed, timeout=90, what="the demo printed its summary")
    return output.read_text()


@pytest.fixture
def layout(tmp_path: Path) -> DemoLayout:
    return free_layout(tmp_path / "demo", cheap_hashing=False)


def test_the_demo_serves_all_five_and_ctrl_c_stops_every_one(
    layout: DemoLayout, tmp_path: Path
) -> None:
    output = tmp_path / "demo.out"
    demo = start_demo(layout, output)
    try:
        summary = wait_for_summary(demo, output)
        servers = children_of(demo.pid)
        assert len(servers) == 5, servers

        for key in SERVICE_KEYS:
            assert layout.url(key) in summary
        assert httpx.get(layout.url("platform") + "/.well-known/openid-configuration").json()[
            "issuer"
        ] == layout.url("platform")
        for key in ("xiaohongshu", "jd", "gucci", "louis-vuitton"):
            assert httpx.get(layout.url(key) + "/").status_code == 200, key
        assert f"{PLATFORM_USER.username} / {PLATFORM_USER.password}" in summary

        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert "Demo stopped." in output.read_text()
    assert not [pid for pid in servers if alive(pid)]
    for key in SERVICE_KEYS:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", layout.port(key))) != 0, key


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_no_server_outlives_a_killed_demo(layout: DemoLayout, tmp_path: Path) -> None:
    output = tmp_path / "demo.out"
    demo = start_demo(layout, output)
    servers: list[int] = []
    try:
        wait_for_summary(demo, output)
        servers = children_of(demo.pid)
        assert len(servers) == 5, servers
        demo.kill()  # SIGKILL: the demo gets no chance to stop anything itself
        demo.wait()
        wait_until(
            lambda: not [pid for pid in servers if alive(pid)],
            timeout=20,
            what="every server exited after its parent was killed",
        )
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in servers:  # whatever failed above, leave no server behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
