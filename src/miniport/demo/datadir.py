"""The demo's data directory: deleted and made afresh at every start, but only if it is ours.

``--data-dir`` is a path a person types; a slip (``--data-dir ~``) must not delete their
files. A directory is deleted only when the demo made it (its marker file is there) or when
it holds nothing but what a demo leaves behind (an older demo's databases and secrets).
"""

from __future__ import annotations

import shutil
from fnmatch import fnmatch
from pathlib import Path

from miniport.demo.errors import DemoError

MARKER = ".miniport-demo"
# SQLite files and their companions (-wal, -shm, …), generated secrets, the servers' logs.
DEMO_FILES = ("*.db", "*.db-*", "*.secret", "*.tmp", "logs", MARKER)


def reset(data_dir: Path) -> None:
    """Delete ``data_dir`` if it is a demo's, then create it empty with the demo's marker."""
    if data_dir.exists() or data_dir.is_symlink():
        if not data_dir.is_dir() or data_dir.is_symlink():
            raise DemoError(f"{data_dir} is not a directory the demo can use; pass --data-dir")
        if not (data_dir / MARKER).exists():
            strangers = sorted(
                entry.name
                for entry in data_dir.iterdir()
                if not any(fnmatch(entry.name, pattern) for pattern in DEMO_FILES)
            )
            if strangers:
                shown = ", ".join(strangers[:5]) + (" …" if len(strangers) > 5 else "")
                raise DemoError(
                    f"{data_dir} holds files the demo did not make ({shown}); refusing to "
                    "delete it. Pass another --data-dir."
                )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("Made by `miniport demo`; deleted at its next start.\n")
