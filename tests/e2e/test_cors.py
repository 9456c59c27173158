"""The chat widget on another site: allowed origins may call the server from a browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .harness import ServerProcess, run_cli

SITE = "https://shop.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, int]]:
    data_dir: Path = tmp_path_factory.mktemp("cors") / "data"
    license_id = run_cli(data_dir, "init")["license_id"]
    srv = ServerProcess(data_dir, {"cors_origins": SITE})
    srv.start()
    yield srv, license_id
    srv.kill()


def test_an_allowed_site_may_get_a_customer_token_with_its_cookie(server) -> None:
    srv, license_id = server
    pre = httpx.options(
        srv.base_url + "/accounts/customer/token",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == SITE
    assert pre.headers["access-control-allow-credentials"] == "true"
    resp = httpx.post(
        srv.base_url + "/accounts/customer/token",
        json={"license_id": license_id},
        headers={"Origin": SITE},
    )
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == SITE


def test_another_site_is_not_allowed(server) -> None:
    srv, _ = server
    pre = httpx.options(
        srv.base_url + "/v3.0/customer/action/send_event?license_id=1",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers
