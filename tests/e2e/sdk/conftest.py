"""Fixtures of the Configuration API SDK tests (test_sdk_configuration_*.py): a server of
their own over TLS (on SQLite, and on PostgreSQL + Redis when those are configured), and
`client`, the SDK's ConfigurationApi of the test's version (each module's `VERSIONS`).

The SDK pins httpx 0.28.1, so it lives in `.venv-sdk` (tests/sdk_venv.py builds it on first
use from requirements.txt beside this file) and its calls run there
(configuration_bridge.py). Where it cannot be built these tests are skipped with a message,
and fail when CHATPLANE_REQUIRE_SDK is set (CI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests import sdk_venv

from ..conftest import _services
from ..harness import Http, ServerProcess, run_cli, use_postgres
from .configuration_support import Bridge, SdkClient, Server

Client = Callable[..., SdkClient]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A Configuration API test that takes `version` runs in each of its module's
    `VERSIONS` (the agent and customer SDK tests parametrize theirs themselves)."""
    versions = getattr(metafunc.module, "VERSIONS", None)
    own = any("version" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize"))
    if versions and not own and "version" in metafunc.fixturenames:
        metafunc.parametrize("version", versions)


@pytest.fixture(scope="session")
def configuration_sdk() -> Iterator[Bridge]:
    bridge = Bridge(sdk_venv.sdk_python())
    try:
        yield bridge
    finally:
        bridge.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    configuration_sdk: Bridge,
) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp(f"chatplane-sdk-configuration-{request.param}") / "data"
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
    http = Http(process.base_url, verify=False)
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


@pytest.fixture
def client(server: Server, configuration_sdk: Bridge, version: str) -> Client:
    """`client()` is the SDK's ConfigurationApi of this test's version with the owner's
    token; `client(token)` with another token."""

    def make(token: str | None = None) -> SdkClient:
        return SdkClient(
            configuration_sdk, version, f"Bearer {token or server.owner_token}", server.host
        )

    return make
