"""Errors the registry raises; ``str(error)`` is a message fit to show an operator.

::

    RegistryError               anything the registry refuses
    ├── InvalidRegistration     a value that breaks a registration rule (``field`` names it)
    ├── AlreadyRegistered       a slug that is taken
    └── NotRegistered           an unknown brand, appid, client id or user
"""

from __future__ import annotations


class RegistryError(ValueError):
    """Something the registry refuses; ``str(error)`` is a message fit to show an operator."""

    code = "registry_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidRegistration(RegistryError):
    code = "invalid_registration"


class AlreadyRegistered(RegistryError):
    code = "already_registered"


class NotRegistered(RegistryError):
    code = "not_registered"
