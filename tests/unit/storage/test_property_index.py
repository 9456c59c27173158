"""The property index on a real SQLite store: kept in step by the transaction hook, looked
up by the filter sub-selects, and filled for existing data by migration 0002_properties."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from chatplane.domain import chats, property_writes, users
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.domain.models import Principal
from chatplane.domain.property_writes import Target
from chatplane.errors import ApiError
from chatplane.storage import properties as index
from chatplane.storage import schema as s
from chatplane.storage.migrate import alembic_config, upgrade
from chatplane.storage.store import Store


def _store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(store.engine)
    store.add_tx_hook(property_writes.index_changes)
    return store


def _customer(store: Store) -> Principal:
    lic = store.write_sync(users.create_license).result.license_id
    customer = store.write_sync(lambda tx: users.create_customer(tx, lic)).result
    return Principal(lic, "customer", customer.id, "client", frozenset({"customer"}))


def _ids(store: Store, select: sa.Select | sa.CompoundSelect) -> set[str]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(select)}


def test_value_keys_and_tokens() -> None:
    assert index.value_key(True) == "true"
    assert index.value_key(7) == "7"
    assert index.value_key("short") == "short"
    long_key = index.value_key("x" * 500)
    assert long_key.startswith("#sha256:") and len(long_key) < 100
    assert index.tokens("A Support HERO, a hero!") == ["a", "support", "hero"]


def test_start_chat_and_updates_keep_the_index_in_step(tmp_path: Path) -> None:
    store = _store(tmp_path)
    caller = _customer(store)
    lic = caller.license_id
    req = ChatRequest(
        properties={"test": {"int_property": 3, "tokenized_string_property": "Great Support"}},
        thread=NewThread(
            events=[NewEvent(type="message", text="hi")],
            properties={"test": {"bool_property": True}},
        ),
    )
    chat, thread = store.write_sync(lambda tx: chats.start_chat(tx, caller, req)).result
    key_int, key_tok = ("test", "int_property"), ("test", "tokenized_string_property")

    assert _ids(store, index.holders(lic, key_int, "chat", ["3"])) == {chat.id}
    assert _ids(store, index.holders(lic, ("test", "bool_property"), "thread")) == {thread.id}
    assert _ids(store, index.word_holders(lic, key_tok, "chat", [["support"]])) == {chat.id}
    assert _ids(store, index.word_holders(lic, key_tok, "chat", [["great", "nope"]])) == set()

    target = Target(chat.id)
    store.write_sync(
        lambda tx: property_writes.update_properties(
            tx, caller, target, {"test": {"int_property": 4, "tokenized_string_property": "Slow"}}
        )
    )
    assert _ids(store, index.holders(lic, key_int, "chat", ["3"])) == set()
    assert _ids(store, index.holders(lic, key_int, "chat", ["4"])) == {chat.id}
    assert _ids(store, index.word_holders(lic, key_tok, "chat", [["support"]])) == set()
    assert _ids(store, index.word_holders(lic, key_tok, "chat", [["slow"]])) == {chat.id}

    store.write_sync(
        lambda tx: property_writes.delete_properties(
            tx, caller, target, {"test": ["int_property", "tokenized_string_property"]}
        )
    )
    assert _ids(store, index.holders(lic, key_int, "chat")) == set()
    assert _ids(store, index.word_holders(lic, key_tok, "chat", [["slow"]])) == set()
    store.engine.dispose()


def test_a_refused_write_leaves_object_and_index_unchanged(tmp_path: Path) -> None:
    store = _store(tmp_path)
    caller = _customer(store)
    chat, _ = store.write_sync(lambda tx: chats.start_chat(tx, caller, ChatRequest())).result

    def state() -> tuple[object, object]:
        with store.engine.connect() as conn:
            props = conn.execute(sa.select(s.chats.c.properties)).scalar_one()
            count = conn.execute(sa.select(sa.func.count()).select_from(s.property_values))
            return props, count.scalar()

    # Routing may have set its own properties when the chat started.
    before = state()
    with pytest.raises(ApiError, match=r"test\.bool_property must be a bool"):
        store.write_sync(
            lambda tx: property_writes.update_properties(
                tx, caller, Target(chat.id), {"test": {"int_property": 1, "bool_property": "no"}}
            )
        )
    assert state() == before
    store.engine.dispose()


def test_migration_indexes_properties_stored_before_it(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        # The licenses table as it was at 0001 (later revisions add columns).
        conn.execute(
            sa.text(
                "INSERT INTO licenses (id, plan, settings, created_at) VALUES (1, 'p', '{}', 0)"
            )
        )
        # The chats and threads tables as they were at 0001 (later revisions add columns
        # that the current table objects would fill in).
        chats = sa.table(
            "chats",
            *(sa.column(c.name, c.type) for c in s.chats.columns if c.name != "follower_ids"),
        )
        threads = sa.table(
            "threads", *(sa.column(c.name, c.type) for c in s.threads.columns if c.name != "tags")
        )
        conn.execute(
            chats.insert().values(
                id="CHAT1",
                license_id=1,
                access={"group_ids": [0]},
                properties={"test": {"int_property": 5, "tokenized_string_property": "Big Hat"}},
                last_order=1,
                created_at=0,
                updated_at=0,
            )
        )
        conn.execute(
            threads.insert().values(
                id="THREAD1",
                chat_id="CHAT1",
                license_id=1,
                order=1,
                active=False,
                user_ids=[],
                properties={"test": {"bool_property": False}},
                access={"group_ids": [0]},
                total_events=0,
                created_at=0,
            )
        )
    upgrade(store.engine)

    assert _ids(store, index.holders(1, ("test", "int_property"), "chat", ["5"])) == {"CHAT1"}
    assert _ids(store, index.holders(1, ("test", "bool_property"), "thread", ["false"])) == {
        "THREAD1"
    }
    tok = ("test", "tokenized_string_property")
    assert _ids(store, index.word_holders(1, tok, "chat", [["hat"]])) == {"CHAT1"}
    store.engine.dispose()
