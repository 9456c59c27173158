"""Authorization on every method, checked from the registry so new actions are covered:

- every agent action that declares scopes refuses a token lacking them (`authorization`),
  over each transport it is served on, and changes nothing; the same token with those
  scopes is not refused;
- an agent whose token holds only `my` scopes reaches no chat it is not in;
- customer tokens are refused on the Agent Chat and Configuration APIs, agent tokens on the
  Customer Chat API;
- a customer reaches no other customer's chat, through every chat action;
- a license's chats are out of reach of another license's agents and customers.

docs/security.md names these tests in its method table (`python -m chatplane.api.security_table`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

from chatplane.domain.access import SCOPES, implied, role_scopes

from ..harness import run_cli, unique
from .clients import Rtm, Web, check_error
from .conftest import chat_state
from .payloads import Action, Ids, actions, minimal, takes_chat

# A chat of the caller's license it may not reach (not its own, as a customer; out of its
# scopes' reach, as an agent) is refused (authorization); a chat of another license does
# not exist for the caller (validation, HTTP 404), as a missing one (docs/decisions.md).
NO_RIGHT = "authorization"
NOT_FOUND = "validation"


def _token(env: Any, agent_id: str, scopes: frozenset[str]) -> str:
    """An access token of `agent_id` holding exactly `scopes` (`chatplane token create`)."""
    # Per server: the suite runs once on SQLite and once on PostgreSQL.
    key = (str(env.server.data_dir), agent_id, scopes)
    if key not in _tokens:
        out = run_cli(
            env.server.data_dir,
            "token",
            "create",
            "--agent",
            agent_id,
            "--scopes",
            ",".join(sorted(scopes)),
        )
        assert set(out["scope"].split(",")) - {""} == set(scopes), out
        _tokens[key] = out["access_token"]
    return _tokens[key]


_tokens: dict[tuple[str, str, frozenset[str]], str] = {}


def without(needed: tuple[str, ...]) -> frozenset[str]:
    """Every scope except those that would satisfy `needed` (directly or by implication)."""
    return frozenset(s for s in SCOPES if not implied(frozenset({s})) & set(needed))


def payload_for(act: Action, ids: Ids) -> dict[str, Any]:
    if act.multipart:
        return {"chat_id": ids.chat_ids[0]}
    return minimal(act, ids)


def multipart_files(payload: dict[str, Any]) -> dict[str, Any]:
    files: dict[str, Any] = {f"payload.{k}": (None, str(v)) for k, v in payload.items()}
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
        b"\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
        b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    files["payload.file"] = ("note.txt", b"hello", "text/plain")
    files["payload.image"] = ("dot.png", png, "image/png")
    return files


def call(
    env: Any,
    api: str,
    transport: str,
    act: Action,
    token: str,
    payload: dict[str, Any],
    license_id: int | None = None,
) -> tuple[bool, Any]:
    """One request as `token`; over RTM on a fresh connection logged in with it."""
    if api == "configuration":
        web = Web(env.server.base_url)
        try:
            resp = web.client.post(
                f"/v3.0/configuration/{act.name}",
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
            )
        finally:
            web.close()
        assert resp.status_code < 500, resp.text
        if resp.status_code == 200:
            return True, resp.json()
        check_error(resp.json(), act.name)
        return False, resp.json()
    if transport == "web":
        web = Web(env.server.base_url)
        try:
            if act.multipart:
                return web.send(
                    api, act.name, token, files=multipart_files(payload), license_id=license_id
                )
            return web.send(api, act.name, token, payload, license_id=license_id)
        finally:
            web.close()
    query = f"?license_id={license_id}" if license_id is not None else ""
    rtm = Rtm(f"{env.server.ws_base}/v3.0/{api}/rtm/ws{query}", token)
    try:
        return rtm.send(act.name, payload)
    finally:
        rtm.close()


def error_type(body: Any) -> str:
    return str(body["error"]["type"])


@pytest.fixture
def victim(env: Any) -> Iterator[dict[str, Any]]:
    """A customer of license A with an active chat nobody else is in."""
    cust = env.new_customer()
    secret = unique("secret ")
    chat = env.start_chat(cust, secret)["chat"]
    yield {
        "customer": cust,
        "chat_id": chat["id"],
        "thread_id": chat["thread"]["id"],
        "secret": secret,
    }


def _state(env: Any, chat_id: str) -> Any:
    return chat_state(env.http, env.a.owner.token, chat_id)


def _transports(act: Action) -> list[str]:
    return [t for t, on in (("web", act.web), ("rtm", act.rtm)) if on]


def _cases(api: str, pick: Any) -> list[Any]:
    return [
        pytest.param(t, act.name, id=f"{t}-{act.name}")
        for act in actions(api)
        if pick(act)
        for t in _transports(act)
    ]


def _act(api: str, name: str) -> Action:
    return next(a for a in actions(api) if a.name == name)


# -- scopes ----------------------------------------------------------------------------------


def _scoped_cases() -> list[Any]:
    return [
        pytest.param(api, t, act.name, id=f"{t}-{act.name}")
        for api in ("agent", "configuration")
        for act in actions(api)
        if act.scopes
        for t in _transports(act)
    ]


@pytest.mark.parametrize(("api", "transport", "name"), _scoped_cases())
def test_agent_action_refused_without_its_scopes(env, victim, api, transport, name):
    """Agent Chat API and Configuration API actions alike."""
    act = _act(api, name)
    ids = Ids([victim["chat_id"]], [victim["thread_id"]], [victim["customer"].id])
    payload = payload_for(act, ids)
    owner = env.a.owner
    before = _state(env, victim["chat_id"])

    ok, body = call(
        env, "agent", transport, act, _token(env, owner.id, without(act.scopes)), payload
    )

    assert not ok and error_type(body) == "authorization", body
    assert _state(env, victim["chat_id"]) == before
    # The same token with the scopes the action names gets past the check.
    enough = without(act.scopes) | set(act.scopes)
    ok, body = call(env, api, transport, act, _token(env, owner.id, enough), payload)
    assert ok or error_type(body) != "authorization", body


def _each_scope_cases() -> list[Any]:
    return [
        pytest.param(api, t, act.name, scope, id=f"{t}-{act.name}-{scope}")
        for api in ("agent", "configuration")
        for act in actions(api)
        if act.scopes and not takes_chat(act)
        for scope in act.scopes
        for t in _transports(act)
    ]


@pytest.mark.parametrize(("api", "transport", "name", "scope"), _each_scope_cases())
def test_any_one_declared_scope_alone_is_enough(env, api, transport, name, scope):
    """The registration is the one place an action's scopes are declared: a token holding
    just one of them is never refused for want of another (actions naming a chat also
    need access to it, so they are left to the tests above)."""
    act = _act(api, name)
    token = _token(env, env.a.owner.id, frozenset({scope}))
    try:
        ok, body = call(env, api, transport, act, token, payload_for(act, Ids(["x"], token=token)))
    finally:
        if api == "configuration" and name == "routing/update_routing_settings":
            # The payload sets the shared license's routing mode: the shared server's tests
            # rely on manual routing (tests/e2e/conftest.py), so it goes back at once.
            restore = env.http.post_raw(
                "/v3.0/configuration/routing/update_routing_settings",
                token=env.a.owner.token,
                json_body={"mode": "manual"},
            )
            assert restore.status_code == 200, restore.text
    assert ok or error_type(body) != "authorization", body


@pytest.mark.parametrize(("transport", "name"), _cases("agent", lambda a: not a.scopes))
def test_agent_action_without_declared_scopes_needs_only_a_valid_token(env, transport, name):
    """Actions that declare no scope (session, upload, ping) take any agent token, even one
    with no scopes at all; that is what the table's `-` means."""
    act = _act("agent", name)
    token = _token(env, env.a.owner.id, frozenset())
    ok, body = call(env, "agent", transport, act, token, payload_for(act, Ids(["x"], token=token)))
    assert ok or error_type(body) not in ("authorization", "authentication"), body


def my_only() -> frozenset[str]:
    return frozenset(s for s in role_scopes("normal") if "--all" not in s and "--access" not in s)


@pytest.mark.parametrize(("transport", "name"), _cases("agent", lambda a: takes_chat(a)))
def test_agent_with_my_scopes_reaches_no_chat_it_is_not_in(env, victim, transport, name):
    act = _act("agent", name)
    ids = Ids([victim["chat_id"]], [victim["thread_id"]], [victim["customer"].id])
    payload = payload_for(act, ids)
    before = _state(env, victim["chat_id"])

    ok, body = call(env, "agent", transport, act, _token(env, env.normal.id, my_only()), payload)

    assert not ok and error_type(body) == NO_RIGHT, body
    assert victim["secret"] not in json.dumps(body)
    assert _state(env, victim["chat_id"]) == before


# -- tokens of the wrong kind ----------------------------------------------------------------


def _refused_login(url: str, token: str) -> None:
    with connect(url, open_timeout=10, proxy=None) as ws:
        for action, payload in (("login", {"token": f"Bearer {token}"}), ("ping", {})):
            ws.send(json.dumps({"request_id": "r1", "action": action, "payload": payload}))
            reply = json.loads(ws.recv(timeout=10))
            if action == "login":
                assert reply["success"] is False, reply
                assert check_error(reply["payload"], url) == "authentication"


@pytest.mark.parametrize(("transport", "name"), _cases("agent", lambda a: True))
def test_customer_token_is_refused_on_the_agent_api(env, victim, transport, name):
    act = _act("agent", name)
    cust = victim["customer"]
    if transport == "rtm":
        # The agent RTM never logs a customer in, so no action runs as one.
        _refused_login(f"{env.server.ws_base}/v3.0/agent/rtm/ws", cust.token)
        if act.needs_login:
            with connect(f"{env.server.ws_base}/v3.0/agent/rtm/ws", proxy=None) as ws:
                ws.send(json.dumps({"request_id": "r", "action": name, "payload": {}}))
                reply = json.loads(ws.recv(timeout=10))
                assert check_error(reply["payload"], name) == "authentication", reply
        return
    ids = Ids([victim["chat_id"]], [victim["thread_id"]], [cust.id])
    ok, body = call(env, "agent", "web", act, cust.token, payload_for(act, ids))
    assert not ok and error_type(body) == "authentication", body


@pytest.mark.parametrize(("transport", "name"), _cases("customer", lambda a: True))
def test_agent_token_is_refused_on_the_customer_api(env, victim, transport, name):
    act = _act("customer", name)
    owner = env.a.owner
    lid = env.a.license_id
    if transport == "rtm":
        _refused_login(f"{env.server.ws_base}/v3.0/customer/rtm/ws?license_id={lid}", owner.token)
        return
    ids = Ids([victim["chat_id"]], [victim["thread_id"]], [owner.id])
    ok, body = call(env, "customer", "web", act, owner.token, payload_for(act, ids), lid)
    assert not ok and error_type(body) == "authentication", body


@pytest.mark.parametrize("name", [a.name for a in actions("configuration")])
def test_customer_token_is_refused_on_the_configuration_api(env, name):
    cust = env.new_customer()
    resp = env.http.post_raw(f"/v3.0/configuration/{name}", token=cust.token, json_body={})
    assert resp.status_code == 401, resp.text
    assert check_error(resp.json(), name) == "authentication"


# -- one customer, another's chat --------------------------------------------------------------


def _customer_chat_action(a: Action) -> bool:
    return takes_chat(a)


@pytest.mark.parametrize(("transport", "name"), _cases("customer", _customer_chat_action))
def test_customer_cannot_read_or_write_another_customers_chat(env, victim, transport, name):
    act = _act("customer", name)
    intruder = env.new_customer()
    env.start_chat(intruder, "my own chat")
    ids = Ids([victim["chat_id"]], [victim["thread_id"]], [intruder.id])
    payload = payload_for(act, ids)
    before = _state(env, victim["chat_id"])

    ok, body = call(env, "customer", transport, act, intruder.token, payload, env.a.license_id)

    assert not ok and error_type(body) == NO_RIGHT, body
    assert victim["secret"] not in json.dumps(body)
    assert _state(env, victim["chat_id"]) == before
    # The chat's own customer is not refused the same request for want of rights.
    ok, body = call(
        env, "customer", transport, act, victim["customer"].token, payload, env.a.license_id
    )
    assert ok or error_type(body) != "authorization", body


# -- licenses --------------------------------------------------------------------------------


@pytest.mark.parametrize(("transport", "name"), _cases("agent", lambda a: takes_chat(a)))
def test_other_license_agent_reaches_no_chat_through_any_chat_action(env, victim, transport, name):
    act = _act("agent", name)
    ids = Ids([victim["chat_id"]], [victim["thread_id"]], [env.b.owner.id])
    payload = payload_for(act, ids)
    before = _state(env, victim["chat_id"])

    ok, body = call(env, "agent", transport, act, env.b.owner.token, payload)

    assert not ok and error_type(body) == NOT_FOUND, body
    assert victim["secret"] not in json.dumps(body)
    assert _state(env, victim["chat_id"]) == before


@pytest.mark.parametrize(("transport", "name"), _cases("customer", _customer_chat_action))
def test_other_license_customer_reaches_no_chat_through_any_chat_action(
    env, victim, transport, name
):
    act = _act("customer", name)
    outsider = env.new_customer(env.b)
    ids = Ids([victim["chat_id"]], [victim["thread_id"]], [outsider.id])
    payload = payload_for(act, ids)
    before = _state(env, victim["chat_id"])

    # Through its own license: the chat is not found there.
    ok, body = call(env, "customer", transport, act, outsider.token, payload, env.b.license_id)
    assert not ok and error_type(body) == NOT_FOUND, body
    assert victim["secret"] not in json.dumps(body)
    # Naming the chat's license: the token is not valid there.
    lid = env.a.license_id
    if transport == "rtm":
        _refused_login(
            f"{env.server.ws_base}/v3.0/customer/rtm/ws?license_id={lid}", outsider.token
        )
    else:
        ok, body = call(env, "customer", "web", act, outsider.token, payload, lid)
        assert not ok and error_type(body) == "authentication", body
    assert _state(env, victim["chat_id"]) == before
