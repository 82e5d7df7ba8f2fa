"""Who a changing command acts as, for the audit log: ``--actor``, else ``cli:<OS user>``.

Registry, key, membership and webhook commands record their changes in the audit log exactly
as the console does for the same change; the person behind a command line is an operator-kind
actor. The name is not checked against the platform's accounts (a deploy script has none): it
is what the log shows, so set ``--actor`` when the OS user name would not say who it was.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from miniport.platform.audit.chain import acting_as
from miniport.platform.ports.states import Actor, ActorKind
from miniport.platform.registry.errors import InvalidRegistration

# The audit log keeps at most this much of an actor's id.
MAX_ACTOR = 64

ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who makes the change, as the audit log records it (an operator). "
        "Default: cli:<your OS user name>.",
    ),
]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor in the user database
        return "unknown"


def command_actor(name: str | None) -> Actor:
    """The operator-kind actor for ``--actor`` (``None``: the default)."""
    value = (f"cli:{_os_user()}" if name is None else name).strip()
    if not value or len(value) > MAX_ACTOR or not value.isprintable():
        raise InvalidRegistration(
            f"--actor must be 1-{MAX_ACTOR} printable characters", field="actor"
        )
    return Actor(ActorKind.OPERATOR, value)


def acting(session: Session, name: str | None) -> Actor:
    """``command_actor``, also named as the person acting in the entries ``session`` writes.

    The console does the same for a signed-in operator (``actor_user``), so filtering the
    log by ``cli:alice`` finds her command-line changes.
    """
    actor = command_actor(name)
    acting_as(session, actor.id)
    return actor
