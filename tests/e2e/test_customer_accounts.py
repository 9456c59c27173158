"""Customer tokens the v3.x way, the accounts host, the customer cookie and the v3.0 SDK's
token page, against real servers.

Spec: authorization/customer-authorization (v3.6: `POST /v2/customer/token`, cookie grant
and agent token grant, their sample responses), ../spec/authorization/errors.md (the
`oauth_exception` codes) and the published `@livechat/customer-sdk` 2.0.0-alpha.3, whose
hidden iframe loads `GET https://accounts.livechatinc.com/customer?...` and waits for a
message from that origin carrying its `state`.

The servers here list `accounts.example` in CHATPLANE_ACCOUNTS_HOSTS and
`https://shop.example` in CHATPLANE_CORS_ORIGINS.
"""

from __future__ import annotations

import json
import re
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

from .browser import BROWSER_MISSING, console, make_driver, wait_for
from .harness import ServerProcess, run_cli

ACCOUNTS = "accounts.example"
SITE = "https://shop.example"
STATE = "@livechat/customer-auth"
COOKIE = "chatplane_customer"


@dataclass
class Deployment:
    server: ServerProcess
    license_id: int
    organization_id: str
    client_id: str
    owner_token: str

    def client(self, host: str | None = ACCOUNTS) -> httpx.Client:
        """A client that names `host` in its Host header (None: the address itself)."""
        headers = {"Host": host} if host else {}
        return httpx.Client(
            base_url=self.server.base_url,
            headers=headers,
            trust_env=False,
            timeout=20,
            verify=False,
        )

    def cookie_grant(self, **extra: Any) -> dict[str, Any]:
        body = {
            "grant_type": "cookie",
            "client_id": self.client_id,
            "response_type": "token",
            "organization_id": self.organization_id,
        }
        body.update(extra)
        return {k: v for k, v in body.items() if v is not None}


def _deploy(root: Path, **settings: str) -> Iterator[Deployment]:
    data_dir = root / "data"
    lic = run_cli(data_dir, "init")
    server = ServerProcess(
        data_dir,
        {
            "accounts_hosts": f"{ACCOUNTS},accounts.other.example",
            "cors_origins": SITE,
            "customer_token_rate_limit": "0",
            **settings,
        },
    )
    server.start()
    try:
        yield Deployment(
            server,
            lic["license_id"],
            lic["organization_id"],
            lic["client_id"],
            lic["owner"]["access_token"],
        )
    finally:
        server.kill()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from _deploy(tmp_path_factory.mktemp("accounts-http"))


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from _deploy(tmp_path_factory.mktemp("accounts-https"), tls_self_signed="true")


def post_json_without_type(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    """As the current customer SDK posts: a JSON body and no Content-Type at all."""
    request = client.build_request("POST", path, content=json.dumps(body).encode())
    request.headers.pop("Content-Type", None)
    assert "content-type" not in request.headers
    return client.send(request)


def set_cookies(resp: httpx.Response) -> list[str]:
    return [v for k, v in resp.headers.multi_items() if k.lower() == "set-cookie"]


def cookie_attributes(resp: httpx.Response) -> tuple[str, set[str], dict[str, str]]:
    """(value, flags, attributes) of the customer cookie the response sets."""
    (header,) = [c for c in set_cookies(resp) if c.startswith(f"{COOKIE}=")]
    first, *rest = [p.strip() for p in header.split(";")]
    flags = {p.lower() for p in rest if "=" not in p}
    attrs = {p.split("=", 1)[0].lower(): p.split("=", 1)[1] for p in rest if "=" in p}
    return first.split("=", 1)[1], flags, attrs


# -- the cookie grant ------------------------------------------------------------------


def test_the_cookie_grant_answers_the_specs_shape(plain: Deployment) -> None:
    with plain.client() as client:
        resp = post_json_without_type(client, "/v2/customer/token", plain.cookie_grant())
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"access_token", "entity_id", "expires_in", "token_type", "organization_id"}
    assert body["token_type"] == "Bearer"
    assert body["organization_id"] == plain.organization_id
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert resp.headers["cache-control"] == "no-store"

    # The token is a customer's of this license.
    with plain.client(None) as api:
        summary = api.post(
            "/v3.0/customer/action/get_chats_summary",
            params={"license_id": plain.license_id},
            json={"payload": {}},
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
    assert summary.status_code == 200, summary.text


def test_the_cookie_brings_the_same_customer_back(plain: Deployment) -> None:
    with plain.client() as client:
        first = post_json_without_type(client, "/v2/customer/token", plain.cookie_grant())
        assert first.status_code == 200, first.text
        assert client.cookies.get(COOKIE)
        again = post_json_without_type(client, "/v2/customer/token", plain.cookie_grant())
        assert again.status_code == 200, again.text
        # The same cookie at the other token paths: the same customer there too.
        legacy = client.post("/customer/token", json={"license_id": plain.license_id})
        prefixed = post_json_without_type(
            client, "/accounts/v2/customer/token", plain.cookie_grant()
        )
    assert again.json()["entity_id"] == first.json()["entity_id"]
    assert again.json()["access_token"] != first.json()["access_token"]
    assert legacy.json()["entity_id"] == first.json()["entity_id"]
    assert prefixed.json()["entity_id"] == first.json()["entity_id"]
    # Each grant sets the cookie again: two more years from now.
    value, _flags, attrs = cookie_attributes(again)
    assert value == client.cookies.get(COOKIE)
    assert attrs["max-age"] == str(2 * 365 * 86400)

    with plain.client() as stranger:
        other = post_json_without_type(stranger, "/v2/customer/token", plain.cookie_grant())
    assert other.json()["entity_id"] != first.json()["entity_id"]


def test_the_cookie_grant_takes_a_license_id_and_every_body_encoding(plain: Deployment) -> None:
    grant = plain.cookie_grant(organization_id=None, license_id=plain.license_id)
    with plain.client() as client:
        as_json = client.post("/v2/customer/token", json=grant)
        as_text = client.post(
            "/v2/customer/token",
            content=json.dumps(grant),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
        # curl -d '{...}' labels JSON as a form, as the spec's own examples do.
        as_curl = client.post(
            "/v2/customer/token",
            content=json.dumps(grant),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        as_form = client.post("/v2/customer/token", data={k: str(v) for k, v in grant.items()})
    for resp in (as_json, as_text, as_curl, as_form):
        assert resp.status_code == 200, resp.text
        assert resp.json()["organization_id"] == plain.organization_id
        assert resp.json()["license_id"] == plain.license_id


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"grant_type": None}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_id": None}, 400, "invalid_request"),
        ({"client_id": "not-an-application"}, 400, "unauthorized_client"),
        ({"organization_id": None}, 400, "invalid_request"),
        ({"organization_id": "00000000-0000-4000-8000-000000000000"}, 404, "invalid_request"),
        ({"license_id": 987654}, 400, "invalid_request"),  # another license than the org's
        ({"response_type": "code"}, 400, "unsupported_response_type"),
        ({"license_id": "one"}, 400, "invalid_request"),
    ],
)
def test_the_cookie_grant_names_what_is_wrong(
    plain: Deployment, change: dict[str, Any], status: int, error: str
) -> None:
    with plain.client() as client:
        resp = post_json_without_type(client, "/v2/customer/token", plain.cookie_grant(**change))
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] == error, body
    assert body["error_description"], body
    assert not set_cookies(resp)


def test_a_malformed_body_is_an_invalid_request(plain: Deployment) -> None:
    with plain.client() as client:
        for content in (b"{not json", b"[1, 2]", b"%zz=%"):
            resp = client.post("/v2/customer/token", content=content)
            assert resp.status_code == 400, resp.text
            assert resp.json()["error"] == "invalid_request"


# -- the agent token grant ----------------------------------------------------------------


def agent_grant(d: Deployment, token: str, **extra: Any) -> httpx.Response:
    body = {"grant_type": "agent_token", "client_id": d.client_id, "response_type": "token"}
    body.update(extra)
    with d.client() as client:
        return client.post(
            "/v2/customer/token", json=body, headers={"Authorization": f"Bearer {token}"}
        )


def test_the_agent_token_grant_makes_and_finds_customers(plain: Deployment) -> None:
    made = agent_grant(plain, plain.owner_token)
    assert made.status_code == 200, made.text
    body = made.json()
    assert set(body) == {
        "access_token",
        "client_id",
        "entity_id",
        "expires_in",
        "token_type",
        "organization_id",
    }
    assert body["client_id"] == plain.client_id
    assert body["organization_id"] == plain.organization_id
    assert not set_cookies(made)

    for key in ("entity_id", "customer_id"):
        again = agent_grant(plain, plain.owner_token, **{key: body["entity_id"]})
        assert again.status_code == 200, again.text
        assert again.json()["entity_id"] == body["entity_id"]
        assert again.json()["access_token"] != body["access_token"]

    missing = agent_grant(plain, plain.owner_token, entity_id="no-such-customer")
    assert missing.status_code == 404 and missing.json()["error"] == "invalid_request"
    both = agent_grant(plain, plain.owner_token, entity_id=body["entity_id"], customer_id="x")
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    other_org = agent_grant(
        plain, plain.owner_token, organization_id="00000000-0000-4000-8000-000000000000"
    )
    assert other_org.status_code == 404, other_org.text
    no_client = agent_grant(plain, plain.owner_token, client_id=None)
    assert no_client.status_code == 400 and no_client.json()["error"] == "invalid_request"


def test_the_agent_token_grant_needs_customers_own(plain: Deployment) -> None:
    normal = run_cli(
        plain.server.data_dir,
        "agent",
        "create",
        "--email",
        "plain.normal@example.com",
        "--name",
        "Norm",
    )
    refused = agent_grant(plain, normal["access_token"])
    assert refused.status_code == 403 and refused.json()["error"] == "access_denied"
    unknown = agent_grant(plain, "not-a-token")
    assert unknown.status_code == 401 and unknown.json()["error"] == "unauthorized"


# -- the accounts host --------------------------------------------------------------------


def test_accounts_paths_are_served_at_the_root_of_an_accounts_host(plain: Deployment) -> None:
    bearer = {"Authorization": f"Bearer {plain.owner_token}"}
    for host in (ACCOUNTS, f"{ACCOUNTS}:8443", "ACCOUNTS.other.example"):
        with plain.client(host) as client:
            info = client.get("/info", headers=bearer)
            assert info.status_code == 200, (host, info.text)
            assert info.json()["entity_id"] == "owner@chatplane.local"
            assert client.post("/customer/", headers=bearer).status_code == 200
            assert client.post("/customer", headers=bearer).status_code == 200
            token = client.post(
                "/token", data={"grant_type": "refresh_token", "refresh_token": "x"}
            )
            assert token.json()["error"] == "invalid_grant"
            # The rest of the server still answers on that name.
            assert client.get("/healthz").status_code == 200
            assert client.get("/accounts/info", headers=bearer).status_code == 200

    # Any other name: only under /accounts.
    with plain.client("api.example") as client:
        assert client.get("/info", headers=bearer).status_code == 404
        assert client.post("/v2/customer/token", json=plain.cookie_grant()).status_code == 404
        assert client.get("/customer").status_code == 404
        assert client.get("/accounts/info", headers=bearer).status_code == 200
        ok = client.post("/accounts/v2/customer/token", json=plain.cookie_grant())
        assert ok.status_code == 200, ok.text


def test_cors_lets_the_listed_site_ask_with_credentials(plain: Deployment) -> None:
    with plain.client() as client:
        pre = client.options(
            "/v2/customer/token",
            headers={
                "Origin": SITE,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert pre.status_code == 200, pre.text
        assert pre.headers["access-control-allow-origin"] == SITE
        assert pre.headers["access-control-allow-credentials"] == "true"
        request = client.build_request(
            "POST",
            "/v2/customer/token",
            content=json.dumps(plain.cookie_grant()).encode(),
            headers={"Origin": SITE},
        )
        request.headers.pop("Content-Type", None)
        resp = client.send(request)
        assert resp.status_code == 200, resp.text
        assert resp.headers["access-control-allow-origin"] == SITE
        assert resp.headers["access-control-allow-credentials"] == "true"

        evil = client.options(
            "/v2/customer/token",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in evil.headers


# -- the cookie's attributes ------------------------------------------------------------


def test_over_http_the_cookie_is_same_site_on_every_path(plain: Deployment) -> None:
    with plain.client() as client:
        resp = post_json_without_type(client, "/v2/customer/token", plain.cookie_grant())
    _value, flags, attrs = cookie_attributes(resp)
    assert attrs["path"] == "/"
    assert attrs["samesite"].lower() == "lax"
    assert "httponly" in flags
    assert "secure" not in flags and "partitioned" not in flags


def test_over_https_the_cookie_is_cross_site_and_partitioned(tls: Deployment) -> None:
    assert tls.server.base_url.startswith("https://")
    with tls.client() as client:
        grants = [
            post_json_without_type(client, "/v2/customer/token", tls.cookie_grant()),
            client.post("/accounts/customer/token", json={"license_id": tls.license_id}),
            client.get("/customer", params=page_params(tls)),
        ]
    for resp in grants:
        assert resp.status_code == 200, resp.text
        _value, flags, attrs = cookie_attributes(resp)
        assert attrs["path"] == "/"
        assert attrs["samesite"].lower() == "none"
        assert {"secure", "partitioned", "httponly"} <= flags
    # One customer across the three.
    ids = [
        grants[0].json()["entity_id"],
        grants[1].json()["entity_id"],
        page_message(grants[2])["entity_id"],
    ]
    assert len(set(ids)) == 1, ids


# -- the v3.0 SDK's token page ----------------------------------------------------------


def page_params(d: Deployment, **extra: Any) -> dict[str, Any]:
    params = {
        "license_id": d.license_id,
        "flow": "button",
        "response_type": "token",
        "client_id": d.client_id,
        "redirect_uri": f"{SITE}/shop/",
        "post_message_uri": f"{SITE}/shop/",
        "state": STATE,
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def page_data(resp: httpx.Response) -> dict[str, Any]:
    assert resp.headers["content-type"].startswith("text/html")
    blocks = re.findall(
        r'<script id="chatplane-message" type="application/json">(.*?)</script>', resp.text
    )
    assert len(blocks) == 1, resp.text
    data: dict[str, Any] = json.loads(blocks[0])
    return data


def page_message(resp: httpx.Response) -> dict[str, Any]:
    data = page_data(resp)
    assert data["target_origin"] == SITE, data
    message: dict[str, Any] = data["message"]
    return message


def test_the_token_page_posts_a_token_to_the_site(plain: Deployment) -> None:
    with plain.client() as client:
        first = client.get("/customer", params=page_params(plain))
        again = client.get("/customer", params=page_params(plain))
        prefixed = client.get("/accounts/customer", params=page_params(plain))
    assert first.status_code == 200, first.text
    message = page_message(first)
    assert set(message) == {"access_token", "entity_id", "expires_in", "token_type", "state"}
    assert message["state"] == STATE and message["token_type"] == "Bearer"
    assert page_message(again)["entity_id"] == message["entity_id"]
    assert prefixed.status_code == 200, prefixed.text
    assert page_message(prefixed)["entity_id"] == message["entity_id"]

    csp = first.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert "frame-ancestors" in csp and SITE in csp
    assert first.headers["cache-control"] == "no-store"

    with plain.client() as stranger:
        other = stranger.get("/customer", params=page_params(plain))
    assert page_message(other)["entity_id"] != message["entity_id"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"client_id": None}, "unauthorized_client"),
        ({"client_id": "not-an-application"}, "unauthorized_client"),
        ({"response_type": "code"}, "unsupported_response_type"),
        ({"license_id": 987654}, "invalid_request"),
        ({"license_id": None}, "invalid_request"),
    ],
)
def test_the_token_page_posts_what_went_wrong(
    plain: Deployment, change: dict[str, Any], code: str
) -> None:
    with plain.client() as client:
        resp = client.get("/customer", params=page_params(plain, **change))
    message = page_message(resp)
    assert message["oauth_exception"] == code, message
    assert message["state"] == STATE
    assert "access_token" not in message
    assert not set_cookies(resp)


def test_the_token_page_never_posts_to_a_site_not_listed(plain: Deployment) -> None:
    for uri in ("https://evil.example/", "javascript:alert(1)", None):
        with plain.client() as client:
            resp = client.get(
                "/customer",
                params=page_params(plain, post_message_uri=uri, redirect_uri=uri),
            )
        assert resp.status_code in (400, 403), resp.text
        assert page_data(resp) == {"message": None, "target_origin": None}
        assert not set_cookies(resp)
        assert "frame-ancestors" in resp.headers["content-security-policy"]
        assert "evil.example" not in resp.headers["content-security-policy"]


def test_the_token_page_escapes_what_it_is_sent(plain: Deployment) -> None:
    evil = '</script><script>alert(document.cookie)</script>"><img src=x onerror=alert(1)>'
    with plain.client() as client:
        resp = client.get("/customer", params=page_params(plain, state=evil))
    assert "<img" not in resp.text and "alert(document.cookie)</script>" not in resp.text
    assert page_message(resp)["state"] == evil  # delivered as data, intact


# -- in a real browser: a site on another origin, its hidden iframe, a reload -------------


class _SitePage(BaseHTTPRequestHandler):
    """The shop's page: the iframe the v3.0 SDK makes, and a listener like the SDK's."""

    BODY = (
        "<!doctype html><html><head><meta charset='utf-8'><title>shop</title></head><body>"
        "<script>"
        "window.received = [];"
        "window.addEventListener('message', function (e) {"
        "  window.received.push({origin: e.origin, data: e.data});"
        "});"
        "var q = new URLSearchParams(location.search);"
        "var me = location.origin + location.pathname;"
        "var params = new URLSearchParams({license_id: q.get('license_id'), flow: 'button',"
        "  response_type: 'token', client_id: q.get('client_id'), redirect_uri: me,"
        f"  post_message_uri: me, state: '{STATE}'}});"
        "var frame = document.createElement('iframe');"
        "frame.style.display = 'none';"
        f"frame.src = 'https://{ACCOUNTS}/customer?' + params.toString();"
        "document.body.appendChild(frame);"
        "</script></body></html>"
    ).encode()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def shop(tls: Deployment) -> Iterator[int]:
    """https://shop.example's page, on a port of its own, with the server's self-signed pair."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SitePage)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_dir = tls.server.data_dir / "tls"
    context.load_cert_chain(tls_dir / "selfsigned.crt", tls_dir / "selfsigned.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.skipif(BROWSER_MISSING is not None, reason=f"no browser: {BROWSER_MISSING}")
def test_a_browser_gets_a_token_from_another_site_and_the_same_customer_after_a_reload(
    tls: Deployment, shop: int, tmp_path: Path
) -> None:
    import selenium.webdriver  # noqa: F401 (BROWSER_MISSING says it is there)

    profile = tmp_path / "profile"
    rules = f"MAP {ACCOUNTS}:443 127.0.0.1:{tls.server.port}, MAP shop.example:443 127.0.0.1:{shop}"
    driver = make_driver(
        profile,
        extra_flags=(f"--host-resolver-rules={rules}", "--ignore-certificate-errors"),
    )
    query = urlencode({"license_id": tls.license_id, "client_id": tls.client_id})
    try:

        def message() -> dict[str, Any]:
            got = wait_for(
                driver,
                lambda: driver.execute_script("return window.received.length && window.received"),
                "the token page's message",
            )
            assert len(got) == 1, got
            assert got[0]["origin"] == f"https://{ACCOUNTS}", got
            data: dict[str, Any] = got[0]["data"]
            assert data["state"] == STATE, data
            return data

        driver.get(f"{SITE}/shop/?{query}")
        first = message()
        assert set(first) == {"access_token", "entity_id", "expires_in", "token_type", "state"}
        driver.get(f"{SITE}/shop/?{query}")  # the visitor comes back
        second = message()
        assert second["entity_id"] == first["entity_id"], console(driver)
        assert second["access_token"] != first["access_token"]
    finally:
        driver.quit()
