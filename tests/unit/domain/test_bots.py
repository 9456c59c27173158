"""Bot agents belong to the application that created them: "my" and "all" scopes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from chatplane.domain import bots, users
from chatplane.domain.access import role_scopes
from chatplane.domain.changes import AgentConfigured, GroupsStatusUpdated
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from chatplane.storage import accounts as repo
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(store.engine)

    def make(tx: Any) -> tuple[Principal, Principal]:
        created = users.create_license(tx)
        repo.create_application(tx.conn, created.license_id, "app-two", "Two", False, time.time())
        admin = frozenset(role_scopes("administrator"))
        mine = Principal(created.license_id, "agent", created.owner_id, created.client_id, admin)
        theirs = Principal(created.license_id, "agent", created.owner_id, "app-two", admin)
        return mine, theirs

    mine, theirs = store.write_sync(make).result
    yield store, mine, theirs
    store.engine.dispose()


def refuse(detail: str) -> None:
    """A caller without the action's `wider` scopes (Context.require_wider)."""
    raise ApiError("authorization", f"needs the wider scopes ({detail})")


def allow(_detail: str) -> None:
    """A caller holding them."""


def test_my_bots_and_all_bots(setup: Any) -> None:
    store, mine, theirs = setup
    spec = bots.BotSpec(name="Mine", routing_status="accepting_chats")
    bot = store.write_sync(lambda tx: bots.create_bot(tx, mine, spec)).result
    assert bot.client_id == mine.client_id
    assert store.read_sync(lambda tx: bots.list_bots(tx, theirs, False)) == []
    assert [b.id for b in store.read_sync(lambda tx: bots.list_bots(tx, theirs, True))] == [bot.id]
    # Only the bot's own application updates it.
    with pytest.raises(ApiError) as err:
        store.write_sync(lambda tx: bots.update_bot(tx, theirs, bot.id, bots.BotUpdate(name="x")))
    assert err.value.type == "authorization"
    # Details and removal of another application's bot reach wider (the `all` scopes)...
    for fn in (
        lambda tx: bots.bot_details(tx, theirs, bot.id, refuse),
        lambda tx: bots.remove_bot(tx, theirs, bot.id, refuse),
    ):
        with pytest.raises(ApiError) as err:
            store.write_sync(fn)
        assert err.value.type == "authorization"
        assert "belongs to another application" in err.value.message
    # ... and one's own bot does not.
    assert store.read_sync(lambda tx: bots.bot_details(tx, mine, bot.id, refuse)).agent.id == bot.id
    store.write_sync(lambda tx: bots.remove_bot(tx, theirs, bot.id, allow))
    assert store.read_sync(lambda tx: bots.list_bots(tx, mine, True)) == []


def test_status_change_emits_agent_status_changed_once(setup: Any) -> None:
    store, mine, _ = setup
    spec = bots.BotSpec(name="B", routing_status="accepting_chats")
    bot = store.write_sync(lambda tx: bots.create_bot(tx, mine, spec)).result
    update = bots.BotUpdate(routing_status="offline")
    changed = store.write_sync(lambda tx: bots.update_bot(tx, mine, bot.id, update))
    # agent_status_changed (v3.0), the group it alone accepted chats in going offline (v3.x
    # groups_status_updated), and the bot's configuration (nothing of it changed: no v3.x
    # bot_updated renders).
    assert [type(c).__name__ for c in changed.events] == [
        "AgentStatusChanged",
        "GroupsStatusUpdated",
        "AgentConfigured",
    ]
    status = changed.events[1]
    assert isinstance(status, GroupsStatusUpdated)
    assert (status.group_id, status.status) == (0, "offline")
    configured = changed.events[2]
    assert isinstance(configured, AgentConfigured) and configured.updated == []
    same = store.write_sync(lambda tx: bots.update_bot(tx, mine, bot.id, update))
    assert same.events == []
