"""``decide`` alone, in process: port decisions per second on one core.

The snapshot is built with the same ``make_rule`` the platform uses. Four cases, because they
take different paths through ``decide``:

- fixed-decision ports (open to everyone, or not open at all): a dict lookup and the
  precomputed answer; the user key is not looked at, so unique and repeated keys should cost
  the same;
- partial-rollout ports (50 %): one seeded XXH3 hash of the user key per decision, nothing
  memoised, so unique and repeated keys should again cost about the same (unique keys also
  pay for hashing a string never hashed before).

Each case is timed over a pre-built list of arguments, loop overhead included: that is what
a caller pays. The figure is the median of ``REPEATS`` passes.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from miniport.platform.ports.decision import PortRule, PortSnapshot, decide, make_rule

HOSTS = 100
MINI_PROGRAMS = 1000  # 100 × 1000 = 100,000 ports, as in the snapshot-size target
CALLS = 1_000_000
REPEATED_KEYS = 1_000
REPEATS = 5


@dataclass(frozen=True)
class DecideResult:
    case: str
    per_second: float
    opened: int  # decisions that came out open, so a broken case shows


def _snapshot(rollout_percent: int) -> PortSnapshot:
    rules: dict[tuple[str, str], PortRule] = {}
    port_id = 0
    for host in range(HOSTS):
        for app in range(MINI_PROGRAMS):
            port_id += 1
            rules[(f"hc{host:016x}", f"wx{app:016x}")] = make_rule(
                port_id=port_id,
                state="open",
                rollout_percent=rollout_percent,
                allow_list=frozenset(),
                trial_ends_at=None,
                host_suspended=False,
            )
    return PortSnapshot.of(rules, built_at=time.time())


def _cases(*, unique_keys: bool, round_: int) -> list[tuple[str, str, str]]:
    cases = []
    for number in range(CALLS):
        host, app = number % HOSTS, (number * 7919) % MINI_PROGRAMS
        # Unique keys stay unique across rounds too, so no round reuses strings whose hash
        # Python has already cached.
        key = f"user-{round_}-{number}" if unique_keys else f"user-{number % REPEATED_KEYS}"
        cases.append((f"hc{host:016x}", f"wx{app:016x}", key))
    return cases


def _pass(snapshot: PortSnapshot, cases: Sequence[tuple[str, str, str]]) -> tuple[float, int]:
    now = dt.datetime.now(dt.UTC)
    opened = 0
    started = time.perf_counter()
    for client_id, appid, user_key in cases:
        if decide(snapshot, client_id=client_id, appid=appid, user_key=user_key, now=now).open:
            opened += 1
    return len(cases) / (time.perf_counter() - started), opened


def measure() -> list[DecideResult]:
    results = []
    for label, rollout in (("fixed-decision ports", 100), ("partial-rollout ports (50 %)", 50)):
        snapshot = _snapshot(rollout)
        for unique in (True, False):
            rates = []
            opened = 0
            for round_ in range(REPEATS):
                rate, opened = _pass(snapshot, _cases(unique_keys=unique, round_=round_))
                rates.append(rate)
            keys = "unique user keys" if unique else f"{REPEATED_KEYS:,} repeated user keys"
            results.append(DecideResult(f"{label}, {keys}", statistics.median(rates), opened))
    return results


if __name__ == "__main__":
    for result in measure():
        print(f"{result.case}: {result.per_second:,.0f} decisions/s ({result.opened:,} open)")
