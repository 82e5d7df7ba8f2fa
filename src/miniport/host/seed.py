"""Filling a fresh host database with an instance's demo content (``seed_data``).

The demo decides which brand accounts carry a mini-program link (小红书: Gucci's online
flagship store; 京东: Louis Vuitton's store) and passes the platform's URL link or appid,
since those exist only once the platform has been seeded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker, unit_of_work
from miniport.common.migrate import upgrade
from miniport.host.accounts.models import User
from miniport.host.accounts.passwords import PasswordHasher
from miniport.host.accounts.users import create_user
from miniport.host.brand_accounts.accounts import create_brand_account
from miniport.host.notes.notes import create_note
from miniport.host.seed_data import BRANDS, NOTES, PEOPLE
from miniport.host.settings import HostSettings

# The brand whose account carries a store link in each instance, as the story has it.
LINKED_BRAND = {"xiaohongshu": "gucci", "jd": "louis-vuitton"}


class SeedError(ValueError):
    """The database or the arguments do not allow seeding."""


@dataclass(frozen=True, slots=True)
class MiniProgramLink:
    """A platform URL link (``path`` unused), or an appid with the page to open."""

    item: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class SeedReport:
    instance: str
    usernames: tuple[str, ...]
    brand_slugs: tuple[str, ...]
    linked: dict[str, str]
    notes: int


def seed_instance(
    session: Session,
    hasher: PasswordHasher,
    *,
    instance: str,
    password: str,
    mp_links: Mapping[str, MiniProgramLink | str] | None = None,
    now: dt.datetime | None = None,
) -> SeedReport:
    """Add the people, brand accounts and notes of ``instance`` (``xiaohongshu`` or ``jd``).

    ``mp_links`` maps a brand slug (``gucci``, ``louis-vuitton`` …) to its mini-program link.
    Every person gets ``password``. Flushes; the caller commits. Refuses a non-empty
    database, so a demo never mixes two worlds.
    """
    if instance not in PEOPLE:
        raise SeedError(f"unknown instance {instance!r}; known: {sorted(PEOPLE)}")
    if session.scalar(select(User.id).limit(1)) is not None:
        raise SeedError("the host database already has users; seed a fresh one")
    links = {
        slug: link if isinstance(link, MiniProgramLink) else MiniProgramLink(link)
        for slug, link in (mp_links or {}).items()
    }
    unknown = set(links) - {brand.slug for brand in BRANDS}
    if unknown:
        raise SeedError(f"no brand account {sorted(unknown)} to link")
    now = now or utcnow()

    people: dict[str, int] = {}
    for person in PEOPLE[instance]:
        user = create_user(
            session,
            hasher,
            username=person.username,
            display_name=person.display_name,
            password=password,
            bio=person.bio,
        )
        people[person.username] = user.id
    accounts: dict[str, int] = {}
    for brand in BRANDS:
        link = links.get(brand.slug)
        account = create_brand_account(
            session,
            slug=brand.slug,
            name_zh=brand.name_zh,
            name_en=brand.name_en,
            aliases=brand.aliases,
            bio_zh=brand.bio_zh,
            bio_en=brand.bio_en,
            followers=brand.followers.get(instance, 0),
            color=brand.color,
            monogram=brand.monogram,
            mp_item=link.item if link else None,
            mp_path=link.path if link else None,
        )
        accounts[brand.slug] = account.id
    for note in NOTES[instance]:
        by_brand = note.author.startswith("@")
        create_note(
            session,
            title=note.title,
            body=note.body,
            cover_caption=note.caption,
            cover_shape=note.shape,
            cover_palette=note.palette,
            likes=note.likes,
            comments=note.comments,
            author_user_id=None if by_brand else people[note.author],
            author_account_id=accounts[note.author[1:]] if by_brand else None,
            created_at=now - dt.timedelta(hours=note.hours_ago),
        )
    return SeedReport(
        instance=instance,
        usernames=tuple(people),
        brand_slugs=tuple(accounts),
        linked={slug: link.item for slug, link in links.items()},
        notes=len(NOTES[instance]),
    )


def seed_database(
    settings: HostSettings,
    *,
    password: str,
    mp_links: Mapping[str, MiniProgramLink | str] | None = None,
    instance: str | None = None,
) -> SeedReport:
    """Migrate ``settings.database_url`` to the newest schema and seed it in one transaction.

    ``instance`` defaults to the settings' slug.
    """
    upgrade("host", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        )
        with unit_of_work(make_sessionmaker(engine)) as session:
            return seed_instance(
                session,
                hasher,
                instance=instance or settings.slug,
                password=password,
                mp_links=mp_links,
            )
    finally:
        engine.dispose()
