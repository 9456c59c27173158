"""Files (send_file, upload_image), typing indicators, sneak peeks and multicast."""

from __future__ import annotations

import struct
import zlib

import httpx

from .conftest import Env, RtmFactory

MAX_FILE = 10 * 1024 * 1024


def png(width: int, height: int) -> bytes:
    """A valid PNG of the given size (one grey pixel row per line)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def upload(
    env: Env,
    token: str,
    path: str,
    fields: dict[str, str],
    files: dict[str, tuple[str, bytes, str]],
) -> httpx.Response:
    return httpx.post(
        env.server.base_url + path,
        headers={"Authorization": f"Bearer {token}"},
        data=fields,
        files=files,
        timeout=60,
    )


async def test_send_file_makes_a_file_event_with_the_image_size(env: Env, rtm: RtmFactory) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    watcher = await rtm.customer(customer)
    image = png(37, 21)
    resp = upload(
        env,
        customer.token,
        f"/v3.0/customer/action/send_file?license_id={customer.license_id}",
        {"payload.chat_id": chat["id"], "payload.custom_id": "up-1"},
        {"payload.file": ("photo.png", image, "image/png")},
    )
    assert resp.status_code == 200, resp.text
    url = resp.json()["url"]
    push = await watcher.wait_push("incoming_event", lambda p: p["event"]["type"] == "file")
    event = push["payload"]["event"]
    assert event["url"] == url and event["custom_id"] == "up-1"
    assert (event["name"], event["content_type"], event["size"]) == (
        "photo.png",
        "image/png",
        len(image),
    )
    assert (event["width"], event["height"]) == (37, 21)
    served = httpx.get(url)
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"


def test_the_v3_0_web_api_answers_the_payload_and_the_payload_again(env: Env) -> None:
    """docs/decisions.md, "Web API responses": the payload's fields, as the spec's samples
    show them, and `payload`, where LiveChat's v3.0 customer SDK reads send_file's URL."""
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    query = f"license_id={customer.license_id}"
    resp = upload(
        env,
        customer.token,
        f"/v3.0/customer/action/send_file?{query}",
        {"payload.chat_id": chat["id"]},
        {"payload.file": ("note.txt", b"a note", "text/plain")},
    )
    assert resp.status_code == 200, resp.text
    url = resp.json()["url"]
    assert resp.json() == {"url": url, "payload": {"url": url}}

    def post(path: str, body: dict) -> httpx.Response:
        return env.http.post_raw(path, token=customer.token, json_body=body)

    # No response payload: `{}` under `payload`.
    props = {"chat_id": chat["id"], "properties": {"test": {"int_property": 1}}}
    resp = post(f"/v3.0/customer/action/update_chat_properties?{query}", {"payload": props})
    assert resp.status_code == 200 and resp.json() == {"payload": {}}, resp.text
    resp = post(f"/v3.0/customer/action/get_chats_summary?{query}", {"payload": {}})
    body = resp.json()
    assert body["total_chats"] == 1 and body["payload"]["total_chats"] == 1, body
    assert {k: v for k, v in body.items() if k != "payload"} == body["payload"]
    # Errors are as they were: `{"error": ...}` alone.
    resp = post(f"/v3.0/customer/action/get_chat_threads?{query}", {"payload": {}})
    assert resp.status_code == 400 and set(resp.json()) == {"error"}, resp.text
    # The seed's v0.5 paths take the payload itself and answer it alone.
    resp = post("/customer/v0.5/action/update_chat_properties", props)
    assert resp.status_code == 200 and resp.json() == {}, resp.text


def send_file(env: Env, name: str, data: bytes, content_type: str) -> httpx.Response:
    """A new customer's chat gets one file through the Customer Chat API's send_file."""
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    return upload(
        env,
        customer.token,
        f"/v3.0/customer/action/send_file?license_id={customer.license_id}",
        {"payload.chat_id": chat["id"]},
        {"payload.file": (name, data, content_type)},
    )


def test_an_html_file_is_served_as_a_download_never_as_a_page(env: Env) -> None:
    resp = send_file(env, "evil.html", b"<script>alert(1)</script>", "text/html")
    assert resp.status_code == 200, resp.text
    served = httpx.get(resp.json()["url"])
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in served.headers["content-security-policy"]


def test_a_file_one_byte_over_10_mb_is_refused(env: Env) -> None:
    resp = send_file(env, "big.bin", b"\0" * (MAX_FILE + 1), "application/octet-stream")
    assert resp.status_code == 413
    assert resp.json()["error"]["type"] == "entity_too_large"


def test_upload_image_answers_url_and_path(env: Env) -> None:
    resp = upload(
        env,
        env.a.owner.token,
        "/v3.0/agent/action/upload_image",
        {},
        {"payload.image": ("logo.png", png(4, 4), "image/png")},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["url"].endswith(body["path"])
    assert httpx.get(body["url"]).status_code == 200


def test_send_file_without_a_file_part_is_a_validation_error(env: Env) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    resp = upload(
        env,
        customer.token,
        f"/v3.0/customer/action/send_file?license_id={customer.license_id}",
        {"payload.chat_id": chat["id"]},
        {},
    )
    assert resp.status_code == 400
    assert "payload.file" in resp.json()["error"]["message"]


async def test_typing_indicator_reaches_the_customer_unless_meant_for_agents(
    env: Env, rtm: RtmFactory
) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "hi"}},
    )
    watcher = await rtm.customer(customer)
    env.agent(
        env.a.owner,
        "send_typing_indicator",
        {"chat_id": chat["id"], "recipients": "agents", "is_typing": True},
    )
    env.agent(env.a.owner, "send_typing_indicator", {"chat_id": chat["id"], "is_typing": True})
    push = await watcher.wait_push("incoming_typing_indicator")
    indicator = push["payload"]["typing_indicator"]
    assert push["payload"]["chat_id"] == chat["id"]
    assert indicator["author_id"] == env.a.owner.id and indicator["is_typing"] is True
    assert "recipients" not in indicator
    assert len([p for p in watcher.pushes if p["action"] == "incoming_typing_indicator"]) == 1


async def test_sneak_peek_reaches_agents_only(env: Env, rtm: RtmFactory) -> None:
    customer = env.new_customer()
    chat = env.start_chat(customer)["chat"]
    env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "hi"}},
    )
    agent = await rtm.agent(env.a.owner)
    me = await rtm.customer(customer)
    await me.call("send_sneak_peek", {"chat_id": chat["id"], "sneak_peek_text": "I am typ"})
    push = await agent.wait_push("incoming_sneak_peek", lambda p: p["chat_id"] == chat["id"])
    assert push["payload"]["sneak_peek"]["text"] == "I am typ"
    assert push["payload"]["sneak_peek"]["author_id"] == customer.id
    assert not [p for p in me.pushes if p["action"] == "incoming_sneak_peek"]


async def test_multicast_reaches_the_chosen_users(env: Env, rtm: RtmFactory) -> None:
    customer = env.new_customer()
    agent = await rtm.agent(env.normal)
    me = await rtm.customer(customer)
    env.agent(
        env.a.owner,
        "multicast",
        {
            "scopes": {"agents": {"ids": [env.normal.id]}, "customers": {"ids": [customer.id]}},
            "content": {"example": {"nested": "json"}},
            "type": "type1",
        },
    )
    for client in (agent, me):
        push = await client.wait_push("incoming_multicast")
        assert push["payload"] == {
            "author_id": env.a.owner.id,
            "content": {"example": {"nested": "json"}},
            "type": "type1",
        }


def test_multicast_needs_a_target(env: Env) -> None:
    resp = env.http.post_raw(
        "/v3.0/agent/action/multicast",
        token=env.a.owner.token,
        json_body={"payload": {"scopes": {}, "content": {"a": 1}}},
    )
    assert resp.status_code == 400
    assert "at least one" in resp.json()["error"]["message"]
