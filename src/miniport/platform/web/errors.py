"""Maps each error family to its response format, once."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Register the exception handlers (filled in by the OAuth work)."""
