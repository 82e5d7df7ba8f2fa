"""Every console page renders for its role in both languages, on the console's own look."""

from __future__ import annotations

import httpx
import pytest

from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.helpers import port_of


@pytest.mark.parametrize(("lang", "word"), [("zh_CN", "控制台"), ("en", "Console")])
def test_every_page_renders_in_both_languages(
    runtime: PlatformRuntime,
    world: World,
    operator: httpx.Client,
    brand_client: httpx.Client,
    host_client: httpx.Client,
    lang: str,
    word: str,
) -> None:
    port = port_of(runtime, world.client_id, world.appid).id
    brand = f"/console/brand/{world.brand_id}"
    host = f"/console/host/{world.client_id}"
    pages = {
        operator: [
            "/console/ops", "/console/ops/matrix", "/console/ops/requests", "/console/ops/hosts",
            f"/console/ops/hosts/{world.client_id}", "/console/ops/brands",
            "/console/ops/mini-programs", "/console/ops/webhooks", "/console/ops/audit",
            f"/console/ops/ports/{port}", f"/console/ops/ports/{port}/close",
        ],
        brand_client: [
            brand, f"{brand}/requests", f"{brand}/mp/{world.appid}", f"{brand}/ports/{port}",
            f"{brand}/ports/{port}/close", f"{brand}/webhooks",
        ],
        host_client: [host, f"{host}/webhooks"],
    }  # fmt: skip
    for client, paths in pages.items():
        for path in paths:
            response = client.get(path, params={"lang": lang})
            assert response.status_code == 200, (path, response.text[:1000])
            assert '<link rel="stylesheet" href="/static/console.css">' in response.text
            assert word in response.text
            assert response.headers["cache-control"] == "no-store"
    assert operator.get("/static/console.css").status_code == 200
