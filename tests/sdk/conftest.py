"""Fixtures for the tests that drive LiveChat's own Python SDK (`lc-sdk-python==0.4.2`,
unchanged) against a real `chatplane serve` over TLS.

The SDK pins `httpx==0.28.1` and imports `loguru` without declaring it; where it is not
installed these tests are skipped with a message, and in CI (CHATPLANE_REQUIRE_SERVICES)
they fail instead, so that a missing SDK is never a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import _services
from tests.e2e.harness import Http, ServerProcess, run_cli, use_postgres

PASSWORD = "sdk-horse-battery-7"


def _sdk() -> Any:
    try:
        from livechat.configuration.base import ConfigurationApi
    except ImportError as exc:
        message = (
            f"lc-sdk-python is not importable ({exc}): pip install lc-sdk-python==0.4.2 loguru"
        )
        if os.environ.get("CHATPLANE_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    return ConfigurationApi


@dataclass
class Server:
    process: ServerProcess
    http: Http
    data_dir: Path
    license_id: int
    organization_id: str
    client_id: str
    owner_id: str
    owner_token: str

    @property
    def host(self) -> str:
        """What the SDK takes as `base_url`: host and port (it adds https://)."""
        return f"127.0.0.1:{self.process.port}"

    def cli(self, *args: str) -> dict[str, Any]:
        return run_cli(self.data_dir, *args)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    _sdk()
    data_dir = tmp_path_factory.mktemp(f"chatplane-sdk-{request.param}") / "data"
    if request.param == "postgres":
        use_postgres(
            data_dir,
            _services("CHATPLANE_TEST_DATABASE_URL"),
            _services("CHATPLANE_TEST_REDIS_URL"),
        )
    created = run_cli(data_dir, "init")
    process = ServerProcess(
        data_dir,
        {
            "tls_self_signed": "true",  # the SDK speaks https:// only
            "webhook_allow_private": "true",
            "webhook_retry_base": "0.2",
            "webhook_timeout": "3",
        },
    )
    process.start()
    http = Http(process.base_url)
    try:
        yield Server(
            process=process,
            http=http,
            data_dir=data_dir,
            license_id=created["license_id"],
            organization_id=created["organization_id"],
            client_id=created["client_id"],
            owner_id=created["owner"]["id"],
            owner_token=created["owner"]["access_token"],
        )
    finally:
        http.close()
        try:
            process.stop()
        finally:
            process.kill()


Client = Callable[..., Any]


@pytest.fixture(params=["3.6", "3.5"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(server: Server, version: str) -> Iterator[Client]:
    """`client()` is the SDK's ConfigurationApi of this test's version with the owner's
    token; `client(token)` with another token."""
    api = _sdk()
    made: list[Any] = []

    def make(token: str | None = None) -> Any:
        c = api.get_client(
            token=f"Bearer {token or server.owner_token}",
            version=version,
            base_url=server.host,
            verify=False,
            disable_logging=True,
        )
        made.append(c)
        return c

    yield make
    for c in made:
        c.session.close()
