"""Retry-safe writes (docs/idempotency.md): the same key from the same caller within 24
hours gets the first answer back and writes nothing twice; over the Web API (the
`Idempotency-Key` header) and RTM (the `idempotency_key` frame field), for concurrent
duplicates, and across a SIGKILL between the commit and the answer."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from .conftest import Customer, Env, RtmFactory
from .harness import Http, ServerProcess, run_cli


def _send(env: Env, token: str, chat_id: str, text: str, key: str | None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else None
    return env.http.post_raw(
        "/v3.0/agent/action/send_event",
        token=token,
        json_body={"payload": {"chat_id": chat_id, "event": {"type": "message", "text": text}}},
        headers=headers,
    )


def _texts(env: Env, chat_id: str) -> list[str]:
    threads = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat_id})["chat"]["threads"]
    return [e.get("text") for t in threads for e in t.get("events", [])]


def _chat(env: Env) -> tuple[Customer, str]:
    customer = env.new_customer()
    return customer, env.start_chat(customer)["chat"]["id"]


def test_a_retried_send_event_answers_the_first_answer_and_stores_one_event(env: Env) -> None:
    _customer, chat_id = _chat(env)
    key, text = uuid.uuid4().hex, f"once {uuid.uuid4().hex}"
    first = _send(env, env.a.owner.token, chat_id, text, key)
    again = _send(env, env.a.owner.token, chat_id, text, key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert _texts(env, chat_id).count(text) == 1
    # Without a key, the same request is a second message.
    assert _send(env, env.a.owner.token, chat_id, text, None).status_code == 200
    assert _texts(env, chat_id).count(text) == 2


def test_the_same_key_with_another_payload_is_refused_and_writes_nothing(env: Env) -> None:
    _customer, chat_id = _chat(env)
    key = uuid.uuid4().hex
    assert _send(env, env.a.owner.token, chat_id, "first", key).status_code == 200
    other = _send(env, env.a.owner.token, chat_id, "second", key)
    assert other.status_code == 400
    error = other.json()["error"]
    assert error["type"] == "validation"
    assert "different request" in error["message"]
    assert "second" not in _texts(env, chat_id)


def test_keys_belong_to_their_caller(env: Env) -> None:
    """Another agent's request with the same key is its own request."""
    _customer, chat_id = _chat(env)
    env.join(chat_id, env.admin)
    key, text = uuid.uuid4().hex, f"shared key {uuid.uuid4().hex}"
    assert _send(env, env.a.owner.token, chat_id, text, key).status_code == 200
    assert _send(env, env.admin.token, chat_id, text, key).status_code == 200
    assert _texts(env, chat_id).count(text) == 2


@pytest.mark.parametrize(
    "key, message",
    [("", "1 to 255 characters"), ("x" * 256, "1 to 255 characters"), ("a\tb", "printable")],
)
def test_a_malformed_key_is_a_validation_error(env: Env, key: str, message: str) -> None:
    _customer, chat_id = _chat(env)
    resp = _send(env, env.a.owner.token, chat_id, "never stored", key)
    assert resp.status_code == 400
    assert resp.json()["error"]["type"] == "validation"
    assert message in resp.json()["error"]["message"]
    assert "never stored" not in _texts(env, chat_id)


def test_concurrent_duplicates_store_one_event_and_all_get_its_answer(env: Env) -> None:
    _customer, chat_id = _chat(env)
    key, text = uuid.uuid4().hex, f"concurrent {uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _i: _send(env, env.a.owner.token, chat_id, text, key), range(8))
        )
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert _texts(env, chat_id).count(text) == 1


async def test_rtm_requests_carry_the_key_in_the_frame(env: Env, rtm: RtmFactory) -> None:
    customer, chat_id = _chat(env)
    client = await rtm.customer(customer)
    key, text = uuid.uuid4().hex, f"rtm once {uuid.uuid4().hex}"
    payload: dict[str, Any] = {"chat_id": chat_id, "event": {"type": "message", "text": text}}
    first = await client.request("send_event", payload, extra={"idempotency_key": key})
    again = await client.request("send_event", payload, extra={"idempotency_key": key})
    assert first["success"] is again["success"] is True
    assert first["payload"] == again["payload"]
    assert _texts(env, chat_id).count(text) == 1
    refused = await client.request(
        "send_event",
        {**payload, "event": {"type": "message", "text": "other"}},
        extra={"idempotency_key": key},
    )
    assert refused["success"] is False
    assert refused["payload"]["error"]["type"] == "validation"
    mistyped = await client.request("send_event", payload, extra={"idempotency_key": 7})
    assert mistyped["success"] is False
    assert "idempotency_key must be a string" in mistyped["payload"]["error"]["message"]


def test_a_send_event_retried_after_sigkill_between_commit_and_answer_is_one_event(
    tmp_path: Any,
) -> None:
    """The server dies (SIGKILL, from a failpoint) right after committing an idempotent
    send_event and before answering; after a restart the retry stores nothing new and
    answers the event the first request stored."""
    data_dir = tmp_path / "data"
    lic = run_cli(data_dir, "init")
    owner_token = lic["owner"]["access_token"]
    server = ServerProcess(data_dir)
    server.start()
    http = Http(server.base_url)
    try:
        customer = http.create_customer(owner_token)
        chat_id = http.agent(
            owner_token,
            "start_chat",
            {"chat": {"users": [{"id": customer["entity_id"], "type": "customer"}]}},
        )["chat"]["id"]
    finally:
        http.close()
        server.stop()
    crashing = ServerProcess(data_dir, {"failpoints": "idempotency.after_commit"})
    crashing.start(port=server.port)
    key, text = uuid.uuid4().hex, f"killed {uuid.uuid4().hex}"
    body = {"payload": {"chat_id": chat_id, "event": {"type": "message", "text": text}}}
    headers = {"Authorization": f"Bearer {owner_token}", "Idempotency-Key": key}
    with pytest.raises(httpx.TransportError):
        httpx.post(
            crashing.base_url + "/v3.0/agent/action/send_event",
            json=body,
            headers=headers,
            timeout=30,
            trust_env=False,
        )
    assert crashing.proc is not None
    assert crashing.proc.wait(timeout=30) == -9  # killed, not exited
    crashing.kill()
    restarted = ServerProcess(data_dir)
    restarted.start(port=server.port)
    http = Http(restarted.base_url)
    try:
        retry = httpx.post(
            restarted.base_url + "/v3.0/agent/action/send_event",
            json=body,
            headers=headers,
            timeout=30,
            trust_env=False,
        )
        assert retry.status_code == 200, retry.text
        threads = http.agent(owner_token, "get_chat_threads", {"chat_id": chat_id})["chat"]
        stored = [e for t in threads["threads"] for e in t["events"] if e.get("text") == text]
        assert len(stored) == 1
        assert retry.json()["event"]["id"] == stored[0]["id"]
        # And the answer is now kept: a second retry gets the same bytes.
        again = httpx.post(
            restarted.base_url + "/v3.0/agent/action/send_event",
            json=body,
            headers=headers,
            timeout=30,
            trust_env=False,
        )
        assert again.json() == retry.json()
    finally:
        http.close()
        restarted.stop()


async def test_concurrent_rtm_and_web_duplicates_store_one(env: Env, rtm: RtmFactory) -> None:
    """The same caller's key over both transports at once is one request."""
    customer, chat_id = _chat(env)
    key, text = uuid.uuid4().hex, f"both {uuid.uuid4().hex}"
    payload = {"chat_id": chat_id, "event": {"type": "message", "text": text}}
    client = await rtm.customer(customer)
    web = asyncio.to_thread(
        env.http.post_raw,
        "/v3.0/customer/action/send_event",
        token=customer.token,
        json_body={"payload": payload},
        params={"license_id": customer.license_id},
        headers={"Idempotency-Key": key},
    )
    socket = client.request("send_event", payload, extra={"idempotency_key": key})
    web_answer, rtm_answer = await asyncio.gather(web, socket)
    assert web_answer.status_code == 200
    assert rtm_answer["success"] is True
    assert env.http._result(web_answer) == rtm_answer["payload"]  # v3.0: `payload` as well
    assert _texts(env, chat_id).count(text) == 1
