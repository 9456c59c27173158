"""LiveChat's own v3.0 browser SDK, `@livechat/customer-sdk` 2.0.0-alpha.3, unchanged, in
headless Chromium against a real `chatplane serve` over TLS.

The SDK's host names are hard-coded: it asks `https://accounts.livechatinc.com/customer?...`
for a token in a hidden iframe and talks to `https://api.livechatinc.com/v3.0/customer`
(SockJS at `/rtm/sjs`, the Web API for `send_file`). Chromium resolves both names to the
Chatplane server (`--host-resolver-rules`) and ignores its self-signed certificate; the page
lives on another site, `https://shop.example`, served here by a small TLS server, which
Chatplane lists in CHATPLANE_CORS_ORIGINS. The bundle comes from npm at test time
(tests/npm_packages.py) and is served as published.

Spec: ../shared/spec/customer-sdk/ (methods.md, events.md): the test uses only the methods
and events documented there (and `cancelRate`, which the bundle exports beside `rateChat`);
the agent side is driven from Python over the Agent Chat API's Web API.

Once over the websocket transport and once over xhr-polling (the page removes
`window.WebSocket` before the SDK loads, so sockjs-client cannot pick the websocket).
"""

from __future__ import annotations

import json
import shutil
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.npm_packages import install

from .browser import BROWSER_MISSING, console, make_driver, wait_for
from .harness import ServerProcess, run_cli, unique

pytestmark = pytest.mark.skipif(
    BROWSER_MISSING is not None, reason=f"no browser to test with: {BROWSER_MISSING}"
)

SDK = "@livechat/customer-sdk@2.0.0-alpha.3"
API_HOST = "api.livechatinc.com"
ACCOUNTS_HOST = "accounts.livechatinc.com"
SITE_HOST = "shop.example"
SITE = f"https://{SITE_HOST}"

# The SDK's documented events (events.md) the page records, in the order they come.
EVENTS = (
    "connected",
    "connection_lost",
    "connection_restored",
    "customer_id",
    "disconnected",
    "chat_properties_updated",
    "chat_thread_properties_updated",
    "last_seen_timestamp_updated",
    "new_event",
    "user_data",
    "user_joined_chat",
    "user_left_chat",
    "user_is_typing",
    "user_stopped_typing",
    "thread_closed",
)

# Runs before the bundle on the polling page: sockjs-client takes its WebSocket class from
# the global when it loads, and without one it uses its next transport, xhr-polling.
NO_WEBSOCKET = "window.WebSocket = undefined; window.MozWebSocket = undefined;"

# The page's own code: start the SDK as how_to_start.md does, record every documented event,
# and let the test call a method and get what its promise settles with.
HARNESS = """
(function () {
  var q = new URLSearchParams(location.search);
  window.seen = [];
  var sdk = CustomerSDK.init({license: Number(q.get("license")), clientId: q.get("client_id")});
  window.sdk = sdk;
  var plain = function (value) {
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  };
  __EVENTS__.forEach(function (name) {
    sdk.on(name, function (payload) { window.seen.push({name: name, payload: plain(payload)}); });
  });
  // call(function () { return sdk.method(...) }, done): done({ok, value} | {ok, error, code})
  window.call = function (start, done) {
    var settled;
    try { settled = Promise.resolve(start()); } catch (err) { settled = Promise.reject(err); }
    settled.then(
      function (value) { done({ok: true, value: plain(value)}); },
      function (err) {
        done({ok: false, error: String(err && err.message || err), code: err && err.code || null});
      }
    );
  };
})();
""".replace("__EVENTS__", json.dumps(EVENTS))


@dataclass
class Deployment:
    server: ServerProcess
    license_id: int
    client_id: str
    owner_token: str
    bundle: Path

    def http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.base_url, trust_env=False, timeout=20, verify=False
        )

    def agent(self, action: str, payload: dict[str, Any]) -> Any:
        """The owner, over the Agent Chat API's Web API."""
        with self.http() as client:
            resp = client.post(
                f"/v3.0/agent/action/{action}",
                json={"payload": payload},
                headers={"Authorization": f"Bearer {self.owner_token}"},
            )
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    bundle = (
        install(SDK) / "node_modules" / "@livechat" / "customer-sdk" / "dist" / "customer-sdk.js"
    )
    assert bundle.exists(), bundle
    root = tmp_path_factory.mktemp("customer-sdk-v30")
    data_dir = root / "data"
    lic = run_cli(data_dir, "init")
    server = ServerProcess(
        data_dir,
        {
            "tls_self_signed": "true",
            "accounts_hosts": ACCOUNTS_HOST,
            "cors_origins": SITE,
        },
    )
    server.start()
    try:
        yield Deployment(
            server, lic["license_id"], lic["client_id"], lic["owner"]["access_token"], bundle
        )
    finally:
        try:
            server.stop()
        finally:
            server.kill()


class _Site(BaseHTTPRequestHandler):
    """https://shop.example: a page with the SDK, with or without websockets."""

    bundle: bytes = b""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/customer-sdk.js":
            self._send(self.bundle, "text/javascript")
        elif path == "/harness.js":
            self._send(HARNESS.encode(), "text/javascript")
        elif path == "/no-websocket.js":
            self._send(NO_WEBSOCKET.encode(), "text/javascript")
        elif path == "/favicon.ico":
            self._send(b"", "image/x-icon")
        elif path in ("/shop/", "/shop/polling/"):
            first = '<script src="/no-websocket.js"></script>' if "polling" in path else ""
            page = (
                "<!doctype html><html><head><meta charset='utf-8'><title>shop</title>"
                f"{first}<script src='/customer-sdk.js'></script>"
                "<script src='/harness.js'></script></head><body><p>shop</p></body></html>"
            )
            self._send(page.encode(), "text/html; charset=utf-8")
        else:
            self.send_error(404)

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(deployment: Deployment) -> Iterator[int]:
    """The shop's TLS server (the Chatplane server's self-signed pair); its port."""
    handler = type("Site", (_Site,), {"bundle": deployment.bundle.read_bytes()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_dir = deployment.server.data_dir / "tls"
    context.load_cert_chain(tls_dir / "selfsigned.crt", tls_dir / "selfsigned.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


class Page:
    """The shop's page in Chromium, and the SDK in it."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url
        driver.set_script_timeout(40)

    def open(self) -> None:
        self.driver.get(self.url)

    def seen(self, name: str) -> list[Any]:
        found: list[Any] = self.driver.execute_script(
            "var name = arguments[0];"
            "return window.seen.filter(function (e) { return e.name === name; })"
            ".map(function (e) { return e.payload; })",
            name,
        )
        return found

    def wait_event(self, name: str, match: Any = None, what: str | None = None) -> Any:
        def found() -> Any:
            for payload in self.seen(name):
                if match is None or match(payload):
                    return payload if payload is not None else True
            return None

        return wait_for(self.driver, found, what or f"the SDK's {name!r} event", timeout=40)

    def call(self, expression: str, *args: Any) -> Any:
        """Call `expression` (a method of `sdk`, the args as args[0..]) and return what
        its promise resolves with; fail with the SDK's error otherwise."""
        result = self.try_call(expression, *args)
        assert result["ok"], f"{expression}: {result}\nconsole:\n{console(self.driver)}"
        return result["value"]

    def try_call(self, expression: str, *args: Any) -> dict[str, Any]:
        script = (
            "var args = Array.prototype.slice.call(arguments, 0, -1);"
            "var done = arguments[arguments.length - 1];"
            f"window.call(function () {{ return {expression}; }}, done);"
        )
        result: dict[str, Any] = self.driver.execute_async_script(script, *args)
        return result

    def transport(self) -> str | None:
        # The bundle is a development build: it leaves its SockJS instance on window.
        name: str | None = self.driver.execute_script(
            "return window.sockJS && window.sockJS.transport || null"
        )
        return name


@pytest.fixture
def chromium(deployment: Deployment, site: int, tmp_path: Path) -> Iterator[Any]:
    port = deployment.server.port
    rules = ", ".join(
        [
            f"MAP {API_HOST}:443 127.0.0.1:{port}",
            f"MAP {ACCOUNTS_HOST}:443 127.0.0.1:{port}",
            f"MAP {SITE_HOST}:443 127.0.0.1:{site}",
        ]
    )
    profile = tmp_path / "profile"
    driver = make_driver(
        profile, extra_flags=(f"--host-resolver-rules={rules}", "--ignore-certificate-errors")
    )
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_url(d: Deployment, polling: bool) -> str:
    query = urlencode({"license": d.license_id, "client_id": d.client_id})
    return f"{SITE}/shop/{'polling/' if polling else ''}?{query}"


@pytest.mark.parametrize("polling", [False, True], ids=["websocket", "xhr-polling"])
def test_the_published_sdk_chats_end_to_end(
    deployment: Deployment, chromium: Any, polling: bool
) -> None:
    d = deployment
    page = Page(chromium, page_url(d, polling))
    page.open()

    # A token from the accounts page, a SockJS connection, login and the chats summary.
    connected = page.wait_event("connected")
    assert connected == {"chatsSummary": [], "totalChats": 0}, connected
    customer_id = page.wait_event("customer_id")
    assert page.transport() == ("xhr-polling" if polling else "websocket")

    # A chat with a first message; then more.
    first = unique("hello from the sdk ")
    chat = page.call("sdk.startChat({events: [{type: 'message', text: args[0]}]})", first)
    chat_id = chat["id"]
    assert chat["users"] == [customer_id], chat
    assert [e["text"] for e in chat["events"]] == [first], chat
    second = unique("a second message ")
    sent = page.call("sdk.sendEvent(args[0], {type: 'message', text: args[1]})", chat_id, second)
    assert sent["type"] == "message" and sent["text"] == second, sent
    assert sent["author"] == customer_id and sent["id"], sent

    # An agent answers over the Web API; the SDK hears it.
    reply = unique("the agent answers ")
    d.agent("send_event", {"chat_id": chat_id, "event": {"type": "message", "text": reply}})
    heard = page.wait_event(
        "new_event", lambda p: p["event"].get("text") == reply, "the agent's reply"
    )
    assert heard["chat"] == chat_id and heard["event"]["author"] == "owner@chatplane.local"

    # The history and the chats summary.
    history = page.call("sdk.getChatHistory(args[0]).next()", chat_id)
    texts = [e.get("text") for e in history["value"] if e["type"] == "message"]
    assert texts == [first, second, reply], history
    summary = page.call("sdk.getChatsSummary()")
    assert summary["totalChats"] == 1, summary
    (mine,) = summary["chatsSummary"]
    assert mine["id"] == chat_id and mine["active"] is True, mine
    assert mine["lastEvent"]["text"] == reply, mine

    # A file.
    uploaded = page.call(
        "sdk.sendFile(args[0], {file: new File(['a note from the shop'], 'note.txt',"
        " {type: 'text/plain'})})",
        chat_id,
    )
    # (The URL names the host the SDK asked, as the file's own page would link it.)
    assert uploaded and uploaded["url"].startswith(f"https://{API_HOST}/"), uploaded
    with d.http() as client:
        fetched = client.get(uploaded["url"].replace(f"https://{API_HOST}", d.server.base_url))
    assert fetched.status_code == 200 and fetched.content == b"a note from the shop"
    page.wait_event("new_event", lambda p: p["event"]["type"] == "file", "the file event")

    # A rating, then its cancelling (thread properties in the `rating` namespace).
    rated = page.call("sdk.rateChat(args[0], {score: 1, comment: 'Helpful!'})", chat_id)
    assert rated == {"success": True}, rated
    thread = d.agent("get_chat_threads", {"chat_id": chat_id})["chat"]["threads"][-1]
    assert thread["id"] == chat["thread"], (thread, chat)  # the chat's last thread
    assert thread["properties"]["rating"] == {
        "score": {"value": 1},
        "comment": {"value": "Helpful!"},
    }, thread
    cancelled = page.call("sdk.cancelRate(args[0])", chat_id)
    assert cancelled == {"success": True}, cancelled
    thread = d.agent("get_chat_threads", {"chat_id": chat_id})["chat"]["threads"][-1]
    assert thread["properties"]["rating"] == {"comment": {"value": "Helpful!"}}, thread
    # Cancelling again deletes what is not there: the SDK still gets its push.
    assert page.call("sdk.cancelRate(args[0])", chat_id) == {"success": True}

    # The customer's name, e-mail and fields.
    email = f"{unique('shopper')}@example.com"
    page.call(
        "sdk.updateCustomer({name: 'Sam Shopper', email: args[0], fields: {basket: '10usd'}})",
        email,
    )

    def updated() -> Any:
        users = d.agent("get_chat_threads", {"chat_id": chat_id})["chat"]["users"]
        (me,) = [u for u in users if u["id"] == customer_id]
        return me if me.get("email") == email else None

    me = wait_for(chromium, updated, "the customer's update to reach the server")
    assert me["name"] == "Sam Shopper" and me["fields"] == {"basket": "10usd"}, me

    # Closing the thread.
    closed = page.call("sdk.closeThread(args[0])", chat_id)
    assert closed == {"success": True}, closed
    # (The SDK takes the `thread_closed` push carrying its request_id as the answer.)
    thread = d.agent("get_chat_threads", {"chat_id": chat_id})["chat"]["threads"][-1]
    assert thread["active"] is False, thread

    # A reload: the same customer, the same chat.
    page.open()
    again = page.wait_event("connected")
    assert page.wait_event("customer_id") == customer_id
    assert again["totalChats"] == 1, again
    (back,) = again["chatsSummary"]
    assert back["id"] == chat_id and back["active"] is False, back
    history = page.call("sdk.getChatHistory(args[0]).next()", chat_id)
    texts = [e.get("text") for e in history["value"] if e["type"] == "message"]
    assert texts == [first, second, reply], history

    # Without the token the SDK kept (a new browser session of the same visitor): the
    # accounts page knows the visitor by its cookie.
    chromium.execute_script("window.localStorage.clear()")
    page.open()
    page.wait_event("connected")
    assert page.wait_event("customer_id") == customer_id
    assert page.transport() == ("xhr-polling" if polling else "websocket")
    errors = [line for line in console(chromium).splitlines() if line.startswith("SEVERE")]
    assert not errors, errors
