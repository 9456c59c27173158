"""Configuration changes made through the Configuration API v3.6 reach the agents of the
license over RTM, in v3.6 and in v3.5: `agent_created`, `agent_updated`,
`agent_suspended`, `agent_unsuspended`, `agent_approved`, `agent_deleted`, `bot_created`,
`bot_updated`, `bot_deleted`, `group_created`, `group_updated`, `group_deleted`,
`groups_status_updated`, `tag_created`, `tag_updated`, `tag_deleted`,
`auto_accesses_updated`, and (v3.6 only) `license_properties_updated` and
`group_properties_updated`, each in the reference's shape.

On the shared server's license B, whose owner is connected twice: over v3.6 and over v3.5.
"""

from __future__ import annotations

from typing import Any

from . import configuration_flow
from .conftest import Env
from .harness import Rtm
from .v3x import RFC3339_MICRO, Rtm3x, Web3x, rtm3x

__all__ = ["rtm3x"]

VERSIONS = ["3.6", "3.5"]
# What both versions hear (v3.6 also the property pushes).
PUSHES = [
    "agent_created",
    "agent_updated",
    "agent_suspended",
    "agent_unsuspended",
    "agent_approved",
    "agent_deleted",
    "bot_created",
    "bot_updated",
    "bot_deleted",
    "group_created",
    "group_updated",
    "group_deleted",
    "groups_status_updated",
    "tag_created",
    "tag_updated",
    "tag_deleted",
    "auto_accesses_updated",
]
V3_6_ONLY = ["license_properties_updated", "group_properties_updated"]


def configure(env: Env, method: str, body: dict[str, Any]) -> Any:
    resp = env.http.post_raw(
        f"/v3.6/configuration/action/{method}", token=env.b.owner.token, json_body=body
    )
    assert resp.status_code == 200, (method, resp.text)
    return resp.json()


async def _heard(conn: Rtm, version: str, done: configuration_flow.Configured) -> None:
    async def push(action: str, where: Any) -> Any:
        found = await conn.wait_push(action, where)
        assert found["version"] == version, found
        return found["payload"]

    def by_id(wanted: Any) -> Any:
        return lambda p: p.get("id") == wanted

    created = await push("agent_created", by_id(done.agent_id))
    assert created == {
        "id": done.agent_id,
        "name": "Config Agent",
        "role": "normal",
        "max_chats_count": 6,
        "awaiting_approval": False,
        "groups": [{"id": 0, "priority": "first"}],
        "notifications": [],
        "email_subscriptions": [],
        "work_scheduler": {},
    }
    assert await push("agent_updated", by_id(done.agent_id)) == {
        "id": done.agent_id,
        "job_title": "Lead",
    }
    for action in ("agent_suspended", "agent_unsuspended"):
        assert await push(action, by_id(done.agent_id)) == {"id": done.agent_id}
    waiting = await push("agent_created", by_id(done.waiting_id))
    assert waiting["awaiting_approval"] is True
    assert await push("agent_approved", by_id(done.waiting_id)) == {"id": done.waiting_id}
    assert await push("agent_deleted", by_id(done.agent_id)) == {"id": done.agent_id}

    bot = await push("bot_created", by_id(done.bot_id))
    assert bot["name"] == "Config Bot" and bot["owner_client_id"] == done.namespace
    assert bot["default_group_priority"] == "normal"
    assert bot["groups"] == [{"id": 0, "priority": "normal"}]
    assert await push("bot_updated", by_id(done.bot_id)) == {
        "id": done.bot_id,
        "name": "Renamed Bot",
    }
    assert await push("bot_deleted", by_id(done.bot_id)) == {"id": done.bot_id}

    group = await push("group_created", by_id(done.group_id))
    assert group["language_code"] == "en" and list(group["agent_priorities"].values()) == ["normal"]

    def status_of(group_id: int, status: str) -> Any:
        return lambda p: p["groups"] == [{"id": group_id, "status": status}]

    # The owner accepts chats: its new group does; then it stops, and the group with it.
    await push("groups_status_updated", status_of(done.group_id, "accepting_chats"))
    await push("groups_status_updated", status_of(done.group_id, "not_accepting_chats"))
    assert await push("group_updated", by_id(done.group_id)) == {
        "id": done.group_id,
        "language_code": "de",
    }

    tag = await push("tag_created", lambda p: p["name"] == done.tag)
    assert tag["group_ids"] == [done.group_id] and RFC3339_MICRO.match(tag["created_at"])
    assert tag["author_id"] == done.owner_id
    assert await push("tag_updated", lambda p: p["name"] == done.tag) == {
        "name": done.tag,
        "group_ids": [0, done.group_id],
    }
    assert await push("tag_deleted", lambda p: p["name"] == done.tag) == {"name": done.tag}

    def rule(status: str) -> Any:
        return lambda p: any(r["id"] == done.rule_id and r["status"] == status for r in p)

    added = await push("auto_accesses_updated", rule("added"))
    (new,) = [r for r in added if r["id"] == done.rule_id]
    assert new["access"] == {"groups": [done.group_id]} and new["next_id"] == ""
    assert new["description"] == "" and "url" in new["conditions"]
    deleted = await push("auto_accesses_updated", rule("deleted"))
    assert {"id": done.rule_id, "status": "deleted"} in deleted

    if version == "3.6":
        value = {done.namespace: {done.property: "red"}}
        assert await push("license_properties_updated", lambda p: True) == {"properties": value}
        assert await push("group_properties_updated", by_group(done.group_id)) == {
            "group_id": done.group_id,
            "properties": {done.namespace: {done.property: "blue"}},
        }
    assert await push("group_deleted", by_id(done.group_id)) == {"id": done.group_id}
    if version == "3.5":
        # v3.6 added the property pushes: by the group's deletion, after them, none came.
        names = {p.get("action") for p in conn.pushes}
        assert not names & {"license_properties_updated", "group_properties_updated"}


def by_group(group_id: int) -> Any:
    return lambda p: p.get("group_id") == group_id


async def test_agents_hear_every_configuration_change_in_their_version(
    env: Env, rtm3x: Rtm3x
) -> None:
    owner = env.b.owner
    connections = {version: await rtm3x.agent(owner, version) for version in VERSIONS}
    web = Web3x(env, "3.6")

    def set_status(status: str) -> None:
        web.call(owner, "set_routing_status", {"status": status})

    done = configuration_flow.run(
        lambda method, body: configure(env, method, body),
        set_status,
        owner.id,
        env.b.client_id,
    )
    for version, conn in connections.items():
        await _heard(conn, version, done)
        heard = {p["action"] for p in conn.pushes}
        assert heard >= set(PUSHES), sorted(set(PUSHES) - heard)
        assert (heard >= set(V3_6_ONLY)) is (version == "3.6")
