"""The rules of chats, threads and events (core-info.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatplane.domain import changes, chats, views
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.domain.models import Chat, Event, Principal, Thread
from chatplane.errors import ApiError
from tests.unit.support import World, make_world, sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
    w = make_world(url)
    w.store.start()
    yield w
    w.store.close()


def message(text: str = "hi", **kw: Any) -> NewEvent:
    return NewEvent(type="message", text=text, **kw)


def start(world: World, customer: Principal, *texts: str) -> tuple[Chat, Thread]:
    req = ChatRequest(thread=NewThread(events=[message(t) for t in texts]))
    return world.store.write_sync(lambda tx: chats.start_chat(tx, customer, req)).result


def test_start_chat_makes_one_active_thread_with_the_customer_present(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello", "again")
    assert thread.active and chat.active_thread_id == thread.id
    assert [e.order for e in thread.events] == [2, 3]
    assert thread.order == 1
    assert [(u.id, u.present) for u in chat.users] == [(customer.user_id, True)]


def test_event_goes_to_active_thread_and_orders_strictly_increase(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "one")
    orders = []
    for i in range(5):
        tid, event = world.store.write_sync(
            lambda tx, i=i: chats.send_event(tx, customer, chat.id, message(f"m{i}"))
        ).result
        assert tid == thread.id
        orders.append(event.order)
    assert orders == sorted(set(orders)) and orders[0] > 2


def test_after_close_an_event_starts_a_new_thread_but_an_annotation_does_not(world: World) -> None:
    customer = world.customer()
    agent = world.agent("ann@example.com", "administrator")
    chat, first = start(world, customer, "one")
    committed = world.store.write_sync(lambda tx: chats.close_thread(tx, agent, chat.id))
    assert any(isinstance(c, changes.ThreadClosed) for c in committed.events)
    note = NewEvent(type="annotation", text="rated", body={"annotation_type": "rating"})
    tid, _ = world.store.write_sync(lambda tx: chats.send_event(tx, agent, chat.id, note)).result
    assert tid == first.id
    committed2 = world.store.write_sync(
        lambda tx: chats.send_event(tx, customer, chat.id, message())
    )
    tid2, _ = committed2.result
    assert tid2 != first.id
    assert any(isinstance(c, changes.ThreadStarted) for c in committed2.events)


def test_require_active_thread_refuses_when_all_threads_are_closed(world: World) -> None:
    customer = world.customer()
    agent = world.agent("bob@example.com", "administrator")
    chat, _ = start(world, customer, "one")
    world.store.write_sync(lambda tx: chats.close_thread(tx, agent, chat.id))
    with pytest.raises(ApiError) as err:
        world.store.write_sync(
            lambda tx: chats.send_event(tx, agent, chat.id, message(), require_active_thread=True)
        )
    assert err.value.type == "validation" and "no active thread" in err.value.message


def test_text_over_16_kb_is_refused_and_16_kb_is_accepted(world: World) -> None:
    customer = world.customer()
    chat, _ = start(world, customer, "one")
    ok = "é" * 8192  # 16,384 bytes
    world.store.write_sync(lambda tx: chats.send_event(tx, customer, chat.id, message(ok)))
    with pytest.raises(ApiError) as err:
        world.store.write_sync(
            lambda tx: chats.send_event(tx, customer, chat.id, message(ok + "x"))
        )
    assert "16384 bytes" in err.value.message


def test_a_customer_cannot_touch_another_customers_chat(world: World) -> None:
    alice, mallory = world.customer(), world.customer()
    chat, _ = start(world, alice, "private")
    with pytest.raises(ApiError) as err:
        world.store.write_sync(lambda tx: chats.send_event(tx, mallory, chat.id, message()))
    assert err.value.type == "authorization"
    with pytest.raises(ApiError):
        world.store.read_sync(lambda tx: views.chat_threads(tx, mallory, chat.id, None))


def test_agents_only_events_are_hidden_from_the_customer(world: World) -> None:
    customer = world.customer()
    agent = world.agent("cat@example.com")
    chat, _thread = start(world, customer, "one")
    secret = message("internal note", recipients="agents")
    world.store.write_sync(lambda tx: chats.send_event(tx, agent, chat.id, secret))
    _, threads, _ = world.store.read_sync(
        lambda tx: views.chat_threads(tx, customer, chat.id, None)
    )
    assert "internal note" not in [e.text for e in threads[0].events]
    _, threads, _ = world.store.read_sync(lambda tx: views.chat_threads(tx, agent, chat.id, None))
    assert "internal note" in [e.text for e in threads[0].events]
    with pytest.raises(ApiError):
        world.store.write_sync(lambda tx: chats.send_event(tx, customer, chat.id, secret))


def test_an_agent_writing_to_a_chat_joins_it(world: World) -> None:
    customer = world.customer()
    agent = world.agent("dan@example.com")
    chat, _ = start(world, customer, "one")
    committed = world.store.write_sync(lambda tx: chats.send_event(tx, agent, chat.id, message()))
    added = [c for c in committed.events if isinstance(c, changes.UserAdded)]
    assert [c.user.id for c in added] == [agent.user_id]


def test_concurrent_events_to_a_closed_chat_start_exactly_one_thread(world: World) -> None:
    customer = world.customer()
    agent = world.agent("eve@example.com", "administrator")
    chat, first = start(world, customer, "one")
    world.store.write_sync(lambda tx: chats.close_thread(tx, agent, chat.id))

    async def burst() -> list[tuple[str, Event]]:
        jobs = [
            world.store.write(
                lambda tx, i=i: chats.send_event(tx, customer, chat.id, message(f"{i}"))
            )
            for i in range(20)
        ]
        return [c.result for c in await asyncio.gather(*jobs)]

    results = asyncio.run(burst())
    thread_ids = {tid for tid, _ in results}
    assert len(thread_ids) == 1 and first.id not in thread_ids
    orders = [e.order for _, e in results]
    assert len(set(orders)) == 20


def test_a_normal_agent_closes_only_threads_of_chats_it_is_in(world: World) -> None:
    customer = world.customer()
    agent = world.agent("fay@example.com")
    chat, _ = start(world, customer, "one")
    with pytest.raises(ApiError) as err:
        world.store.write_sync(lambda tx: chats.close_thread(tx, agent, chat.id))
    assert err.value.type == "authorization"
    world.store.write_sync(lambda tx: chats.send_event(tx, agent, chat.id, message()))
    world.store.write_sync(lambda tx: chats.close_thread(tx, agent, chat.id))
