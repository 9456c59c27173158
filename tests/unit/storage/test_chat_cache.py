"""The SQLite writer's chat cache (storage/chat_cache.py) never serves a stale chat: after
each kind of write, the chat the writer loads equals the chat read from the database.
On PostgreSQL there is no cache at all."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatplane.domain import agent_status, agents, chats, customers, property_writes, tags
from chatplane.domain import transfer as transfers
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.domain.models import Chat, ChatUser, Customer, Principal
from chatplane.domain.property_writes import Target
from chatplane.storage import chat_cache
from chatplane.storage import chats as repo
from chatplane.storage import schema as s
from chatplane.storage.store import Tx
from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(sqlite_url(tmp_path))
    w.store.start()
    yield w
    w.store.close()


async def _write(world: World, fn: Callable[[Tx], Any]) -> Any:
    return (await world.store.write(fn)).result


async def _writer_chat(world: World, chat_id: str) -> Chat | None:
    """The chat as the writer loads it (from its cache when it holds the chat)."""
    return await _write(world, lambda tx: repo.load_chat(tx.conn, world.license_id, chat_id))


def _db_chat(world: World, chat_id: str) -> Chat | None:
    return world.store.read_sync(lambda tx: repo.load_chat(tx.conn, world.license_id, chat_id))


async def _assert_exact(world: World, chat_id: str) -> None:
    assert await _writer_chat(world, chat_id) == _db_chat(world, chat_id)


async def _cached_chat(world: World) -> tuple[Chat, Principal, Principal]:
    """A chat of a customer and an agent, with a thread, held by the writer's cache."""
    customer = world.customer()
    agent = world.agent("cached@example.com")
    req = ChatRequest(thread=NewThread(events=[NewEvent(type="message", text="hello")]))
    chat, _thread = await _write(world, lambda tx: chats.start_chat(tx, customer, req))
    await _write(
        world, lambda tx: chats.add_user_to_chat(tx, world.owner, chat.id, agent.user_id, "agent")
    )
    cache = world.store.chat_cache
    assert cache is not None
    await _writer_chat(world, chat.id)
    hits = cache.hits
    await _assert_exact(world, chat.id)
    assert cache.hits == hits + 1  # the comparisons below do compare the cached copy
    return chat, customer, agent


def _message(world: World, who: Principal, chat_id: str) -> Callable[[Tx], Any]:
    return lambda tx: chats.send_event(tx, who, chat_id, NewEvent(type="message", text="hi"))


WRITES: dict[str, Callable[[World, Chat, Principal, Principal], Callable[[Tx], Any]]] = {
    "agent message (last order, customer's last activity)": lambda w, c, cu, a: _message(
        w, a, c.id
    ),
    "customer message": lambda w, c, cu, a: _message(w, cu, c.id),
    "chat property": lambda w, c, cu, a: (
        lambda tx: property_writes.update_properties(
            tx, w.owner, Target(c.id), {"test": {"int_property": 5}}
        )
    ),
    "user added": lambda w, c, cu, a: (
        lambda tx: chats.add_user_to_chat(tx, w.owner, c.id, w.owner.user_id, "agent")
    ),
    "user removed": lambda w, c, cu, a: (
        lambda tx: chats.remove_user_from_chat(tx, w.owner, c.id, a.user_id, "agent")
    ),
    "thread closed": lambda w, c, cu, a: lambda tx: chats.close_thread(tx, w.owner, c.id),
    "events seen": lambda w, c, cu, a: (
        lambda tx: chats.mark_events_as_seen(tx, cu, c.id, 2_000_000_000.5)
    ),
    "customer profile": lambda w, c, cu, a: (
        lambda tx: customers.update(tx, w.license_id, cu.user_id, name="Renamed", fields={"k": "v"})
    ),
    "agent profile": lambda w, c, cu, a: (
        lambda tx: agents.update_agent(
            tx, w.owner, w.license_id, a.user_id, agents.AgentUpdate(name="Other Name")
        )
    ),
    "agent routing status": lambda w, c, cu, a: (
        lambda tx: agent_status.set_status(
            tx, w.license_id, a.user_id, "not_accepting_chats", chosen=True
        )
    ),
    "chat transferred": lambda w, c, cu, a: (
        lambda tx: transfers.transfer_chat(tx, w.owner, c.id, "agent", [w.owner.user_id], True)
    ),
    "thread tagged": lambda w, c, cu, a: (
        lambda tx: tags.tag_thread(tx, w.owner, c.id, c.active_thread_id or "", "sales")
    ),
    "any other statement on a cached table (Core)": lambda w, c, cu, a: (
        lambda tx: tx.conn.execute(
            s.chats.update().where(s.chats.c.id == c.id).values(follower_ids=["x"])
        )
    ),
}


# Writes that leave what load_chat reads as it was (tags live on the thread).
UNCHANGED = {"thread tagged"}


@pytest.mark.parametrize("kind", list(WRITES))
async def test_no_stale_chat_after_a_write(world: World, kind: str) -> None:
    chat, customer, agent = await _cached_chat(world)
    before = _db_chat(world, chat.id)
    write = WRITES[kind](world, chat, customer, agent)
    try:
        await _write(world, write)
    except Exception as exc:  # a write the rules refuse is not what this test is about
        pytest.fail(f"{kind}: {exc!r}")
    if kind not in UNCHANGED:
        assert _db_chat(world, chat.id) != before, "the write changed nothing the chat shows"
    await _assert_exact(world, chat.id)
    # and once more, now that the writer has it again
    await _assert_exact(world, chat.id)


async def test_a_commit_by_another_connection_empties_the_cache(world: World) -> None:
    chat, customer, _agent = await _cached_chat(world)
    # Store.write_sync commits on a connection of its own (the CLI, another process).
    world.store.write_sync(
        lambda tx: tx.conn.execute(
            s.customers.update().where(s.customers.c.id == customer.user_id).values(name="Else")
        )
    )
    await _assert_exact(world, chat.id)
    fresh = await _writer_chat(world, chat.id)
    assert fresh is not None and fresh.user(customer.user_id).name == "Else"  # type: ignore[union-attr]


async def test_a_unit_rolled_back_leaves_no_trace_in_the_cache(world: World) -> None:
    chat, _customer, agent = await _cached_chat(world)

    def fails(tx: Tx) -> None:
        chats.send_event(tx, agent, chat.id, NewEvent(type="message", text="lost"))
        repo.load_chat(tx.conn, world.license_id, chat.id)  # cached again, with the event
        raise RuntimeError("the unit fails after its writes")

    with pytest.raises(RuntimeError):
        await _write(world, fails)
    await _assert_exact(world, chat.id)


async def test_a_copy_changed_by_its_caller_does_not_change_the_cache(world: World) -> None:
    chat, customer, _agent = await _cached_chat(world)
    got = await _writer_chat(world, chat.id)
    assert got is not None
    got.properties["mine"] = {"x": 1}
    got.access["group_ids"].append(99)
    got.users[0].name = "changed"
    user = got.user(customer.user_id)
    assert user is not None and user.customer is not None
    user.customer.fields["f"] = "v"
    await _assert_exact(world, chat.id)


def test_copies_carry_every_field() -> None:
    customer = Customer("c", 1, "n", "e", "a", {"f": "v"}, {"url": "u"}, 1, 2, 3, 4.0, 5.0, 6.0, 7)
    user = ChatUser("c", "customer", True, 8, 9.0, "n", "e", "a", "r", customer, 10.5)
    chat = Chat("ch", 1, "c", {"group_ids": [0]}, {"ns": {"p": [1]}}, 3, "t", "t", 1.0, 2.0)
    chat.users, chat.follower_ids = [user], ["a"]
    # Every field is set to a value that is not its default, so a field the copy left
    # out would differ.
    for obj in (customer, user, chat):
        for f in dataclasses.fields(obj):
            assert getattr(obj, f.name) not in (None, [], {}), f.name
    cache = chat_cache.ChatCache()
    cache.put(chat)
    assert cache.get(1, "ch") == chat
    assert cache.get(2, "ch") is None  # another license's chat is not served


def test_the_cache_holds_at_most_its_bound() -> None:
    cache = chat_cache.ChatCache(max_chats=3)
    for n in range(5):
        cache.put(Chat(f"c{n}", 1, None, {}, {}, 0, None, None, 0.0, 0.0))
    assert len(cache) == 3
    assert cache.get(1, "c0") is None and cache.get(1, "c4") is not None


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("SELECT * FROM chats", ""),
        ("SAVEPOINT unit", ""),
        ('UPDATE chats SET "x"=1', "chats"),
        ("update  OR REPLACE customers SET x=1", "customers"),
        ("INSERT INTO chat_users (a) VALUES (1) ON CONFLICT DO NOTHING", "chat_users"),
        ("INSERT OR IGNORE INTO agents VALUES (1)", "agents"),
        ("DELETE FROM events WHERE 1", "events"),
        ("WITH x AS (SELECT 1) UPDATE chats SET a=1", "chats"),
        ("WITH RECURSIVE h(s) AS (SELECT 1 UNION ALL SELECT s FROM h) SELECT s FROM h", ""),
        ("WITH x AS (DELETE FROM chats RETURNING id) INSERT INTO agents SELECT * FROM x", None),
        ("CREATE TABLE chats2 (a)", None),
    ],
)
def test_which_table_a_statement_writes(sql: str, table: str | None) -> None:
    assert chat_cache.written_table(sql) == table


async def test_postgresql_has_no_cache(postgres_url: str) -> None:
    world = make_world(postgres_url)
    world.store.start()
    try:
        assert world.store.chat_cache is None
        seen = await _write(world, lambda tx: chat_cache.of(tx.conn))
        assert seen is None
        customer = world.customer()
        req = ChatRequest(thread=NewThread(events=[NewEvent(type="message", text="hello")]))
        chat, _thread = await _write(world, lambda tx: chats.start_chat(tx, customer, req))
        await _write(world, _message(world, customer, chat.id))
        await _assert_exact(world, chat.id)
    finally:
        world.store.close()
