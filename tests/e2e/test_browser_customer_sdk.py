"""LiveChat's current browser SDK, `@livechat/customer-sdk` 4.0.2 (npm, Customer Chat API
v3.5), unchanged, against Chatplane in headless Chromium.

The published bundle is fetched with `npm pack` into a temporary directory (never kept in
the repository) and loaded by a page on https://shop.example. Chromium's
`--host-resolver-rules` send the SDK's host names, `accounts.livechatinc.com` (the token,
`POST /v2/customer/token` with the customer's cookie) and `api.livechatinc.com` (the RTM
websocket and the Web API), to one Chatplane server over TLS (its self-signed certificate
accepted). The SDK gets a token, connects, starts a chat, sends a message, receives the
agent's reply (the agent on the Agent Chat API v3.6), loads the history, and a reload of
the page (with its stored token, then with only the cookie) brings the same customer back.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from .browser import BROWSER_MISSING, console, make_driver, wait_for
from .harness import ServerProcess, run_cli, unique

PACKAGE = "@livechat/customer-sdk@4.0.2"
API = "api.livechatinc.com"
ACCOUNTS = "accounts.livechatinc.com"
SITE = "shop.example"

pytestmark = pytest.mark.skipif(
    BROWSER_MISSING is not None, reason=f"no browser: {BROWSER_MISSING}"
)


@pytest.fixture(scope="module")
def sdk_bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The published UMD bundle of the SDK, from the npm registry."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed (apt-get install npm)")
    where = tmp_path_factory.mktemp("customer-sdk")
    proc = subprocess.run(
        [npm, "pack", PACKAGE, "--silent"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, f"npm pack {PACKAGE} failed: {proc.stderr[-2000:]}"
    (tarball,) = where.glob("*.tgz")
    with tarfile.open(tarball) as tar:
        member = tar.extractfile("package/dist/customer-sdk.js")
        assert member is not None
        return member.read()


@dataclass
class Deployment:
    server: ServerProcess
    license_id: int
    organization_id: str
    client_id: str
    owner_token: str

    def agent(self, action: str, payload: dict[str, Any]) -> Any:
        """The owner, as an agent on the Agent Chat API v3.6 Web API."""
        resp = httpx.post(
            f"{self.server.base_url}/v3.6/agent/action/{action}",
            headers={"Authorization": f"Bearer {self.owner_token}"},
            json=payload,
            verify=False,
            trust_env=False,
            timeout=20,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    data_dir = tmp_path_factory.mktemp("browser-customer-sdk") / "data"
    init = run_cli(data_dir, "init")
    server = ServerProcess(
        data_dir,
        {
            "accounts_hosts": ACCOUNTS,
            "cors_origins": f"https://{SITE}",
            "customer_token_rate_limit": "0",
            "tls_self_signed": "true",
        },
    )
    server.start()
    try:
        yield Deployment(
            server,
            init["license_id"],
            init["organization_id"],
            init["client_id"],
            init["owner"]["access_token"],
        )
    finally:
        server.kill()


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>The shop</title></head>
<body><h1>The shop</h1>
<script src="/sdk/customer-sdk.js"></script>
<script>
  window.seen = {connected: null, customerId: null, events: [], errors: []};
  const sdk = CustomerSDK.init({organizationId: %(organization_id)s, clientId: %(client_id)s});
  window.sdk = sdk;
  sdk.on('customer_id', (id) => { window.seen.customerId = id; });
  sdk.on('connected', (payload) => { window.seen.connected = payload; });
  sdk.on('incoming_event', ({chatId, event}) => {
    window.seen.events.push({chatId, type: event.type, text: event.text, authorId: event.authorId});
  });
  sdk.on('disconnected', (payload) => { window.seen.errors.push(['disconnected', payload]); });
</script></body></html>
"""


@pytest.fixture
def shop(deployment: Deployment, sdk_bundle: bytes) -> Iterator[int]:
    """https://shop.example's page and the SDK's bundle, on a port of their own, with the
    server's self-signed pair."""
    page = (
        PAGE
        % {
            "organization_id": json.dumps(deployment.organization_id),
            "client_id": json.dumps(deployment.client_id),
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/sdk/"):
                body, kind = sdk_bundle, "application/javascript"
            else:
                body, kind = page, "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_dir = deployment.server.data_dir / "tls"
    context.load_cert_chain(tls_dir / "selfsigned.crt", tls_dir / "selfsigned.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def call(driver: Any, script: str, *args: Any) -> Any:
    """Run `script` (an async function body of `sdk` and `args`) in the page; its result,
    or the error the SDK threw."""
    out = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const args = Array.from(arguments).slice(0, -1);"
        f"(async (sdk, args) => {{ {script} }})(window.sdk, args)"
        ".then((value) => done({value}), (error) => done({error: String(error && "
        "(error.code || error.message) || error)}));",
        *args,
    )
    assert "error" not in out, f"{out['error']}\nconsole:\n{console(driver)}"
    return out.get("value")


def connected(driver: Any) -> dict[str, Any]:
    payload: dict[str, Any] = wait_for(
        driver, lambda: driver.execute_script("return window.seen.connected"), "the SDK to connect"
    )
    return payload


def test_the_customer_sdk_chats_with_an_agent_and_comes_back_after_a_reload(
    deployment: Deployment, shop: int, tmp_path: Path
) -> None:
    import selenium.webdriver  # noqa: F401 (BROWSER_MISSING says it is there)

    port = deployment.server.port
    rules = ", ".join(
        [
            f"MAP {API}:443 127.0.0.1:{port}",
            f"MAP {ACCOUNTS}:443 127.0.0.1:{port}",
            f"MAP {SITE}:443 127.0.0.1:{shop}",
            "MAP * ~NOTFOUND",  # nothing else (the SDK's log collector) leaves the machine
        ]
    )
    driver = make_driver(
        tmp_path / "profile",
        extra_flags=(f"--host-resolver-rules={rules}", "--ignore-certificate-errors"),
    )
    driver.set_script_timeout(30)
    hello = unique("Hello from the browser ")
    try:
        driver.get(f"https://{SITE}/shop/")
        first = connected(driver)
        customer_id = first["customer"]["id"]
        assert customer_id and first["customer"]["type"] == "customer"
        assert driver.execute_script("return window.seen.customerId") == customer_id

        started = call(
            driver,
            "return await sdk.startChat("
            "{chat: {thread: {events: [{type: 'message', text: args[0]}]}}});",
            hello,
        )
        chat = started.get("chat", started)
        chat_id = chat["id"]
        assert [e["text"] for e in chat["thread"]["events"] if e["type"] == "message"] == [hello]
        sent = call(
            driver,
            "return await sdk.sendEvent("
            "{chatId: args[0], event: {type: 'message', text: args[1]}});",
            chat_id,
            "Is anybody there?",
        )
        assert sent["text"] == "Is anybody there?"

        # The agent takes the chat and answers (Agent Chat API v3.6).
        deployment.agent(
            "add_user_to_chat",
            {
                "chat_id": chat_id,
                "user_id": "owner@chatplane.local",
                "user_type": "agent",
                "visibility": "all",
                "ignore_requester_presence": True,
            },
        )
        deployment.agent(
            "send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": "Hello, how can I help?"}},
        )
        reply = wait_for(
            driver,
            lambda: [
                e
                for e in driver.execute_script("return window.seen.events")
                if e["text"] == "Hello, how can I help?"
            ],
            "the agent's reply",
        )
        assert reply[0]["chatId"] == chat_id and reply[0]["authorId"] == "owner@chatplane.local"

        def history() -> list[str]:
            loaded = call(
                driver,
                "const h = sdk.getChatHistory({chatId: args[0]});"
                "const page = await h.next();"
                "return page.value.threads.flatMap((t) => t.events)"
                ".filter((e) => e.type === 'message').map((e) => e.text);",
                chat_id,
            )
            return list(loaded)

        expected = [hello, "Is anybody there?", "Hello, how can I help?"]
        assert history() == expected

        # The visitor comes back: the page keeps its token, and the same customer is back.
        driver.refresh()
        again = connected(driver)
        assert again["customer"]["id"] == customer_id
        chats = call(driver, "return await sdk.listChats();")
        assert [c["id"] for c in chats["chatsSummary"]] == [chat_id]
        assert history() == expected

        # Without the stored token, the cookie alone brings the same customer back.
        driver.execute_script("localStorage.clear(); sessionStorage.clear();")
        driver.refresh()
        by_cookie = connected(driver)
        assert by_cookie["customer"]["id"] == customer_id, console(driver)
        assert driver.execute_script("return window.seen.errors") == []
    finally:
        driver.quit()
