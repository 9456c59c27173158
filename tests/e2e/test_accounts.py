"""Accounts: the command line bootstrap, token look-up, the token endpoint, customer tokens.

Spec: authorization/authorization-flows.md ("Validating the access token": access_token,
expires_in, client_id, scope (comma-separated), token_type, entity_id, license_id; "Using the
refresh token"), authorization/customer-authorization.md, agent-chat-api/scopes.md (roles), and
issue 2's command line and accounts sections.
"""

from __future__ import annotations

import httpx
import pytest

from .conftest import PASSWORD
from .harness import run_cli

NORMAL_SCOPES = {
    "chats--all:ro",
    "chats--access:ro",
    "chats--my:ro",
    "chats.conversation--all:rw",
    "chats.conversation--access:rw",
    "chats.conversation--my:rw",
    "chats--my:rw",
}
ADMIN_ONLY_SCOPES = {"chats--all:rw", "chats--access:rw"}


def _scopes(info):
    assert isinstance(info["scope"], str), info
    return {s.strip() for s in info["scope"].split(",") if s.strip()}


def test_init_is_idempotent_and_prints_the_same_ids(env):
    again = run_cli(env.server.data_dir, "init")
    assert again["license_id"] == env.a.license_id
    assert again["client_id"] == env.a.client_id
    assert again["owner"]["id"] == env.a.owner.id
    assert env.http.info(again["owner"]["access_token"]).status_code == 200


def test_agent_id_is_the_email(env):
    assert env.normal.id == "normal.agent@example.com"
    assert env.admin.id == "admin.agent@example.com"


def test_accounts_info_describes_the_token(env):
    resp = env.http.info(env.a.owner.token)

    assert resp.status_code == 200
    info = resp.json()
    assert {
        "access_token",
        "client_id",
        "entity_id",
        "license_id",
        "scope",
        "expires_in",
        "token_type",
    } <= set(info)
    assert info["access_token"] == env.a.owner.token
    assert info["entity_id"] == env.a.owner.id
    assert info["license_id"] == env.a.license_id
    assert info["token_type"] == "Bearer"
    assert isinstance(info["expires_in"], int) and info["expires_in"] > 0
    assert isinstance(info["client_id"], str) and info["client_id"]
    assert _scopes(info) >= ADMIN_ONLY_SCOPES | NORMAL_SCOPES, "the owner holds all scopes"


def test_agent_role_decides_default_scopes(env):
    normal = _scopes(env.http.info(env.normal.token).json())
    admin = _scopes(env.http.info(env.admin.token).json())
    assert normal >= NORMAL_SCOPES
    assert not (ADMIN_ONLY_SCOPES & normal), "administrator scopes are not given to a normal agent"
    assert admin >= NORMAL_SCOPES | ADMIN_ONLY_SCOPES


@pytest.mark.parametrize("auth", [None, "Bearer nope", "Bearer"])
def test_accounts_info_refuses_missing_or_invalid_token(env, auth):
    headers = {"Authorization": auth} if auth is not None else {}
    resp = env.http.client.get("/accounts/info", headers=headers)
    assert resp.status_code == 401
    assert "Traceback" not in resp.text


@pytest.mark.parametrize("encoding", ["form", "json"])
def test_password_grant_issues_tokens_that_work(env, encoding):
    body = {"grant_type": "password", "email": env.password_agent_email, "password": PASSWORD}
    kw = {"data": body} if encoding == "form" else {"json": body}
    resp = env.http.client.post("/accounts/token", **kw)

    assert resp.status_code == 200, resp.text
    tok = resp.json()
    assert {
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
        "scope",
        "entity_id",
        "license_id",
    } <= set(tok)
    assert tok["token_type"] == "Bearer"
    assert tok["entity_id"] == env.normal.id
    assert tok["license_id"] == env.a.license_id
    assert isinstance(tok["expires_in"], int) and tok["expires_in"] > 0
    assert _scopes(tok) >= NORMAL_SCOPES
    assert env.http.info(tok["access_token"]).json()["entity_id"] == env.normal.id
    assert "chats_summary" in env.http.agent(tok["access_token"], "get_filtered_chats", {})


def test_password_grant_with_wrong_password_issues_nothing(env):
    resp = env.http.client.post(
        "/accounts/token",
        data={"grant_type": "password", "email": env.password_agent_email, "password": "wrong"},
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_grant"  # OAuth 2.0 (authorization/errors.md)
    assert "access_token" not in resp.text


def test_refresh_token_grant_issues_a_new_working_access_token(env):
    first = env.http.client.post(
        "/accounts/token",
        data={"grant_type": "password", "email": env.password_agent_email, "password": PASSWORD},
    ).json()

    resp = env.http.client.post(
        "/accounts/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )

    assert resp.status_code == 200, resp.text
    tok = resp.json()
    assert tok["access_token"] and tok["access_token"] != first["access_token"]
    assert tok["token_type"] == "Bearer"
    assert tok["entity_id"] == env.normal.id
    info = env.http.info(tok["access_token"])
    assert info.status_code == 200 and info.json()["license_id"] == env.a.license_id


def test_refresh_grant_with_unknown_refresh_token_is_refused(env):
    resp = env.http.client.post(
        "/accounts/token", data={"grant_type": "refresh_token", "refresh_token": "bogus"}
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_grant"
    assert "access_token" not in resp.text


def test_unsupported_grant_type_is_refused(env):
    resp = env.http.client.post("/accounts/token", data={"grant_type": "client_credentials"})
    assert resp.status_code == 400


def test_create_customer_with_agent_token_returns_a_customer_token(env):
    body = env.http.create_customer(env.a.owner.token)

    assert isinstance(body["access_token"], str) and body["access_token"]
    assert isinstance(body["entity_id"], str) and body["entity_id"]
    info = env.http.info(body["access_token"]).json()
    assert info["entity_id"] == body["entity_id"]
    assert info["license_id"] == env.a.license_id

    again = env.http.create_customer(env.a.owner.token, customer_id=body["entity_id"])
    assert again["entity_id"] == body["entity_id"], "customer_id reuses an existing identity"
    assert env.http.info(again["access_token"]).json()["entity_id"] == body["entity_id"]

    other = env.http.create_customer(env.a.owner.token)
    assert other["entity_id"] != body["entity_id"], "without customer_id a new customer is made"


def test_create_customer_requires_a_valid_token(env):
    resp = env.http.client.post("/accounts/customer/", json={})
    assert resp.status_code == 401
    resp = env.http.client.post(
        "/accounts/customer/", json={}, headers={"Authorization": "Bearer nope"}
    )
    assert resp.status_code == 401


def test_anonymous_customer_token_is_stable_for_the_same_cookie(env):
    url = env.server.base_url + "/accounts/customer/token"
    with httpx.Client(trust_env=False) as browser, httpx.Client(trust_env=False) as other_browser:
        first = browser.post(url, json={"license_id": env.a.license_id})
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["access_token"] and body["entity_id"]
        assert first.cookies or browser.cookies, "a cookie identifies the browser"

        second = browser.post(url, json={"license_id": env.a.license_id}).json()
        assert second["entity_id"] == body["entity_id"]

        third = other_browser.post(url, json={"license_id": env.a.license_id}).json()
        assert third["entity_id"] != body["entity_id"]

    info = env.http.info(body["access_token"]).json()
    assert info["entity_id"] == body["entity_id"] and info["license_id"] == env.a.license_id
    # the anonymous token works on the Customer Chat API
    started = env.http.customer(body["access_token"], env.a.license_id, "start_chat", {})
    assert any(u["id"] == body["entity_id"] for u in started["chat"]["users"])


def test_anonymous_customer_token_for_unknown_license_is_refused(env):
    resp = env.http.client.post("/accounts/customer/token", json={"license_id": 987654321})
    assert resp.status_code == 404, resp.text
    assert resp.json()["error"] == "invalid_request" and "987654321" in resp.text
    assert "access_token" not in resp.text


def test_healthz_is_200(env):
    assert env.http.client.get("/healthz").status_code == 200
