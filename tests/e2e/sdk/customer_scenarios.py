"""Customer Chat API calls of the official Python SDK (lc-sdk-python 0.4.2, unchanged)
against a Chatplane server, run in the SDK's own virtual environment (see scenarios.py).

    .venv-sdk/bin/python tests/e2e/sdk/customer_scenarios.py <scenario> '<json arguments>'

Prints one JSON object, the last line of stdout: what each call answered and the pushes
the RTM clients received, for tests/e2e/sdk/test_sdk_customer.py to check. An agent logged
in over the SDK's AgentRTM (v3.6) accepts chats meanwhile, so routing gives it the
customer's chats and it answers them. Nothing here asserts.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from livechat.agent.rtm.base import AgentRTM
from livechat.customer.rtm.base import CustomerRTM
from livechat.customer.web.base import CustomerWeb
from scenarios import PNG, property_round_trip, rtm_result, web_result

PAGE = (
    b"<html><head><title>Plain title</title>"
    b'<meta property="og:title" content="A page to preview">'
    b'<meta property="og:description" content="What the page is about">'
    b'<meta property="og:image" content="https://example.com/preview.png">'
    b"</head><body>hello</body></html>"
)


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *_args: Any) -> None:
        pass


def _serve_page() -> tuple[ThreadingHTTPServer, str]:
    """A page for get_url_info to read (the server may fetch private addresses here)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/page.html"


def _agent(a: dict[str, Any]) -> Any:
    """The agent who accepts chats (AgentRTM v3.6): logged in, so routing gives it chats."""
    agent = AgentRTM.get_client(version="3.6", base_url=a["base_url"])
    agent.open_connection()
    agent.login(token=a["agent_token"])
    return agent


def _pushes(client: Any, seconds: float = 1.0) -> list[dict[str, Any]]:
    time.sleep(seconds)
    with client.ws._messages_lock:
        messages = list(reversed(client.ws.messages))
    return [m for m in messages if m.get("type") == "push"]


def _wait_push(
    client: Any, action: str, text: str | None = None, timeout: float = 10
) -> dict[str, Any] | None:
    """The first push `action` (with an event of that `text`) the client received."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for push in _pushes(client, 0):
            event = (push.get("payload") or {}).get("event") or {}
            if push.get("action") == action and (text is None or event.get("text") == text):
                return push
        time.sleep(0.1)
    return None


def web_methods(a: dict[str, Any]) -> dict[str, Any]:
    """Every Customer Web API method of the SDK's client, in order."""
    v = a["version"]
    web = CustomerWeb.get_client(
        access_token=a["token"],
        version=v,
        base_url=a["base_url"],
        verify=False,
        organization_id=a["organization_id"],
        disable_logging=True,
    )
    agent = _agent(a)
    httpd, page_url = _serve_page()
    out: dict[str, Any] = {}

    def call(method: str, /, **kw: Any) -> Any:
        out[method] = web_result(getattr(web, method)(**kw))
        return out[method]["body"]

    ns, prop = a["namespace"], a["property"]
    dynamic = call("get_dynamic_configuration", group_id=0, url="https://shop.example/")
    versions = dynamic.get("livechat", dynamic) if isinstance(dynamic, dict) else {}
    call("get_configuration", group_id=0, version=versions.get("config_version", "x"))
    call(
        "get_localization",
        group_id=0,
        language="en",
        version=versions.get("localization_version", "x"),
    )
    call("list_license_properties")
    call("list_group_properties", group_id=0)
    call("list_group_statuses", all=True)
    call("get_form", group_id=0, type="prechat")
    call("get_predicted_agent")
    if v == "3.6":
        call("request_welcome_message")
    started = call(
        "start_chat",
        chat={"thread": {"events": [{"type": "message", "text": "Hello from the customer"}]}},
    )
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    event_id = call(
        "send_event", chat_id=chat_id, event={"type": "message", "text": "Anyone there?"}
    )["event_id"]
    # The agent routing gave the chat to answers it, with a rich message too.
    answered = agent.send_event(
        chat_id=chat_id, event={"type": "message", "text": "Hello, how can I help?"}
    )
    out["agent send_event"] = rtm_result(answered)
    rich = agent.send_event(
        chat_id=chat_id,
        event={
            "type": "rich_message",
            "template_id": "quick_replies",
            "elements": [{"title": "Happy?", "buttons": [{"text": "yes", "postback_id": "yes"}]}],
        },
    )
    out["agent send_event (rich_message)"] = rtm_result(rich)
    rich_id = (rich.payload or {}).get("event_id") if rich is not None else None
    postback: dict[str, Any] = {"id": "yes", "toggled": True}
    if v == "3.6":
        postback.update(button_type="message", button_value="yes")
    call(
        "send_rich_message_postback",
        chat_id=chat_id,
        thread_id=thread_id,
        event_id=rich_id,
        postback=postback,
    )
    call("send_sneak_peek", chat_id=chat_id, sneak_peek_text="I am typi")
    uploaded = call("upload_file", file={"file": ("dot.png", PNG, "image/png")})
    out["send_event (file)"] = web_result(
        web.send_event(chat_id=chat_id, event={"type": "file", "url": uploaded.get("url")})
    )
    call("get_chat", chat_id=chat_id)
    call("list_chats", limit=5)
    call("list_threads", chat_id=chat_id)
    call("mark_events_as_seen", chat_id=chat_id, seen_up_to="2030-01-01T00:00:00.000001Z")
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
    out["get_chat (with properties)"] = web_result(web.get_chat(chat_id=chat_id))
    call("delete_chat_properties", id=chat_id, properties={ns: [prop]})
    call("delete_thread_properties", chat_id=chat_id, thread_id=thread_id, properties={ns: [prop]})
    call(
        "delete_event_properties",
        chat_id=chat_id,
        thread_id=thread_id,
        event_id=event_id,
        properties={ns: [prop]},
    )
    call("update_customer", name="Thomas Anderson", email="t.anderson@example.com")
    call("set_customer_session_fields", session_fields=[{"plan": "gold"}, {"seat": "12"}])
    call("get_customer")
    call("check_goals", session_fields=[{"plan": "gold"}], group_id=0, page_url=page_url)
    call("get_url_info", url=page_url)
    call("accept_greeting", greeting_id=7, unique_id="Q10X0W041P")
    call("cancel_greeting", unique_id="Q10X0W041P")
    call("request_email_verification", callback_uri="https://example.com/verified")
    if v == "3.6":
        call("delete_event", chat_id=chat_id, thread_id=thread_id, event_id=event_id)
    call("deactivate_chat", id=chat_id)
    call("resume_chat", chat={"id": chat_id})
    out["get_chat (resumed)"] = web_result(web.get_chat(chat_id=chat_id))
    out["get_chat (a chat that is not there)"] = web_result(web.get_chat(chat_id="NOTACHAT00"))
    agent.close_connection()
    httpd.shutdown()
    return out


def rtm_methods(a: dict[str, Any]) -> dict[str, Any]:
    """Every Customer RTM API method of the SDK's client, with an agent answering."""
    v = a["version"]
    agent = _agent(a)
    customer = CustomerRTM.get_client(
        version=v, base_url=a["base_url"], organization_id=a["organization_id"]
    )
    customer.open_connection()
    out: dict[str, Any] = {}

    def call(method: str, /, **kw: Any) -> Any:
        out[method] = rtm_result(getattr(customer, method)(**kw))
        return out[method]["payload"]

    call(
        "login",
        payload={
            "token": a["token"],
            "customer": {"name": "Rita", "session_fields": [{"source": "sdk"}]},
            "customer_page": {"url": "https://shop.example/cart", "title": "Cart"},
            "group_id": 0,
            "referrer": "https://search.example/",
            "application": {"name": "sdk-test", "version": "1.0"},
            "is_mobile": False,
        },
    )
    call("update_customer_page", url="https://shop.example/checkout", title="Checkout")
    call("list_group_statuses", group_ids=[0, 99])
    call("get_form", group_id=0, type="postchat")
    call("get_predicted_agent")
    if v == "3.6":
        call("request_welcome_message", payload={"id": "welcome-1"})
    started = call(
        "start_chat",
        chat={"thread": {"events": [{"type": "message", "text": "Hello over RTM"}]}},
    )
    chat_id, thread_id = started["chat_id"], started["thread_id"]
    sent = call("send_event", chat_id=chat_id, event={"type": "message", "text": "Still here"})
    event_id = sent.get("event_id") if isinstance(sent, dict) else None
    call("send_sneak_peek", chat_id=chat_id, sneak_peek_text="typing...")
    # The agent routing gave the chat to answers: the customer hears it as a push.
    out["agent send_event"] = rtm_result(
        agent.send_event(chat_id=chat_id, event={"type": "message", "text": "Agent here!"})
    )
    out["agent reply push"] = _wait_push(customer, "incoming_event", "Agent here!")
    call("get_chat", chat_id=chat_id, thread_id=thread_id)
    call("list_chats")
    call("list_threads", chat_id=chat_id, min_events_count=2)
    call("mark_events_as_seen", chat_id=chat_id, seen_up_to="2030-01-01T00:00:00.000001Z")
    ns, prop = a["namespace"], a["property"]
    property_round_trip(call, ns, prop, chat_id, thread_id, event_id)
    call("update_customer", name="Rita Skeeter")
    call("set_customer_session_fields", session_fields=[{"source": "rtm"}])
    call("get_customer")
    call("get_url_info", url="http://127.0.0.1:1/nothing-there")
    if v == "3.6":
        call("delete_event", chat_id=chat_id, thread_id=thread_id, event_id=event_id)
    call("deactivate_chat", id=chat_id)
    call("resume_chat", chat={"id": chat_id})
    out["pushes"] = _pushes(customer)
    customer.close_connection()
    agent.close_connection()
    return out


SCENARIOS = {"web_methods": web_methods, "rtm_methods": rtm_methods}

if __name__ == "__main__":
    from loguru import logger

    logger.remove()  # the SDK logs every request; only the result goes to stdout
    result = SCENARIOS[sys.argv[1]](json.loads(sys.argv[2]))
    print(json.dumps(result))
