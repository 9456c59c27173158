"""get_groups_status and get_predicted_agent: what routing would do for a customer now."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Http, run_cli
from .routing_env import RoutingEnv, RoutingServer


@pytest.fixture(scope="module")
def renv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoutingEnv]:
    data_dir = tmp_path_factory.mktemp("groups-status") / "data"
    run_cli(data_dir, "init")
    server = RoutingServer(data_dir, {"offline_grace": "1"})
    server.start()
    http = Http(server.base_url)
    try:
        yield RoutingEnv(server, http, data_dir)
    finally:
        http.close()
        server.kill()


async def test_groups_go_online_with_an_accepting_agent_and_predict_it(renv: RoutingEnv) -> None:
    team = renv.team("Alice")
    _cid, token = renv.customer(team)
    lic = team.license_id
    before = renv.http.customer(token, lic, "get_groups_status", {"all": True})
    assert before == {"groups_status": {"0": "offline"}}
    offline = renv.http.post_raw(
        f"/v3.0/customer/action/get_predicted_agent?license_id={lic}", token=token, json_body={}
    )
    assert offline.status_code == 400 and offline.json()["error"]["type"] == "group_offline"
    alice = await renv.agent_rtm(team.agents["Alice"])
    status = renv.http.customer(token, lic, "get_groups_status", {"groups": [0]})
    assert status == {"groups_status": {"0": "online"}}
    predicted = renv.http.customer(token, lic, "get_predicted_agent", {})["agent"]
    assert predicted["id"] == team.agents["Alice"].id and predicted["type"] == "agent"
    assert predicted["is_bot"] is False
    await alice.close()


def test_groups_status_needs_groups_or_all(renv: RoutingEnv) -> None:
    team = renv.team("Bob")
    _cid, token = renv.customer(team)
    resp = renv.http.post_raw(
        f"/v3.0/customer/action/get_groups_status?license_id={team.license_id}",
        token=token,
        json_body={"payload": {}},
    )
    assert resp.status_code == 400 and "groups" in resp.json()["error"]["message"]
    unknown = renv.http.post_raw(
        f"/v3.0/customer/action/get_groups_status?license_id={team.license_id}",
        token=token,
        json_body={"payload": {"groups": [99]}},
    )
    assert unknown.status_code == 400 and "99" in unknown.json()["error"]["message"]
