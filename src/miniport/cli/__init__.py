"""The ``miniport`` command line: serve, migrate, register, rotate keys, run the demo."""

from miniport.cli.main import app

__all__ = ["app"]
