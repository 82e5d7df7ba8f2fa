"""The PostgreSQL and Redis buses on the real servers: delivery, no echo, reconnecting."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
import redis

from miniport.platform.bus import TOPICS
from miniport.platform.bus.postgres import PostgresBus, psycopg_dsn
from miniport.platform.bus.redis import RedisBus
from miniport.platform.bus.remote import RemoteBus


@dataclass
class Heard:
    """What one bus's listener was called with, and from which thread."""

    topics: list[str] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  # how long a "reload" takes

    def __call__(self, topic: str) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.topics.append(topic)
            self.threads.append(threading.current_thread().name)

    def wait_for(self, wanted: set[str], timeout: float = 3.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if wanted <= set(self.topics):
                    return True
            time.sleep(0.005)
        return False

    def clear(self) -> None:
        with self.lock:
            self.topics.clear()
            self.threads.clear()


@dataclass
class Server:
    """How to make a bus on one server, and how to cut a listener's connection there."""

    make: Callable[[], RemoteBus]
    kill_listener: Callable[[RemoteBus], None]
    send_raw: Callable[[str], None]


def _postgres(url: str, channel: str) -> Server:
    dsn = psycopg_dsn(url)

    def kill(bus: RemoteBus) -> None:
        with psycopg.connect(dsn, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (f"miniport-bus-listener-{bus.origin}",),
            ).fetchall()
        assert killed == [(True,)]

    def send_raw(payload: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as sender:
            sender.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    return Server(lambda: PostgresBus(url, channel=channel), kill, send_raw)


def _redis(url: str, channel: str) -> Server:
    def kill(bus: RemoteBus) -> None:
        with redis.Redis.from_url(url) as admin:
            name = f"miniport-bus-listener-{bus.origin}"
            clients = [c for c in admin.client_list() if c.get("name") == name]
            assert len(clients) == 1
            admin.client_kill_filter(_id=clients[0]["id"])

    def send_raw(payload: str) -> None:
        with redis.Redis.from_url(url) as sender:
            sender.publish(channel, payload)

    return Server(lambda: RedisBus(url, channel=channel), kill, send_raw)


@pytest.fixture(
    params=[
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("redis", marks=pytest.mark.redis),
    ]
)
def server(request: pytest.FixtureRequest) -> Server:
    # A channel per test: several test runs may share the Redis server.
    channel = f"miniport_test_{uuid.uuid4().hex[:12]}"
    if request.param == "postgres":
        return _postgres(request.getfixturevalue("postgres_url"), channel)
    return _redis(request.getfixturevalue("redis_url"), channel)


@pytest.fixture
def buses(server: Server) -> Iterator[Callable[[], tuple[RemoteBus, Heard]]]:
    made: list[RemoteBus] = []

    def start() -> tuple[RemoteBus, Heard]:
        bus = server.make()
        heard = Heard()
        bus.subscribe(heard)
        bus.start()
        made.append(bus)
        assert bus.wait_connected(5)
        # Subscribing reloads every topic once (nothing missed before we listened).
        assert heard.wait_for(set(TOPICS))
        heard.clear()
        return bus, heard

    yield start
    for bus in made:
        bus.stop()


def test_publish_reaches_this_worker_at_once_and_the_others_once(
    buses: Callable[[], tuple[RemoteBus, Heard]],
) -> None:
    a, heard_a = buses()
    b, heard_b = buses()
    a.publish("ports")
    # Synchronously, in the publishing thread: the caller's snapshot is already rebuilt.
    assert heard_a.topics == ["ports"]
    assert heard_a.threads == [threading.current_thread().name]
    assert heard_b.wait_for({"ports"}, timeout=1.0)
    time.sleep(0.3)
    assert heard_a.topics == ["ports"]  # its own echo is skipped
    assert heard_b.topics == ["ports"]
    with pytest.raises(ValueError, match="unknown bus topic"):
        a.publish("bogus")


def test_a_burst_is_coalesced_but_never_lost(
    buses: Callable[[], tuple[RemoteBus, Heard]],
) -> None:
    a, _heard_a = buses()
    _b, heard_b = buses()
    heard_b.delay = 0.05  # a slow reload, as with a large snapshot
    for _ in range(200):
        a.publish("ports")
    a.publish("tokens")
    assert heard_b.wait_for({"ports", "tokens"}, timeout=3.0)
    time.sleep(0.3)
    # Messages arriving during a reload merge into one more reload, not one each.
    assert 1 <= heard_b.topics.count("ports") < 20, heard_b.topics


def test_after_a_lost_connection_every_topic_is_reloaded(
    server: Server, buses: Callable[[], tuple[RemoteBus, Heard]]
) -> None:
    a, _ = buses()
    b, heard_b = buses()
    server.kill_listener(b)
    # Published while b may be disconnected: the message itself can be lost...
    a.publish("keys")
    # ...but b reloads everything once it is subscribed again.
    assert heard_b.wait_for(set(TOPICS), timeout=5.0), heard_b.topics
    assert b.wait_connected(5)
    heard_b.clear()
    a.publish("ports")
    assert heard_b.wait_for({"ports"}, timeout=1.0)


def test_foreign_messages_are_ignored(
    server: Server, buses: Callable[[], tuple[RemoteBus, Heard]]
) -> None:
    a, heard_a = buses()
    server.send_raw("someone/not-a-topic")
    server.send_raw("garbage")
    server.send_raw(f"{a.origin}/ports")  # looks like our own echo: skipped
    server.send_raw("other-worker/registry")
    assert heard_a.wait_for({"registry"}, timeout=1.0)
    time.sleep(0.2)
    assert heard_a.topics == ["registry"]


def test_stop_ends_the_threads(buses: Callable[[], tuple[RemoteBus, Heard]]) -> None:
    bus, _ = buses()
    names = {f"miniport-{bus.kind}-bus-listen", f"miniport-{bus.kind}-bus-dispatch"}
    assert names <= {thread.name for thread in threading.enumerate()}
    started = time.monotonic()
    bus.stop()
    assert time.monotonic() - started < 2
    assert not names & {thread.name for thread in threading.enumerate()}
