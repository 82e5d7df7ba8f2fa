"""Errors the registry raises; ``str(error)`` is a message fit to show an operator.

::

    RegistryError               anything the registry refuses
    ├── InvalidRegistration     a value that breaks a registration rule (``field`` names it)
    │   └── ConfusableName      a name that can be mistaken for another entry's
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


class ConfusableName(InvalidRegistration):
    """A name that looks like another entry's (``registry.confusables``); ``existing_name``
    and ``existing_id`` name that entry, ``kind`` says what it is."""

    code = "confusable_name"

    def __init__(
        self, message: str, *, field: str, kind: str, existing_name: str, existing_id: str
    ) -> None:
        super().__init__(message, field=field)
        self.kind = kind
        self.existing_name = existing_name
        self.existing_id = existing_id
