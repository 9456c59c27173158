"""The Configuration API v3.x's scope decisions, declared at each method's registration and
asked for by the handlers (`ctx.require_wider`, `ctx.may_reach`): what reaches another
agent, group or application, a role above normal, agents created without approval, two
scopes the reference lists together. Driven through the real application in-process
(Starlette's test client) with tokens of chosen scopes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatplane.accounts import tokens
from chatplane.app import build_services, create_app
from chatplane.config import Settings
from chatplane.domain import groups, users
from chatplane.domain.models import AGENT
from chatplane.services import Services
from chatplane.storage import accounts as accounts_repo

with warnings.catch_warnings():  # starlette asks for `httpx2`; httpx is what we have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@dataclass
class Api:
    client: TestClient
    services: Services
    license_id: int
    client_id: str
    owner_id: str
    owner_token: str

    def token(self, *scopes: str, agent_id: str | None = None) -> str:
        """A token of the owner (or `agent_id`) holding only these scopes."""
        issued = self.services.store.write_sync(
            lambda tx: tokens.issue(
                tx.conn,
                license_id=self.license_id,
                entity_type=AGENT,
                entity_id=agent_id or self.owner_id,
                client_id=self.client_id,
                scopes=frozenset(scopes),
                ttl=3600,
            )
        ).result
        return issued.access_token

    def call(self, token: str, method: str, body: dict[str, Any], status: int = 200) -> Any:
        resp = self.client.post(
            f"/v3.6/configuration/action/{method}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == status, (method, resp.status_code, resp.text)
        return resp.json()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path, redis_url="", database_url="")
    services = build_services(settings)
    created = services.store.write_sync(users.create_license).result
    with TestClient(create_app(settings, services)) as client:
        yield Api(
            client,
            services,
            created.license_id,
            created.client_id,
            created.owner_id,
            created.access_token,
        )


def _refused(answer: Any, *scopes: str) -> None:
    error = answer["error"]
    assert error["type"] == "authorization", answer
    for scope in scopes:
        assert scope in error["message"], answer


def test_a_new_agent_awaits_approval_unless_its_requester_may_skip_it(api: Api) -> None:
    plain = api.token("accounts--all:rc")
    api.call(plain, "create_agent", {"id": "waits@example.com", "name": "Waits"})
    refused = api.call(
        plain,
        "create_agent",
        {"id": "nope@example.com", "name": "Nope", "awaiting_approval": False},
        403,
    )
    _refused(refused, "subscription.lc:rw")
    approver = api.token("accounts--all:rw", "subscription.lc:rw")
    api.call(approver, "create_agent", {"id": "ok@example.com", "name": "Ok"})
    owner = api.owner_token
    fields = {"fields": ["awaiting_approval"]}
    assert api.call(owner, "get_agent", {"id": "waits@example.com", **fields})["awaiting_approval"]
    assert not api.call(owner, "get_agent", {"id": "ok@example.com", **fields})["awaiting_approval"]


def test_a_role_above_normal_takes_the_roles_scope(api: Api) -> None:
    creator = api.token("accounts--all:rw")
    body = {"id": "vice@example.com", "name": "Vice", "role": "viceowner"}
    _refused(api.call(creator, "create_agent", body, 403), "accounts.roles.lc--all:rw")
    api.call(creator, "create_agent", {**body, "role": "normal"})
    # Changing another agent takes agents--all:rw; a role above normal the roles scope.
    mine_only = api.token("agents--my:rw")
    update = {"id": "vice@example.com", "job_title": "Boss"}
    _refused(api.call(mine_only, "update_agent", update, 403), "agents--all:rw")
    others = api.token("agents--all:rw")
    api.call(others, "update_agent", update)
    raised = {"id": "vice@example.com", "role": "administrator"}
    _refused(api.call(others, "update_agent", raised, 403), "accounts.roles.lc--all:rw")
    api.call(api.token("agents--all:rw", "accounts.roles.lc--all:rw"), "update_agent", raised)


def test_scopes_the_reference_lists_together_are_both_needed(api: Api) -> None:
    api.call(api.owner_token, "create_agent", {"id": "ann@example.com", "name": "Ann"})
    api.call(api.owner_token, "suspend_agent", {"id": "ann@example.com"})
    _refused(
        api.call(api.token("agents--all:rw"), "unsuspend_agent", {"id": "ann@example.com"}, 403),
        "accounts--all:rw",
    )
    api.call(
        api.token("agents--all:rw", "accounts--all:rw"),
        "unsuspend_agent",
        {"id": "ann@example.com"},
    )
    # Deleting another agent: agents--all:rw and accounts--all:rw.
    narrow = api.token("agents--all:rw", "accounts--my:rw")
    _refused(api.call(narrow, "delete_agent", {"id": "ann@example.com"}, 403), "accounts--all:rw")
    api.call(
        api.token("agents--all:rw", "accounts--all:rw"), "delete_agent", {"id": "ann@example.com"}
    )


def test_tags_and_groups_beyond_the_callers_own_take_the_all_scopes(api: Api) -> None:
    lic = api.license_id
    api.call(api.owner_token, "create_agent", {"id": "ann@example.com", "name": "Ann"})
    store = api.services.store
    mine = store.write_sync(
        lambda tx: groups.create_group(tx, lic, "Mine", {"ann@example.com": "normal"})
    ).result
    other = store.write_sync(lambda tx: groups.create_group(tx, lic, "Other", {})).result
    ann = api.token("tags--groups:rw", "tags--groups:ro", agent_id="ann@example.com")
    api.call(ann, "create_tag", {"name": "ours", "group_ids": [mine]})
    _refused(
        api.call(ann, "create_tag", {"name": "theirs", "group_ids": [other]}, 403),
        "tags--all:rw",
    )
    api.call(api.owner_token, "create_tag", {"name": "theirs", "group_ids": [other]})
    # With only tags--groups:ro, the tags of the caller's own groups are listed.
    assert [t["name"] for t in api.call(ann, "list_tags", {})] == ["ours"]
    every = api.call(api.token("tags--all:ro"), "list_tags", {})
    assert sorted(t["name"] for t in every) == ["ours", "theirs"]

    groups_ann = api.token("groups--my:ro", agent_id="ann@example.com")
    assert api.call(groups_ann, "get_group", {"id": mine})["id"] == mine
    _refused(api.call(groups_ann, "get_group", {"id": other}, 403), "groups--all:ro")


def test_another_applications_property_values_take_the_all_scope(api: Api) -> None:
    owner = api.owner_token
    register = {
        "name": "color",
        "owner_client_id": api.client_id,
        "type": "string",
        "access": {"license": {"agent": ["read", "write"]}},
        "default_value": "blue",
    }
    api.call(owner, "register_property", register)
    api.call(
        owner,
        "publish_property",
        {"name": "color", "owner_client_id": api.client_id, "access_type": ["read", "write"]},
    )
    other_app = "app-two"
    api.services.store.write_sync(
        lambda tx: accounts_repo.create_application(
            tx.conn, api.license_id, other_app, "Two", False, 0
        )
    )
    issued = api.services.store.write_sync(
        lambda tx: tokens.issue(
            tx.conn,
            license_id=api.license_id,
            entity_type=AGENT,
            entity_id=api.owner_id,
            client_id=other_app,
            scopes=frozenset(
                {"properties.license.value--my:rw", "properties.license.value--my:ro"}
            ),
            ttl=3600,
        )
    ).result
    narrow = issued.access_token
    values = {"properties": {api.client_id: {"color": "red"}}}
    _refused(
        api.call(narrow, "update_license_properties", values, 403),
        "properties.license.value--all:rw",
    )
    # Reading shows only what the caller may: none of another application's values.
    assert api.call(narrow, "list_license_properties", {}) == {}
    assert api.call(owner, "list_license_properties", {}) == {api.client_id: {"color": "blue"}}
