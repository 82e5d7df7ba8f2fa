"""``miniport demo``: the article's world — platform, two host apps, two stores — on loopback.

``run`` is the command; ``running_demo`` the same start-up as a context manager; ``seed_world``
only the seeding, into a data directory of the caller's choice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from miniport.demo.errors import DemoError
    from miniport.demo.layout import DemoLayout
    from miniport.demo.runner import RunningDemo, run, running_demo
    from miniport.demo.world import SeededWorld, seed_world

# Re-exported on first use, not at import: every demo server process starts as
# ``python -m miniport.demo.child``, which imports this package first. Eager imports would
# load all five services' code into each server and make runpy warn about a module it is
# about to run having been imported already.
_EXPORTS = {
    "DemoError": "miniport.demo.errors",
    "DemoLayout": "miniport.demo.layout",
    "RunningDemo": "miniport.demo.runner",
    "run": "miniport.demo.runner",
    "running_demo": "miniport.demo.runner",
    "SeededWorld": "miniport.demo.world",
    "seed_world": "miniport.demo.world",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = [
    "DemoError",
    "DemoLayout",
    "RunningDemo",
    "SeededWorld",
    "run",
    "running_demo",
    "seed_world",
]
