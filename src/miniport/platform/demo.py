"""The platform's share of ``miniport demo``: register a world and open its ports.

``miniport.demo`` describes the article's world (names from the host and shop instances,
URLs from the ports it serves on) as a ``PlatformWorld`` value; ``seed`` registers it through
the same domain functions the CLI and the console use, and opens each port the way an
operator would: the host's application is recorded, then the operator approves it, so the
port's history and the audit log read like any other port's.

The passwords in a world are fixed on purpose so the walk-through can print them; they exist
only in the throw-away database under ``var/demo`` and are never used by anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.accounts.memberships import grant
from miniport.platform.accounts.models import StaffRole
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.accounts.users import create_user
from miniport.platform.atrest.cipher import DataCipher
from miniport.platform.atrest.columns import webhook_secret
from miniport.platform.ports.lifecycle import Reason, apply_for_port, approve
from miniport.platform.ports.states import Actor, ActorKind, PortState, ReasonCategory
from miniport.platform.registry.admin import (
    create_brand,
    create_host_app,
    create_mini_program,
)

# Who the audit log says registered the world: the platform itself, not a person.
SEEDER = Actor.system()

# --- what to register --------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSeed:
    username: str
    display_name: str
    password: str
    operator: bool = False


@dataclass(frozen=True)
class MiniProgramSeed:
    key: str  # how the rest of the world refers to it (the shop instance's slug)
    name_zh: str
    name_en: str
    entry_url: str
    allowed_paths: tuple[str, ...]
    icon_url: str = ""


@dataclass(frozen=True)
class BrandSeed:
    slug: str
    name_zh: str
    name_en: str
    mini_programs: tuple[MiniProgramSeed, ...] = ()


@dataclass(frozen=True)
class HostSeed:
    slug: str
    name_zh: str
    name_en: str
    redirect_uris: tuple[str, ...]
    webhook_url: str | None = None
    logo_url: str = ""


@dataclass(frozen=True)
class PortSeed:
    """A port to open: host ``host_slug`` may run the mini program ``mini_program_key``."""

    host_slug: str
    mini_program_key: str
    reason: str


@dataclass(frozen=True)
class PlatformWorld:
    people: tuple[PersonSeed, ...]
    brands: tuple[BrandSeed, ...]
    hosts: tuple[HostSeed, ...]
    ports: tuple[PortSeed, ...] = ()


# --- what registering it produced --------------------------------------------------------------


@dataclass(frozen=True)
class SeededMiniProgram:
    key: str
    brand_slug: str
    name_zh: str
    name_en: str
    appid: str
    secret: str
    entry_url: str


@dataclass(frozen=True)
class SeededHost:
    slug: str
    name_zh: str
    name_en: str
    client_id: str
    client_secret: str
    webhook_secret: str | None
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class SeededPort:
    id: int
    host_slug: str
    mini_program_key: str
    state: str


@dataclass(frozen=True)
class PlatformCredentials:
    """What seeding generated: the secrets the other services need, shown once."""

    people: tuple[PersonSeed, ...]
    mini_programs: tuple[SeededMiniProgram, ...]
    hosts: tuple[SeededHost, ...]
    ports: tuple[SeededPort, ...]

    def host(self, slug: str) -> SeededHost:
        return next(host for host in self.hosts if host.slug == slug)

    def mini_program(self, key: str) -> SeededMiniProgram:
        return next(mp for mp in self.mini_programs if mp.key == key)

    def operator(self) -> PersonSeed:
        return next(person for person in self.people if person.operator)


def seed(
    session: Session, hasher: PasswordHasher, world: PlatformWorld, *, cipher: DataCipher
) -> PlatformCredentials:
    """Register ``world`` and open its ports (flushed only; the caller commits).

    ``cipher`` seals the webhook secrets of hosts registered with a webhook URL.

    Registrations are audited as the platform's own (``Actor.system()``): nobody clicked them.
    """
    for person in world.people:
        user = create_user(
            session,
            hasher,
            username=person.username,
            display_name=person.display_name,
            password=person.password,
        )
        if person.operator:
            grant(session, username=user.username, role=StaffRole.OPERATOR, actor=SEEDER)
    mini_programs = _register_brands(session, world.brands)
    hosts = _register_hosts(session, world.hosts, cipher)
    ports: list[SeededPort] = []
    if world.ports:
        operators = [person.username for person in world.people if person.operator]
        if not operators:
            raise ValueError("opening ports needs an operator among the world's people")
        ports = _open_ports(
            session,
            world.ports,
            operator=Actor(ActorKind.OPERATOR, operators[0]),
            client_ids={host.slug: host.client_id for host in hosts},
            appids={mp.key: mp.appid for mp in mini_programs},
        )
    return PlatformCredentials(
        people=world.people,
        mini_programs=tuple(mini_programs),
        hosts=tuple(hosts),
        ports=tuple(ports),
    )


def _register_brands(session: Session, brands: Sequence[BrandSeed]) -> list[SeededMiniProgram]:
    seeded: list[SeededMiniProgram] = []
    for brand_seed in brands:
        brand = create_brand(
            session,
            slug=brand_seed.slug,
            name_zh=brand_seed.name_zh,
            name_en=brand_seed.name_en,
            actor=SEEDER,
        )
        for mp_seed in brand_seed.mini_programs:
            mini_program, secret = create_mini_program(
                session,
                brand_id=brand.id,
                name_zh=mp_seed.name_zh,
                name_en=mp_seed.name_en,
                entry_url=mp_seed.entry_url,
                allowed_paths=mp_seed.allowed_paths,
                icon_url=mp_seed.icon_url,
                actor=SEEDER,
            )
            seeded.append(
                SeededMiniProgram(
                    key=mp_seed.key,
                    brand_slug=brand.slug,
                    name_zh=mini_program.name_zh,
                    name_en=mini_program.name_en,
                    appid=mini_program.appid,
                    secret=secret,
                    entry_url=mini_program.entry_url,
                )
            )
    return seeded


def _register_hosts(
    session: Session, hosts: Sequence[HostSeed], cipher: DataCipher
) -> list[SeededHost]:
    seeded: list[SeededHost] = []
    for host_seed in hosts:
        host, secret = create_host_app(
            session,
            slug=host_seed.slug,
            name_zh=host_seed.name_zh,
            name_en=host_seed.name_en,
            redirect_uris=host_seed.redirect_uris,
            logo_url=host_seed.logo_url,
            webhook_url=host_seed.webhook_url,
            cipher=cipher,
            actor=SEEDER,
        )
        seeded.append(
            SeededHost(
                slug=host.slug,
                name_zh=host.name_zh,
                name_en=host.name_en,
                client_id=host.client_id,
                client_secret=secret,
                # Generated with the webhook URL; this is its one showing, for the host's config.
                webhook_secret=webhook_secret(cipher, host),
                redirect_uris=tuple(host.redirect_uris),
            )
        )
    return seeded


def _open_ports(
    session: Session,
    ports: Sequence[PortSeed],
    *,
    operator: Actor,
    client_ids: dict[str, str],
    appids: dict[str, str],
) -> list[SeededPort]:
    seeded: list[SeededPort] = []
    now = utcnow()
    for port_seed in ports:
        port = apply_for_port(
            session,
            client_id=client_ids[port_seed.host_slug],
            appid=appids[port_seed.mini_program_key],
            reason_text=port_seed.reason,
            actor=operator,
            now=now,
        )
        if port.state != PortState.OPEN:  # the brand's policy may have approved it already
            approve(
                session,
                port.id,
                actor=operator,
                reason=Reason(ReasonCategory.OTHER, port_seed.reason),
                now=now,
            )
        seeded.append(
            SeededPort(
                id=port.id,
                host_slug=port_seed.host_slug,
                mini_program_key=port_seed.mini_program_key,
                state=port.state,
            )
        )
    return seeded
