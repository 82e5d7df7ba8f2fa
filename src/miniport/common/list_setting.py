"""Settings that hold a list, written in the environment the way operators write lists."""

from __future__ import annotations

from typing import Any


def split_list(value: Any) -> Any:
    """A pydantic ``mode="before"`` validator body: ``"a, b c"`` → ``["a", "b", "c"]``.

    A value starting with ``[`` is left for pydantic to parse as JSON, and anything that is
    not a string (a list given in code) passes unchanged.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return text
        return [part for part in text.replace(" ", ",").split(",") if part]
    return value
