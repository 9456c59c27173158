"""Assertions on the v3.0 object shapes (agent-chat-api / customer-chat-api, "Objects")."""

from __future__ import annotations

from typing import Any


def assert_event(
    ev: dict[str, Any],
    *,
    type: str,
    author_id: str | None = None,
    text: str | None = None,
    api: str = "agent",
) -> None:
    assert isinstance(ev.get("id"), str) and ev["id"], ev
    assert ev.get("type") == type, ev
    assert isinstance(ev.get("order"), int) and not isinstance(ev["order"], bool), ev
    assert isinstance(ev.get("timestamp"), int) and not isinstance(ev["timestamp"], bool), ev
    if author_id is not None:
        assert ev.get("author_id") == author_id, ev
    if text is not None:
        assert ev.get("text") == text, ev
    if api == "agent" and type != "system_message":
        # agent-chat-api Event objects carry `recipients` (`all` by default)
        assert ev.get("recipients") in ("all", "agents"), ev


def assert_thread(th: dict[str, Any], *, api: str = "agent", active: bool | None = None) -> None:
    keys = {"id", "active", "order", "user_ids", "events"}
    if api == "agent":
        keys.add("timestamp")
    assert keys <= set(th), f"thread lacks {keys - set(th)}: {th}"
    assert isinstance(th["id"], str) and th["id"]
    assert isinstance(th["active"], bool)
    assert isinstance(th["order"], int)
    assert isinstance(th["user_ids"], list)
    assert isinstance(th["events"], list)
    if active is not None:
        assert th["active"] is active, th


def assert_users_include(users: list[dict[str, Any]], user_id: str, type: str) -> dict[str, Any]:
    for u in users:
        assert {"id", "type"} <= set(u), u
        if u["id"] == user_id:
            assert u["type"] == type, u
            return u
    raise AssertionError(f"{type} {user_id} not among users {[u.get('id') for u in users]}")


def user_ids(users: list[dict[str, Any]]) -> set[str]:
    return {u["id"] for u in users}
