"""Personal access tokens (authorization/personal-access-tokens) against a real server.

A PAT is `Authorization: Basic base64(<account id>:<token>)`, the account id being the
agent's id; it runs with the scopes chosen when it was made, on every API (the Agent Chat
Web API, its RTM `login`, the Configuration API). Made, listed and revoked with
`chatplane pat ...` and `/accounts/personal_access_tokens` (docs/decisions.md).
"""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from .conftest import Env, RtmFactory
from .harness import ApiError, Rtm, assert_error_body, expect_error, run_cli, unique

PATS = "/accounts/personal_access_tokens"


def basic(account_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{account_id}:{secret}".encode()).decode()


def cli_pat(env: Env, agent_id: str, scopes: str, name: str | None = None) -> dict[str, Any]:
    return run_cli(
        env.server.data_dir,
        "pat",
        "create",
        "--agent",
        agent_id,
        "--name",
        name or unique("script-"),
        "--scopes",
        scopes,
    )


def agent_call(
    env: Env, authorization: str, action: str, payload: dict[str, Any] | None = None
) -> Any:
    resp = env.http.post_raw(
        f"/v3.0/agent/action/{action}",
        json_body={"payload": payload or {}},
        headers={"Authorization": authorization},
    )
    return env.http._result(resp)


def listed(env: Env, agent_id: str) -> dict[str, dict[str, Any]]:
    out = run_cli(env.server.data_dir, "pat", "list", "--agent", agent_id)
    return {t["id"]: t for t in out["personal_access_tokens"]}


# -- the command line -------------------------------------------------------------------


def test_the_cli_prints_the_token_once_with_its_header(env: Env) -> None:
    made = cli_pat(env, env.normal.id, "chats--all:ro,chats--my:ro", name="nightly export")

    assert made["account_id"] == env.normal.id
    assert made["name"] == "nightly export"
    assert made["scopes"] == ["chats--all:ro", "chats--my:ro"]
    assert made["created_at"].endswith("Z") and made["last_used_at"] is None
    assert (
        made["base64_encoded_token"]
        == base64.b64encode(f"{env.normal.id}:{made['token']}".encode()).decode()
    )
    assert made["authorization"] == f"Basic {made['base64_encoded_token']}"

    again = listed(env, env.normal.id)[made["id"]]
    assert again == {k: made[k] for k in again}
    assert "token" not in again and "base64_encoded_token" not in again
    assert made["token"] not in str(run_cli(env.server.data_dir, "pat", "list"))


def test_the_cli_refuses_scopes_the_role_does_not_hold(env: Env) -> None:
    with pytest.raises(RuntimeError, match="cannot grant: chats--all:rw"):
        cli_pat(env, env.normal.id, "chats--all:rw")
    with pytest.raises(RuntimeError, match="Unknown scopes: chats:everything"):
        cli_pat(env, env.normal.id, "chats:everything")


# -- using a token ------------------------------------------------------------------------


def test_a_pat_calls_the_web_api_with_its_scopes_only(env: Env) -> None:
    made = cli_pat(env, env.normal.id, "chats--all:ro")

    archives = agent_call(env, made["authorization"], "get_archives")
    assert "chats" in archives

    err = expect_error(
        agent_call,
        env,
        made["authorization"],
        "start_chat",
        {"chat": {}},
        status=403,
        type="authorization",
    )
    assert "scopes" in err.message

    used = listed(env, env.normal.id)[made["id"]]
    assert used["last_used_at"] is not None


def test_a_pat_calls_the_configuration_api(env: Env) -> None:
    made = cli_pat(env, env.admin.id, "agents--my:rw")
    resp = env.http.post_raw(
        "/v3.0/configuration/groups/get_groups",
        json_body={},
        headers={"Authorization": made["authorization"]},
    )
    assert resp.status_code == 200, resp.text
    assert [g["id"] for g in resp.json()["groups"]][:1] == [0]

    narrow = cli_pat(env, env.admin.id, "chats--all:ro")
    resp = env.http.post_raw(
        "/v3.0/configuration/groups/get_groups",
        json_body={},
        headers={"Authorization": narrow["authorization"]},
    )
    assert resp.status_code == 403, resp.text
    assert_error_body(resp.json(), "authorization")


@pytest.mark.parametrize(
    "header",
    [
        "wrong account",
        "unknown token",
        "no colon",
        "not base64",
    ],
)
def test_a_bad_pat_is_an_authentication_error(env: Env, header: str) -> None:
    made = cli_pat(env, env.normal.id, "chats--all:ro")
    value = {
        "wrong account": basic(env.admin.id, made["token"]),
        "unknown token": basic(env.normal.id, "x" + made["token"]),
        "no colon": "Basic " + base64.b64encode(made["token"].encode()).decode(),
        "not base64": "Basic ***",
    }[header]
    expect_error(agent_call, env, value, "get_archives", status=401, type="authentication")


def test_a_bearer_token_keeps_working(env: Env) -> None:
    assert "chats" in agent_call(env, f"Bearer {env.normal.token}", "get_archives")


async def test_rtm_login_takes_a_pat(env: Env, rtm: RtmFactory) -> None:
    made = cli_pat(env, env.normal.id, "chats--all:ro,chats--my:ro,chats--my:rw")
    conn = await rtm.raw_agent()
    login = await conn.call("login", {"token": made["authorization"]})
    assert login["my_profile"]["id"] == env.normal.id
    assert (await conn.request("ping", {}))["success"] is True

    other = await rtm.raw_agent()
    refused = await other.request("login", {"token": basic(env.admin.id, made["token"])})
    assert refused["success"] is False
    assert_error_body(refused["payload"], "authentication")


# -- the HTTP endpoints -------------------------------------------------------------------


def create_over_http(env: Env, bearer: str, body: dict[str, Any]) -> Any:
    return env.http.client.post(PATS, json=body, headers={"Authorization": f"Bearer {bearer}"})


def test_an_agent_makes_lists_and_revokes_its_own_tokens(env: Env) -> None:
    resp = create_over_http(
        env, env.normal.token, {"name": "report bot", "scopes": ["chats--all:ro"]}
    )
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert made["account_id"] == env.normal.id and made["scopes"] == ["chats--all:ro"]
    header = made["authorization"]
    assert "chats" in agent_call(env, header, "get_archives")

    # Listed with a Bearer token or the PAT itself; never the secret again.
    for auth in (f"Bearer {env.normal.token}", header):
        page = env.http.client.get(PATS, headers={"Authorization": auth})
        assert page.status_code == 200, page.text
        mine = {t["id"]: t for t in page.json()["personal_access_tokens"]}
        assert set(mine[made["id"]]) == {
            "id",
            "name",
            "account_id",
            "scopes",
            "created_at",
            "last_used_at",
        }
        assert made["token"] not in page.text
        assert all(t["account_id"] == env.normal.id for t in mine.values())

    # Another agent cannot revoke it, nor see it.
    theirs = env.http.client.delete(
        f"{PATS}/{made['id']}", headers={"Authorization": f"Bearer {env.admin.token}"}
    )
    assert theirs.status_code == 404, theirs.text
    assert theirs.json()["error"] == "invalid_request"
    admin_list = env.http.client.get(PATS, headers={"Authorization": f"Bearer {env.admin.token}"})
    assert made["id"] not in admin_list.text

    gone = env.http.client.delete(
        f"{PATS}/{made['id']}", headers={"Authorization": f"Bearer {env.normal.token}"}
    )
    assert gone.status_code == 200, gone.text
    # The server that revoked it refuses it at once.
    expect_error(agent_call, env, header, "get_archives", status=401, type="authentication")
    assert made["id"] not in listed(env, env.normal.id)


def test_http_creation_is_validated(env: Env) -> None:
    cases = [
        ({"scopes": ["chats--all:ro"]}, "invalid_request", "name"),
        ({"name": "x"}, "invalid_request", "scopes"),
        ({"name": "x", "scopes": ["nope"]}, "invalid_scope", "Unknown scopes"),
        ({"name": "x", "scopes": ["chats--all:rw"]}, "invalid_scope", "cannot grant"),
        ({"name": "x", "scopes": 5}, "invalid_request", "scopes"),
    ]
    for body, error, words in cases:
        resp = create_over_http(env, env.normal.token, body)
        assert resp.status_code == 400, (body, resp.text)
        assert resp.json()["error"] == error, (body, resp.text)
        assert words in resp.json()["error_description"], (body, resp.text)


def test_a_pat_cannot_make_another_pat_nor_can_a_customer(env: Env) -> None:
    made = cli_pat(env, env.normal.id, "chats--all:ro")
    resp = env.http.client.post(
        PATS,
        json={"name": "child", "scopes": ["chats--all:ro"]},
        headers={"Authorization": made["authorization"]},
    )
    assert resp.status_code == 403 and resp.json()["error"] == "access_denied", resp.text

    customer = env.new_customer()
    resp = create_over_http(env, customer.token, {"name": "c", "scopes": ["chats--all:ro"]})
    assert resp.status_code == 403 and resp.json()["error"] == "access_denied", resp.text

    resp = env.http.client.get(PATS)
    assert resp.status_code == 401 and resp.json()["error"] == "unauthorized", resp.text


def test_a_narrow_access_token_cannot_make_a_wider_pat(env: Env) -> None:
    narrow = run_cli(
        env.server.data_dir, "token", "create", "--agent", env.admin.id, "--scopes", "chats--all:ro"
    )["access_token"]
    resp = create_over_http(
        env, narrow, {"name": "wider", "scopes": ["chats--all:ro", "chats--all:rw"]}
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_scope"


def test_the_agent_token_grant_refuses_a_pat(env: Env) -> None:
    made = cli_pat(env, env.a.owner.id, "customers:own")
    resp = env.http.client.post(
        "/accounts/v2/customer/token",
        json={"grant_type": "agent_token", "client_id": env.a.client_id, "response_type": "token"},
        headers={"Authorization": made["authorization"]},
    )
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"] == "access_denied"


def test_a_cli_revocation_reaches_the_running_server(env: Env) -> None:
    made = cli_pat(env, env.normal.id, "chats--all:ro")
    assert "chats" in agent_call(env, made["authorization"], "get_archives")
    out = run_cli(env.server.data_dir, "pat", "revoke", made["id"])
    assert out == {"revoked": made["id"]}
    # Another process revoked it: the server's cache trusts it for at most 10 s more.
    deadline = time.monotonic() + 30
    while True:
        try:
            agent_call(env, made["authorization"], "get_archives")
        except ApiError as err:
            assert err.status == 401 and err.type == "authentication", err.text
            break
        assert time.monotonic() < deadline, "the revoked token still works after 30 s"
        time.sleep(0.5)
    with pytest.raises(RuntimeError, match="No personal access token"):
        run_cli(env.server.data_dir, "pat", "revoke", made["id"])


async def test_a_revoked_pat_cannot_log_in_over_rtm(env: Env, rtm: RtmFactory) -> None:
    resp = create_over_http(env, env.normal.token, {"name": "rtm", "scopes": "chats--all:ro"})
    assert resp.status_code == 201, resp.text
    made = resp.json()
    deleted = env.http.client.delete(
        f"{PATS}/{made['id']}", headers={"Authorization": made["authorization"]}
    )
    assert deleted.status_code == 200, deleted.text
    conn: Rtm = await rtm.raw_agent()
    refused = await conn.request("login", {"token": made["authorization"]})
    assert refused["success"] is False
    assert_error_body(refused["payload"], "authentication")
