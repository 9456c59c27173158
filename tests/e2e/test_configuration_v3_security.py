"""Authorization on every method of the Configuration API v3.6 and v3.5, from the registry
(docs/security.md names these tests in its table):

- a method that declares scopes refuses a token lacking them (`authorization`, before its
  payload is even read), and the same token with those scopes gets past the check;
- a customer's token is refused on every method (`authentication`).

On a server of their own: with enough scopes these methods change license-wide settings
(webhook switches, groups, agents) that the shared suite's server must keep.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chatplane.domain.access import SCOPES, implied

from .harness import Http, ServerProcess, run_cli
from .security.clients import check_error
from .security.payloads import Ids, actions, minimal

VERSIONS = ("3.6", "3.5")


def _cases(pick: Any) -> list[Any]:
    return [
        pytest.param(version, act.name, id=f"{version}-{act.name}")
        for version in VERSIONS
        for act in actions("configuration", version=version)
        if pick(act)
    ]


def _act(version: str, name: str) -> Any:
    return next(a for a in actions("configuration", version=version) if a.name == name)


def without(needed: tuple[str, ...]) -> frozenset[str]:
    """Every scope except those that would satisfy `needed` (directly or by implication)."""
    return frozenset(s for s in SCOPES if not implied(frozenset({s})) & set(needed))


class Server:
    def __init__(self, process: ServerProcess, http: Http, owner_id: str) -> None:
        self.process = process
        self.http = http
        self.owner_id = owner_id
        self._tokens: dict[frozenset[str], str] = {}
        self._customer: dict[str, str] = {}

    def token(self, scopes: frozenset[str]) -> str:
        """The owner's access token holding exactly `scopes` (`chatplane token create`)."""
        if scopes not in self._tokens:
            out = run_cli(
                self.process.data_dir,
                "token",
                "create",
                "--agent",
                self.owner_id,
                "--scopes",
                ",".join(sorted(scopes)),
            )
            self._tokens[scopes] = out["access_token"]
        return self._tokens[scopes]

    def customer_token(self) -> str:
        """One customer's token (customer tokens are rate limited per address)."""
        if "customer" not in self._customer:
            created = self.http.client.post("/accounts/customer/token", json={"license_id": 1})
            assert created.status_code == 200, created.text
            self._customer["customer"] = created.json()["access_token"]
        return self._customer["customer"]

    def call(self, version: str, name: str, token: str, payload: dict[str, Any]) -> Any:
        return self.http.post_raw(
            f"/v{version}/configuration/action/{name}", token=token, json_body=payload
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("configuration-v3-security") / "data"
    created = run_cli(data_dir, "init")
    process = ServerProcess(data_dir, {"requests_per_second": "0"})
    process.start()
    http = Http(process.base_url)
    try:
        yield Server(process, http, created["owner"]["id"])
    finally:
        http.close()
        try:
            process.stop()
        finally:
            process.kill()


@pytest.mark.parametrize(("version", "name"), _cases(lambda a: a.scopes))
def test_configuration_method_refused_without_its_scopes(
    server: Server, version: str, name: str
) -> None:
    act = _act(version, name)
    payload = minimal(act, Ids(["NO-SUCH-CHAT"]))
    resp = server.call(version, name, server.token(without(act.scopes)), payload)
    assert resp.status_code == 403, resp.text
    assert check_error(resp.json(), name) == "authorization"
    enough = without(act.scopes) | set(act.scopes)
    resp = server.call(version, name, server.token(frozenset(enough)), payload)
    if resp.status_code != 200:
        assert check_error(resp.json(), name) != "authorization", resp.text


@pytest.mark.parametrize(("version", "name"), _cases(lambda a: True))
def test_customer_token_is_refused_on_the_configuration_api_v3(
    server: Server, version: str, name: str
) -> None:
    resp = server.call(version, name, server.customer_token(), {})
    assert resp.status_code == 401, resp.text
    assert check_error(resp.json(), name) == "authentication"
