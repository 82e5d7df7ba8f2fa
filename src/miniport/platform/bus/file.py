"""The change bus for SQLite deployments: an append-only file beside the database.

SQLite has no LISTEN/NOTIFY, yet a SQLite platform still has several processes touching one
database: uvicorn workers, and the ``miniport`` CLI an operator uses to close a port. Each
publish appends one short line to ``<database>-bus``; every listener polls the file's size
(one ``stat`` every 20 ms, no database query) and reads what was appended since.

Writes use ``O_APPEND``, which the kernel applies atomically for writes this small, so lines
from concurrent publishers never interleave. The file is cut back to empty when it passes
a size limit; a listener that sees the file shrink reloads every topic, because it cannot
know what it missed — the same rule the other buses follow after a reconnect.
"""

from __future__ import annotations

import os
from pathlib import Path

from miniport.platform.bus.remote import RemoteBus

POLL_SECONDS = 0.02
MAX_BYTES = 1 << 20


class FileBus(RemoteBus):
    kind = "file"

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)

    def _listen_once(self) -> None:
        with self.path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            position = handle.tell()
            self._subscribed()
            pending = b""
            while not self.stopping:
                size = self.path.stat().st_size
                if size < position:
                    # Cut back by a publisher: start over and reload everything.
                    handle.seek(0)
                    position, pending = 0, b""
                    self._subscribed()
                    continue
                if size == position:
                    if self._stopping.wait(POLL_SECONDS):
                        return
                    continue
                handle.seek(position)
                chunk = handle.read(size - position)
                position += len(chunk)
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()  # an unfinished line waits for its newline
                for line in lines:
                    if line:
                        self._heard(line.decode("utf-8", "replace"))

    def _send(self, payload: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size > MAX_BYTES:
                os.ftruncate(fd, 0)
            os.write(fd, payload.encode("utf-8") + b"\n")
        finally:
            os.close(fd)

    def _close_sender(self) -> None:
        return None
