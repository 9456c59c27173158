"""Routing rules on a real SQLite database: choosing an agent, slots and the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chatplane.app import wire_domain
from chatplane.domain import agent_status, bots, chats, groups, routing, users
from chatplane.domain.access import CUSTOMER_SCOPES, role_scopes
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.domain.models import CUSTOMER, Principal
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
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


# -- bots: routed like any agent, though they never connect ---------------------------------


def _accepting(store: Store, lic: int, agent_id: str) -> None:
    _run(
        store, lambda tx: agent_status.set_status(tx, lic, agent_id, "accepting_chats", chosen=True)
    )


def _app(store: Store, lic: int) -> Principal:
    """The license's default application, as its owner's token."""
    owner = store.read_sync(lambda tx: users.owner_of(tx, lic))
    client_id = store.read_sync(lambda tx: accounts_repo.default_client_id(tx.conn, lic))
    assert client_id is not None
    return Principal(lic, "agent", owner.id, client_id, role_scopes("owner"), "owner")


def _bot(
    store: Store, caller: Principal, status: str, max_chats: int = 6, priority: str = "normal"
):  # type: ignore[no-untyped-def]
    spec = bots.BotSpec(
        name="Bot", routing_status=status, max_chats_count=max_chats, groups=[(0, priority)]
    )
    return _run(store, lambda tx: bots.create_bot(tx, caller, spec))


def test_a_bot_created_accepting_is_routed_by_priority_and_its_limit(store):
    lic = _run(store, users.create_license).license_id
    app = _app(store, lic)
    human = _run(store, lambda tx: users.create_agent(tx, lic, "h@x.com", "H", "normal", None))
    _run(
        store, lambda tx: agent_status.set_status(tx, lic, human.id, "accepting_chats", chosen=True)
    )
    bot = _bot(store, app, "accepting_chats", max_chats=2, priority="first")

    cands = store.read_sync(lambda tx: rrepo.candidates(tx.conn, lic))
    assert cands[bot.id].max_chats == 2 and cands[bot.id].groups == {0: "first"}
    chat_ids = [_customer_starts(store, lic) for _ in range(3)]

    assert store.read_sync(lambda tx: rrepo.active_chats_of(tx.conn, lic, bot.id)) == chat_ids[:2]
    assert store.read_sync(lambda tx: rrepo.active_chats_of(tx.conn, lic, human.id)) == chat_ids[2:]


def test_a_waiting_chat_goes_to_a_bot_as_soon_as_it_accepts(store):
    lic = _run(store, users.create_license).license_id
    app = _app(store, lic)
    bot = _bot(store, app, "not_accepting_chats")
    chat_id = _customer_starts(store, lic)
    assert store.read_sync(lambda tx: rrepo.queued_chat_ids(tx.conn, lic)) == [chat_id]

    update = bots.BotUpdate(routing_status="accepting_chats")
    _run(store, lambda tx: bots.update_bot(tx, app, bot.id, update))

    assert store.read_sync(lambda tx: rrepo.active_chats_of(tx.conn, lic, bot.id)) == [chat_id]
    # Not accepting any more: its chat is kept; offline: the chat waits again.
    for status, waiting in (("not_accepting_chats", []), ("offline", [chat_id])):
        update = bots.BotUpdate(routing_status=status)
        _run(store, lambda tx, u=update: bots.update_bot(tx, app, bot.id, u))
        assert store.read_sync(lambda tx: rrepo.queued_chat_ids(tx.conn, lic)) == waiting


def test_a_full_bot_given_more_room_serves_the_queue(store):
    lic = _run(store, users.create_license).license_id
    app = _app(store, lic)
    bot = _bot(store, app, "accepting_chats", max_chats=1)
    first, second = _customer_starts(store, lic), _customer_starts(store, lic)
    assert store.read_sync(lambda tx: rrepo.queued_chat_ids(tx.conn, lic)) == [second]

    _run(store, lambda tx: bots.update_bot(tx, app, bot.id, bots.BotUpdate(max_chats_count=2)))

    assert store.read_sync(lambda tx: rrepo.active_chats_of(tx.conn, lic, bot.id)) == [
        first,
        second,
    ]


def test_presence_recovery_after_a_restart_leaves_bots_alone(store):
    """Recovery takes every agent that was online offline unless it reconnects; a bot
    never reconnects, so it is not among them."""
    lic = _run(store, users.create_license).license_id
    human = _run(store, lambda tx: users.create_agent(tx, lic, "h@x.com", "H", "normal", None))
    _run(
        store, lambda tx: agent_status.set_status(tx, lic, human.id, "accepting_chats", chosen=True)
    )
    bot = _bot(store, _app(store, lic), "accepting_chats")

    recovering = store.read_sync(lambda tx: rrepo.not_offline_agents(tx.conn))

    assert (lic, human.id) in recovering and (lic, bot.id) not in recovering
