"""Inputs for the issue-3 endpoints: users, run tickets and single-use launch codes.

Everything is made through the platform's domain functions, in this process, on the
benchmark's database, while the server runs (between runs, never during one):

- ``USERS`` users, each with a run ticket covering every mini program of the seeded brand
  (``grants.issuance.mint_user_tokens``, what the token endpoint does after consent);
- launch codes for ``jscode2session`` through ``launch.plan_launch`` and
  ``launch.issue_code``, what ``POST /wxa/launch`` does. A code is single use, so every
  request of a run needs its own: they are made in bulk before each run and fed to wrk from
  a file (``lua/requests.lua``).

``jscode2session`` allows 100 exchanges per user and mini program a minute, so codes are
spread round-robin over every (user, mini program) pair.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.seed import Seeded
from miniport.common.clock import utcnow
from miniport.common.tokens import new_secret
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.accounts.users import create_user
from miniport.platform.miniprogram_api import launch
from miniport.platform.miniprogram_api.context import ApiContext
from miniport.platform.oauth.grants import GrantContext
from miniport.platform.oauth.grants.issuance import mint_user_tokens
from miniport.platform.runtime import PlatformRuntime

USERS = 200
PATH = "/pages/index"
CODES_PER_TRANSACTION = 500


@dataclass(frozen=True)
class Ticket:
    user_id: int
    user_key: str
    value: str


def _api_context(runtime: PlatformRuntime) -> ApiContext:
    return ApiContext(
        mini_programs=runtime.mp_directory,
        ports=runtime.ports,
        run_tickets=runtime.tokens,
        read_engine=runtime.read_engine,
        access_tokens=runtime.mp_tokens,
        identifiers=runtime.identifiers,
        exchange_limiter=runtime.mp_exchange_limiter,
        base_url=runtime.settings.base_url,
        now=utcnow(),
    )


def make_tickets(runtime: PlatformRuntime, seeded: Seeded) -> list[Ticket]:
    """``USERS`` users and one run ticket each, covering all the seeded mini programs."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    host = runtime.host_apps.get(seeded.client_id)
    assert host is not None
    details = [{"type": "miniprogram_run", "appid": appid, "path": PATH} for appid in seeded.appids]
    tickets = []
    with runtime.sessions() as session, session.begin():
        now = utcnow()
        context = GrantContext(
            issuer=runtime.issuer, keyring=runtime.keyring, identifiers=runtime.identifiers, now=now
        )
        for number in range(USERS):
            user = create_user(
                session,
                hasher,
                username=f"bench{number}",
                display_name=f"Bench {number}",
                password=new_secret(),
            )
            issued = mint_user_tokens(
                session,
                context,
                host=host,
                user_id=user.id,
                family=new_secret(16),
                scope="openid miniprogram",
                details=details,
                auth_time=now,
                nonce=None,
            )
            tickets.append(Ticket(user.id, f"host-user-{number}", issued.access_token))
    return tickets


def _pairs(tickets: list[Ticket], seeded: Seeded) -> Iterator[tuple[Ticket, int]]:
    """(ticket, mini program index), every user before any user repeats a mini program."""
    for app_index in itertools.cycle(range(len(seeded.appids))):
        for ticket in tickets:
            yield ticket, app_index


def write_launch_requests(path: Path, tickets: list[Ticket], seeded: Seeded, count: int) -> Path:
    """``count`` launch requests (a ticket may launch again and again; each gets a new code)."""
    with path.open("w") as out:
        for ticket, app_index in itertools.islice(_pairs(tickets, seeded), count):
            query = urlencode({"access_token": ticket.value})
            body = json.dumps(
                {"appid": seeded.appids[app_index], "path": PATH, "user_key": ticket.user_key},
                separators=(",", ":"),
            )
            out.write(f"POST\t/wxa/launch?{query}\t{body}\n")
    return path


def write_jscode2session_requests(
    path: Path, runtime: PlatformRuntime, tickets: list[Ticket], seeded: Seeded, count: int
) -> Path:
    """``count`` exchanges, each with a fresh launch code made by the launch domain code."""
    pairs = _pairs(tickets, seeded)
    with path.open("w") as out:
        for start in range(0, count, CODES_PER_TRANSACTION):
            context = _api_context(runtime)
            batch = list(itertools.islice(pairs, min(CODES_PER_TRANSACTION, count - start)))
            with runtime.sessions() as session, session.begin():
                connection = session.connection()
                ports_read: dict[tuple[int, str], launch.PortRead] = {}
                for ticket, app_index in batch:
                    appid = seeded.appids[app_index]
                    plan = launch.plan_launch(
                        context,
                        access_token=ticket.value,
                        request=launch.LaunchRequest(
                            appid=appid, path=PATH, query=None, user_key=ticket.user_key
                        ),
                    )
                    issued = launch.issue_code(connection, plan, ports_read=ports_read)
                    query = urlencode(
                        {
                            "appid": appid,
                            "secret": seeded.app_secrets[app_index],
                            "js_code": issued.code,
                            "grant_type": "authorization_code",
                        }
                    )
                    out.write(f"GET\t/sns/jscode2session?{query}\t\n")
    return path
