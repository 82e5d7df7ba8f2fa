"""The change bus over Redis pub/sub.

For deployments that already run Redis (for rate limits, say) or whose database is not
PostgreSQL. Redis pub/sub is fire-and-forget exactly like ``NOTIFY``: a subscriber that is
disconnected misses messages, so every (re)subscription reloads every topic (see
``remote``). redis-py may itself reconnect and re-subscribe a pub/sub connection; that shows
up as a fresh ``subscribe`` confirmation, which is handled the same way.
"""

from __future__ import annotations

import redis

from miniport.platform.bus.remote import HEALTH_CHECK_INTERVAL, POLL_INTERVAL, RemoteBus


class RedisBus(RemoteBus):
    kind = "redis"

    def __init__(self, url: str, *, channel: str) -> None:
        super().__init__(channel)
        self._url = url
        self._sender: redis.Redis | None = None

    def _client(self, name: str) -> redis.Redis:
        return redis.Redis.from_url(
            self._url,
            client_name=name,
            socket_connect_timeout=5,
            socket_keepalive=True,
            # Pings an idle connection, so a peer that vanished silently is noticed.
            health_check_interval=int(HEALTH_CHECK_INTERVAL),
        )

    def _listen_once(self) -> None:
        # Named per bus, so an operator can tell workers apart in CLIENT LIST.
        client = self._client(f"miniport-bus-listener-{self.origin}")
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            while not self.stopping:
                message = pubsub.get_message(timeout=POLL_INTERVAL)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self._subscribed()
                elif message["type"] == "message":
                    data = message["data"]
                    self._heard(data.decode("utf-8") if isinstance(data, bytes) else str(data))
        finally:
            pubsub.close()
            client.close()

    def _send(self, payload: str) -> None:
        if self._sender is None:
            self._sender = self._client(f"miniport-bus-publisher-{self.origin}")
        # The client's own retry policy reconnects a dropped connection.
        self._sender.publish(self.channel, payload)

    def _close_sender(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None
