"""No two brands, mini programs or host apps may have names that can be mistaken for each other.

Users pick a brand card, read a consent screen or a mini program's title bar by its name;
an entry named like another (``Guссi`` with a Cyrillic ``с``, ``ＧＵＣＣＩ``, or simply the
same Chinese name) would pass for it. Each new or renamed entry's Chinese and English names
are compared with both names of every other entry of its kind (``confusables``), and the
first match refuses the change, naming the entry it would be mistaken for. An entry's own
names never count against it, so saving a form without renaming is always possible.

Kinds are compared separately: a mini program is usually named after its brand, and a brand
after its company's host app is no impersonation of anyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.platform.registry.confusables import name_keys
from miniport.platform.registry.errors import ConfusableName
from miniport.platform.registry.models import Brand, HostApp, MiniProgram

Entry = Brand | MiniProgram | HostApp

_LABELS: dict[type[Entry], str] = {
    Brand: "brand",
    MiniProgram: "mini program",
    HostApp: "host app",
}


@lru_cache(maxsize=4096)
def _keys(name: str) -> frozenset[str]:
    return name_keys(name)


def _others(session: Session, entry: Entry) -> Iterable[tuple[str, str, str]]:
    """(identifier, name_zh, name_en) of every other entry of ``entry``'s kind."""
    if isinstance(entry, Brand):
        brands = session.execute(select(Brand.id, Brand.slug, Brand.name_zh, Brand.name_en))
        return [(slug, zh, en) for id_, slug, zh, en in brands if id_ != entry.id]
    if isinstance(entry, MiniProgram):
        programs = session.execute(
            select(MiniProgram.appid, MiniProgram.name_zh, MiniProgram.name_en)
        )
        return [(appid, zh, en) for appid, zh, en in programs if appid != entry.appid]
    hosts = session.execute(
        select(HostApp.client_id, HostApp.slug, HostApp.name_zh, HostApp.name_en)
    )
    return [(slug, zh, en) for client_id, slug, zh, en in hosts if client_id != entry.client_id]


def check_distinct_names(session: Session, entry: Entry) -> None:
    """Raise ``ConfusableName`` if a name of ``entry`` can be mistaken for another entry's.

    ``entry`` carries its new, cleaned names; new entries are checked before they are
    added, changed ones before their change is flushed.
    """
    kind = _LABELS[type(entry)]
    wanted = [("name_zh", entry.name_zh), ("name_en", entry.name_en)]
    # The query must not flush a renamed entry first: its own row is told apart by its key.
    with session.no_autoflush:
        others = _others(session, entry)
    for field, name in wanted:
        keys = _keys(name)
        for identifier, *names in others:
            for existing in names:
                if not keys.isdisjoint(_keys(existing)):
                    raise ConfusableName(
                        f"{field} {name!r} can be mistaken for the {kind} {existing!r} "
                        f"({identifier}); choose a name that looks different",
                        field=field,
                        kind=kind,
                        existing_name=existing,
                        existing_id=identifier,
                    )
