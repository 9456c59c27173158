"""Routing rules on a real SQLite database: choosing an agent, slots and the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatplane.app import wire_domain
from chatplane.domain import agent_status, chats, groups, routing, users
from chatplane.domain.access import CUSTOMER_SCOPES
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.domain.models import CUSTOMER, Principal
from chatplane.storage import Tx
from chatplane.storage import routing as rrepo
from chatplane.storage.migrate import upgrade
from chatplane.storage.routing import Candidate
from chatplane.storage.store import Store


def cand(agent_id: str, load: int = 0, groups: dict[int, str] | None = None) -> Candidate:
    return Candidate(agent_id, agent_id, 6, load, groups if groups is not None else {0: "normal"})


def test_pick_prefers_first_then_normal_then_last_priority():
    pool = [
        cand("last", groups={0: "normal", 1: "last"}),
        cand("normal", load=5, groups={0: "normal", 1: "normal"}),
        cand("first", load=5, groups={0: "normal", 1: "first"}),
    ]
    assert routing.pick(pool, [1]).agent_id == "first"
    assert routing.pick(pool, [1], exclude=["first"]).agent_id == "normal"
    assert routing.pick(pool, [1], exclude=["first", "normal"]).agent_id == "last"


def test_pick_takes_the_least_loaded_and_skips_full_agents_and_other_groups():
    pool = [
        cand("a", load=3),
        cand("b", load=1),
        cand("c", load=6),
        cand("d", load=4, groups={2: "first"}),
    ]
    assert routing.pick(pool, [0]).agent_id == "b"
    assert routing.pick(pool, [2]).agent_id == "d"
    assert routing.pick([cand("c", load=6)], [0]) is None
    assert routing.pick(pool, [5]) is None


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = Store(f"sqlite:///{tmp_path / 'routing.db'}")
    upgrade(st.engine)
    wire_domain(st)
    yield st
    st.engine.dispose()


def _run(store: Store, fn):  # type: ignore[no-untyped-def]
    return store.write_sync(fn).result


def _customer_starts(store: Store, lic: int) -> str:
    def run(tx: Tx) -> str:
        customer = users.create_customer(tx, lic)
        caller = Principal(lic, CUSTOMER, customer.id, "client", CUSTOMER_SCOPES)
        req = ChatRequest(thread=NewThread(events=[NewEvent(type="message", text="hi")]))
        chat, _thread = chats.start_chat(tx, caller, req)
        return chat.id

    return _run(store, run)


def test_a_full_agent_queues_chats_and_a_freed_slot_serves_the_oldest(store):
    lic = _run(store, users.create_license).license_id
    agent = _run(store, lambda tx: users.create_agent(tx, lic, "ag@x.com", "Ag", "normal", None))
    _run(store, lambda tx: rrepo.set_current_status(tx.conn, lic, agent.id, "accepting_chats", 0))
    _run(
        store,
        lambda tx: rrepo.set_current_status(tx.conn, lic, "owner@chatplane.local", "offline", 0),
    )
    ids = [_customer_starts(store, lic) for _ in range(8)]

    loads = store.read_sync(lambda tx: rrepo.loads(tx.conn, lic))
    assert loads == {agent.id: 6}
    assert store.read_sync(lambda tx: rrepo.queued_chat_ids(tx.conn, lic)) == ids[6:]

    owner = store.read_sync(lambda tx: users.owner_of(tx, lic))
    as_agent = Principal(lic, "agent", agent.id, "c", frozenset({"chats--my:rw"}))
    _run(store, lambda tx: chats.close_thread(tx, as_agent, ids[0]))
    assert owner.id  # the owner stays offline throughout
    _run(store, lambda tx: routing.drain(tx, lic))
    assert store.read_sync(lambda tx: rrepo.queued_chat_ids(tx.conn, lic)) == ids[7:]


def test_going_offline_moves_chats_to_another_agent_of_the_group(store):
    lic = _run(store, users.create_license).license_id
    a = _run(store, lambda tx: users.create_agent(tx, lic, "a@x.com", "A", "normal", None))
    b = _run(store, lambda tx: users.create_agent(tx, lic, "b@x.com", "B", "normal", None))
    _run(store, lambda tx: groups.update_group(tx, lic, 0, None, {a.id: "first"}))
    for who in (a, b):
        _run(
            store,
            lambda tx, w=who: rrepo.set_current_status(tx.conn, lic, w.id, "accepting_chats", 0),
        )
    chat_id = _customer_starts(store, lic)
    assert store.read_sync(lambda tx: rrepo.active_chats_of(tx.conn, lic, a.id)) == [chat_id]

    _run(store, lambda tx: agent_status.set_status(tx, lic, a.id, "offline", chosen=False))

    assert store.read_sync(lambda tx: rrepo.active_chats_of(tx.conn, lic, a.id)) == []
    assert store.read_sync(lambda tx: rrepo.active_chats_of(tx.conn, lic, b.id)) == [chat_id]
