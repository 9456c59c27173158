"""Calls of the official Python SDK (lc-sdk-python 0.4.2, unchanged) against a Chatplane
server, run in the SDK's own virtual environment (it pins httpx 0.28.1; .ci/run builds
it from requirements.txt beside this file).

    .venv-sdk/bin/python tests/e2e/sdk/scenarios.py <scenario> '<json arguments>'

Prints one JSON object, the last line of stdout: what each call answered (and the pushes
the RTM clients received), for tests/e2e/sdk/test_sdk_agent.py to check. Nothing here
asserts: a failing call is recorded with its status and body.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from livechat.agent.rtm.base import AgentRTM
from livechat.agent.web.base import AgentWeb
from livechat.utils.structures import AccessToken, TokenType

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
    b"\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
    b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def web_result(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return {"status": response.status_code, "body": body}


def rtm_result(response: Any) -> dict[str, Any]:
    if response is None:
        return {"success": None, "payload": "no response within the SDK's timeout"}
    return {"success": response.success, "payload": response.payload}


Call = Callable[..., Any]


def property_round_trip(
    call: Call, ns: str, prop: str, chat_id: str, thread_id: str, event_id: str
) -> None:
    """Set the property on the chat, the thread and the event, then delete all three (the
    agent and the customer API name these six methods alike)."""
    call("update_chat_properties", id=chat_id, properties={ns: {prop: "chat"}})
    call(
        "update_thread_properties",
        chat_id=chat_id,
        thread_id=thread_id,
        properties={ns: {prop: "thread"}},
    )
    call(
        "update_event_properties",
        chat_id=chat_id,
        thread_id=thread_id,
        event_id=event_id,
        properties={ns: {prop: "event"}},
    )
    call("delete_chat_properties", id=chat_id, properties={ns: [prop]})
    call("delete_thread_properties", chat_id=chat_id, thread_id=thread_id, properties={ns: [prop]})
    call(
        "delete_event_properties",
        chat_id=chat_id,
        thread_id=thread_id,
        event_id=event_id,
        properties={ns: [prop]},
    )


def every_method(call: Call, a: dict[str, Any], *, web: bool) -> None:
    """The methods both clients have, in an order that gives each something to act on.
    `call(method, **arguments)` runs one, records what it answered, and returns the
    response payload (None where it failed)."""
    ns, prop = a["namespace"], a["property"]
    started = call("start_chat", continuous=True) or {}
    chat_id, thread_id = started.get("chat_id"), started.get("thread_id")
    event_id = (
        call(
            "send_event",
            chat_id=chat_id,
            event={"type": "message", "text": "Hello from the SDK", "visibility": "all"},
        )
        or {}
    ).get("event_id")
    call("get_chat", chat_id=chat_id, thread_id=thread_id)
    call("list_chats", limit=2)
    call("list_threads", chat_id=chat_id)
    call("list_archives", filters={"thread_ids": [thread_id]})
    if web:
        uploaded = call("upload_file", file={"file": ("dot.png", PNG, "image/png")}) or {}
        call(
            "send_event",
            chat_id=chat_id,
            event={"type": "file", "url": uploaded.get("url")},
            record="send_event (file)",
        )
    rich = call(
        "send_event",
        chat_id=chat_id,
        event={
            "type": "rich_message",
            "template_id": "quick_replies",
            "elements": [{"title": "OK?", "buttons": [{"text": "yes", "postback_id": "yes"}]}],
        },
        record="send_event (rich_message)",
    )
    call(
        "send_rich_message_postback",
        chat_id=chat_id,
        thread_id=thread_id,
        event_id=(rich or {}).get("event_id"),
        postback={"id": "yes", "toggled": True},
    )
    property_round_trip(call, ns, prop, chat_id, thread_id, event_id)
    call("tag_thread", chat_id=chat_id, thread_id=thread_id, tag="sdk")
    call("untag_thread", chat_id=chat_id, thread_id=thread_id, tag="sdk")
    if a["version"] == "3.6":
        call("send_thinking_indicator", chat_id=chat_id, title="Thinking...")
        call(
            "send_event_preview",
            chat_id=chat_id,
            event={"type": "message", "text": "Almost there", "visibility": "all"},
        )
    call("mark_events_as_seen", chat_id=chat_id, seen_up_to="2030-01-01T00:00:00.000001Z")
    call("send_typing_indicator", chat_id=chat_id, visibility="agents", is_typing=True)
    call("multicast", recipients={"agents": {"all": True}}, content={"from": "sdk"}, type="t")
    call("list_agents_for_transfer", chat_id=chat_id)
    # The customer's chat: taken (so the customer is served by the caller, whose clients
    # hear of its updates), handed over and left.
    customer_chat = a["customer_chat_id"]
    call(
        "add_user_to_chat",
        chat_id=customer_chat,
        user_id=a["agent_id"],
        user_type="agent",
        visibility="all",
        ignore_requester_presence=True,
    )
    call("get_customer", id=a["customer_id"])
    call("update_customer", id=a["customer_id"], name="Thomas Anderson")
    call(
        "transfer_chat",
        id=customer_chat,
        target={"type": "agent", "ids": [a["other_agent_id"]]},
        ignore_agents_availability=True,
    )
    call(
        "remove_user_from_chat",
        chat_id=customer_chat,
        user_id=a["other_agent_id"],
        user_type="agent",
        ignore_requester_presence=True,
    )
    # No longer in the customer's chat: the caller follows it, then stops.
    call("follow_chat", id=customer_chat)
    call("unfollow_chat", id=customer_chat)
    call("ban_customer", id=a["banned_customer_id"], ban={"days": 1})
    call("set_routing_status", status="not_accepting_chats", agent_id=a["agent_id"])
    call("list_routing_statuses", filters={"group_ids": [0]})
    call("deactivate_chat", id=chat_id)
    call("resume_chat", chat={"id": chat_id})
    if a["version"] == "3.5":
        created = call("create_customer", name="New Customer", session_fields=[{"k": "v"}]) or {}
        call(
            "list_customers",
            limit=1,
            filters={"customer_id": {"values": [created.get("customer_id")]}},
        )
        if web:
            call("get_license_info")
    else:
        call("request_thread_summary", chat_id=chat_id, thread_id=thread_id)


def web_methods(a: dict[str, Any]) -> dict[str, Any]:
    """Every Agent Web API method of the SDK's client that Chatplane serves."""
    client = AgentWeb.get_client(
        access_token=a["token"],
        version=a["version"],
        base_url=a["base_url"],
        verify=False,
        disable_logging=True,
    )
    out: dict[str, Any] = {}

    def call(method: str, /, record: str | None = None, **kw: Any) -> Any:
        out[record or method] = result = web_result(getattr(client, method)(**kw))
        return result["body"] if result["status"] == 200 else None

    every_method(call, a, web=True)
    return out


def _drain(client: Any, seconds: float = 1.0) -> list[dict[str, Any]]:
    """The pushes a client received (waiting a little for the last ones)."""
    time.sleep(seconds)
    with client.ws._messages_lock:
        messages = list(reversed(client.ws.messages))
    return [m for m in messages if m.get("type") == "push"]


def rtm_methods(a: dict[str, Any]) -> dict[str, Any]:
    """Every Agent RTM API method of the SDK's client that Chatplane serves, with a second
    agent's connection watching the pushes."""
    v = a["version"]
    actor = AgentRTM.get_client(version=v, base_url=a["base_url"])
    watcher = AgentRTM.get_client(version=v, base_url=a["base_url"])
    actor.open_connection()
    watcher.open_connection()
    out: dict[str, Any] = {}

    def call(method: str, /, record: str | None = None, **kw: Any) -> Any:
        out[record or method] = result = rtm_result(getattr(actor, method)(**kw))
        return result["payload"] if result["success"] else None

    out["login (watcher)"] = rtm_result(watcher.login(token=a["watcher_token"]))
    call("login", token=a["token"])
    every_method(call, a, web=False)
    call("change_push_notifications", firebase_token="fcm-sdk", platform="ios", enabled=True)
    call("set_away_status", away=True)
    call("set_away_status", away=False, record="set_away_status (back)")
    if v == "3.6":
        call("update_session", token=a["token"])
    out["pushes"] = _drain(watcher)
    out["actor pushes"] = _drain(actor, 0)
    call("logout")
    actor.close_connection()
    watcher.close_connection()
    return out


def example_web(a: dict[str, Any]) -> dict[str, Any]:
    """examples/agent_web_example.py of the SDK's repository, with only the host and the
    token changed (the server's certificate is trusted through SSL_CERT_FILE)."""
    agent_web = AgentWeb.get_client(
        access_token=AccessToken(scheme=TokenType.BEARER, token=a["raw_token"]),
        base_url=a["base_url"],
    )
    results = agent_web.start_chat(continuous=True)
    chat_id = results.json().get("chat_id")
    thread_id = results.json().get("thread_id")
    sent = agent_web.send_event(
        chat_id=chat_id,
        event={"type": "message", "text": "Hello from Agent WEB!", "visibility": "all"},
    )
    got = agent_web.get_chat(chat_id=chat_id, thread_id=thread_id)
    deactivated = agent_web.deactivate_chat(id=chat_id)
    return {
        "start_chat": web_result(results),
        "send_event": web_result(sent),
        "get_chat": web_result(got),
        "deactivate_chat": web_result(deactivated),
    }


def example_rtm(a: dict[str, Any]) -> dict[str, Any]:
    """examples/agent_rtm_example.py of the SDK's repository, with only the host and the
    token changed."""
    agent_rtm = AgentRTM.get_client(base_url=a["base_url"])
    agent_rtm.open_connection()
    logged_in = agent_rtm.login(token=AccessToken(scheme=TokenType.BEARER, token=a["raw_token"]))
    response = agent_rtm.start_chat(continuous=True)
    chat_id = response.payload.get("chat_id")
    thread_id = response.payload.get("thread_id")
    # The example reads the `incoming_chat` push as the newest message received (which
    # another agent's status push may beat); what it received is returned too.
    time.sleep(0.5)
    incoming_chat_push = agent_rtm.ws.messages[0]
    received = list(agent_rtm.ws.messages)
    sent = agent_rtm.send_event(
        chat_id=chat_id,
        event={"type": "message", "text": "Hello from Agent RTM!", "visibility": "all"},
    )
    got = agent_rtm.get_chat(chat_id=chat_id, thread_id=thread_id)
    deactivated = agent_rtm.deactivate_chat(id=chat_id)
    logged_out = agent_rtm.logout()
    agent_rtm.close_connection()
    return {
        "login": rtm_result(logged_in),
        "start_chat": rtm_result(response),
        "incoming_chat_push": incoming_chat_push,
        "received": received,
        "send_event": rtm_result(sent),
        "get_chat": rtm_result(got),
        "deactivate_chat": rtm_result(deactivated),
        "logout": rtm_result(logged_out),
    }


SCENARIOS = {
    "web_methods": web_methods,
    "rtm_methods": rtm_methods,
    "example_web": example_web,
    "example_rtm": example_rtm,
}

if __name__ == "__main__":
    from loguru import logger

    logger.remove()  # the SDK logs every request; only the result goes to stdout
    result = SCENARIOS[sys.argv[1]](json.loads(sys.argv[2]))
    print(json.dumps(result))
