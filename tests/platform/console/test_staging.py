"""Staged opening from the console: saved through the port lifecycle with its version, so a
stale page is refused with a clear message, and each change is audited and decided at once."""

from __future__ import annotations

import datetime as dt

import httpx

from miniport.common.clock import utcnow
from miniport.platform.ports.decision import decide
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.helpers import audit_actions, port_of, post_form
from tests.support.html_forms import form_with, submit


def test_staging_is_saved_audited_and_decided_at_once(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    trial_end = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    saved = post_form(
        operator,
        f"/console/ops/ports/{port.id}",
        "rollout_percent",
        {
            "rollout_percent": "0",
            "allow_list": "tester-1\ntester-2",
            "trial_ends_at": trial_end.strftime("%Y-%m-%dT%H:%M:%S"),
            "daily_launch_quota": "50",
        },
    )
    assert saved.status_code == 303, saved.text[:500]
    staged = port_of(runtime, world.client_id, world.appid)
    assert (staged.rollout_percent, staged.allow_list, staged.daily_launch_quota) == (
        0, ["tester-1", "tester-2"], 50,
    )  # fmt: skip
    assert staged.trial_ends_at == trial_end
    now = utcnow()
    snapshot = runtime.ports.current()
    args = {"client_id": world.client_id, "appid": world.appid, "now": now}
    assert decide(snapshot, user_key="tester-1", **args).open
    assert not decide(snapshot, user_key="someone-else", **args).open
    assert ("port.staged", f"port:{port.id}", "olga") in audit_actions(runtime)
    matrix = operator.get("/console/ops/matrix", params={"lang": "en"}).text
    assert "Rollout 0%" in matrix and "Quota 0/50 today" in matrix


def test_a_stale_staging_edit_is_refused_with_a_clear_message(
    runtime: PlatformRuntime, world: World, operator: httpx.Client, brand_client: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    page = operator.get(f"/console/ops/ports/{port.id}", params={"lang": "en"})
    # Meanwhile the brand changes the rollout.
    brand_saved = post_form(
        brand_client,
        f"/console/brand/{world.brand_id}/ports/{port.id}",
        "rollout_percent",
        {"rollout_percent": "40"},
    )
    assert brand_saved.status_code == 303
    stale = submit(
        operator, page, form_with(page.text, "rollout_percent"), {"rollout_percent": "90"}
    )
    assert stale.status_code == 409
    assert "The port changed since you opened this page" in stale.text
    assert port_of(runtime, world.client_id, world.appid).rollout_percent == 40


def test_bad_staging_values_are_refused(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    for values in (
        {"rollout_percent": "150"},
        {"rollout_percent": "ten"},
        {"daily_launch_quota": "-1"},
        {"trial_ends_at": "tomorrow"},
        {"trial_ends_at": "2000-01-01T00:00:00"},
    ):
        refused = post_form(operator, f"/console/ops/ports/{port.id}", "rollout_percent", values)
        assert refused.status_code == 400, (values, refused.status_code)
    assert port_of(runtime, world.client_id, world.appid).rollout_percent == 100
