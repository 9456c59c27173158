"""Secrets stay secret: after tokens and passwords have been used -- and misused -- over every
door (password and refresh grants, wrong passwords, bad tokens, RTM logins, the fuzzers),
none of them appears in the server's log or, in the clear, in its database files."""

from __future__ import annotations

import json
from pathlib import Path

from websockets.sync.client import connect

from ..conftest import PASSWORD
from ..harness import BACKENDS, unique
from .conftest import Lab

WRONG_PASSWORD = "Wr0ng-" + unique("pw")


def _exercise(env) -> list[str]:
    """Use every kind of secret once, rightly and wrongly; returns the secrets used."""
    client = env.http.client
    grant = client.post(
        "/accounts/token",
        data={"grant_type": "password", "email": env.password_agent_email, "password": PASSWORD},
    ).json()
    refreshed = client.post(
        "/accounts/token",
        data={"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]},
    ).json()
    client.post(
        "/accounts/token",
        data={
            "grant_type": "password",
            "email": env.password_agent_email,
            "password": WRONG_PASSWORD,
        },
    )
    cust = env.new_customer()
    bogus = unique("bogus-token-")
    env.http.post_raw("/v3.0/agent/action/get_archives", token=bogus, json_body={})
    env.http.post_raw(
        "/v3.0/agent/action/get_archives", token=cust.token, json_body={"payload": {}}
    )
    with connect(f"{env.server.ws_base}/v3.0/agent/rtm/ws", proxy=None) as ws:
        for token in (bogus, grant["access_token"]):
            ws.send(json.dumps({"request_id": "l", "action": "login", "payload": {"token": token}}))
            ws.recv(timeout=10)
    return [
        PASSWORD,
        WRONG_PASSWORD,
        grant["access_token"],
        grant["refresh_token"],
        refreshed["access_token"],
        cust.token,
        bogus,
        env.a.owner.token,
        env.b.owner.token,
        env.normal.token,
        env.admin.token,
    ]


def _assert_absent(secrets: list[str], path: Path, what: str) -> None:
    text = path.read_bytes()
    for secret in secrets:
        assert secret.encode() not in text, f"a secret ({secret[:4]}...) is in the {what} {path}"


def test_tokens_and_passwords_never_appear_in_the_log_or_the_database(env):
    secrets = _exercise(env)
    _assert_absent(secrets, env.server.log_path, "server log")
    if env.server.data_dir.resolve() in BACKENDS:
        # PostgreSQL: no file to read; tokens are stored hashed by the same code.
        return
    stored = [p for p in env.server.data_dir.glob("*.db*") if p.is_file()]
    assert stored, "no database file found"
    for path in stored:
        _assert_absent(secrets, path, "database file")


def test_the_fuzzed_servers_log_holds_no_token(lab: Lab):
    """The fuzzers' server saw every token in every field the payloads have."""
    _assert_absent(lab.secrets, lab.server.log_path, "server log")
