"""delete_event (v3.6): who may delete what, and what the readers see afterwards, on SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from chatplane.domain import changes, chats, views
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from chatplane.storage.archives import ArchiveFilters
from tests.unit.domain.helpers import message, start
from tests.unit.support import World


def send(world: World, caller: Principal, chat_id: str, text: str, **kw: Any) -> str:
    _, event = world.store.write_sync(
        lambda tx: chats.send_event(tx, caller, chat_id, message(text, **kw))
    ).result
    return event.id


def delete(
    world: World, caller: Principal, chat_id: str, thread_id: str, event_id: str
) -> list[object]:
    return world.store.write_sync(
        lambda tx: chats.delete_event(tx, caller, chat_id, thread_id, event_id)
    ).events


def texts(world: World, caller: Principal, chat_id: str, **kw: bool) -> list[str | None]:
    _, threads, _ = world.store.read_sync(
        lambda tx: views.chat_threads(tx, caller, chat_id, None, **kw)
    )
    return [e.text for e in threads[0].events or [] if e.type == "message"]


def test_a_customer_deletes_its_own_message(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "keep")
    gone = send(world, customer, chat.id, "my card is 4111")
    events = delete(world, customer, chat.id, thread.id, gone)
    [change] = [c for c in events if isinstance(c, changes.EventDeleted)]
    assert (change.chat.id, change.thread_id, change.event_id) == (chat.id, thread.id, gone)
    assert change.for_agents_only is False
    # Customers and (v3.0) readers no longer see it.
    assert texts(world, customer, chat.id) == ["keep"]
    assert texts(world, world.owner, chat.id) == ["keep"]
    # A customer never sees deleted events, even if a reader asks for them.
    assert texts(world, customer, chat.id, include_deleted=True) == ["keep"]
    # v3.6 agents see it, marked.
    _, threads, _ = world.store.read_sync(
        lambda tx: views.chat_threads(tx, world.owner, chat.id, None, include_deleted=True)
    )
    [deleted] = [e for e in threads[0].events or [] if e.id == gone]
    assert deleted.deleted and deleted.deleted_at is not None
    assert deleted.text == "my card is 4111"  # the content stays for those allowed to see it


def test_full_text_search_forgets_a_deleted_event(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    gone = send(world, customer, chat.id, "zanzibar")
    send(world, customer, chat.id, "something else")

    def found(query: str) -> int:
        return world.store.read_sync(
            lambda tx: views.archive(tx, world.owner, ArchiveFilters(query=query), 1, 10)
        )[1]

    assert found("zanzibar") == 1
    delete(world, customer, chat.id, thread.id, gone)
    assert found("zanzibar") == 0
    assert found("something") == 1
    # The archives' page shows the thread without it (with it, marked, for v3.6 agents).
    [(_, shown)], _ = world.store.read_sync(
        lambda tx: views.archive(tx, world.owner, ArchiveFilters(), 1, 10)
    )
    assert gone not in [e.id for e in shown.events or []]
    [(_, marked)], _ = world.store.read_sync(
        lambda tx: views.archive(tx, world.owner, ArchiveFilters(), 1, 10, include_deleted=True)
    )
    assert [e.id for e in marked.events or [] if e.deleted] == [gone]


def test_chat_summaries_and_counts_leave_a_deleted_event_out(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "first")
    gone = send(world, customer, chat.id, "last")

    def customer_count() -> int:
        threads, _ = world.store.read_sync(
            lambda tx: views.customer_threads(tx, customer, chat.id, 0, 10)
        )
        return threads[0].total_events

    before = customer_count()
    delete(world, customer, chat.id, thread.id, gone)
    assert customer_count() == before - 1
    loaded = world.store.read_sync(lambda tx: views.summaries(tx, world.owner, [chat]))
    assert loaded[0].last_event_per_type["message"].text == "first"
    marked = world.store.read_sync(
        lambda tx: views.summaries(tx, world.owner, [chat], include_deleted=True)
    )
    assert marked[0].last_event_per_type["message"].id == gone


def test_a_customer_deletes_only_its_own_events(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    agent = world.agent("pam@example.com")
    theirs = send(world, agent, chat.id, "agent's")
    with pytest.raises(ApiError) as err:
        delete(world, customer, chat.id, thread.id, theirs)
    assert err.value.type == "authorization"
    note = send(world, agent, chat.id, "internal", recipients="agents")
    with pytest.raises(ApiError) as hidden:
        delete(world, customer, chat.id, thread.id, note)
    assert hidden.value.status == 404  # for a customer it does not exist
    other = world.customer()
    with pytest.raises(ApiError) as foreign:
        delete(world, other, chat.id, thread.id, theirs)
    assert foreign.value.type == "authorization"


def test_an_agent_deletes_a_customers_message(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    rude = send(world, customer, chat.id, "rude words")
    agent = world.agent("quinn@example.com")  # conversation write access by group 0
    delete(world, agent, chat.id, thread.id, rude)
    assert texts(world, customer, chat.id) == ["hello"]


def test_deleting_an_agents_only_event_is_not_announced_to_customers(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    note = send(world, world.owner, chat.id, "internal", recipients="agents")
    [change] = [
        c
        for c in delete(world, world.owner, chat.id, thread.id, note)
        if isinstance(c, changes.EventDeleted)
    ]
    assert change.for_agents_only is True


def test_an_agent_without_conversation_rights_cannot_delete(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    event_id = send(world, customer, chat.id, "x")
    agent = world.agent("rae@example.com")
    reader = Principal(
        world.license_id, "agent", agent.user_id, world.client_id, frozenset({"chats--all:ro"})
    )
    with pytest.raises(ApiError) as err:
        delete(world, reader, chat.id, thread.id, event_id)
    assert err.value.type == "authorization"


def test_system_messages_stay_and_deleted_events_are_gone(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    event_id = send(world, customer, chat.id, "x")
    world.store.write_sync(lambda tx: chats.close_thread(tx, world.owner, chat.id))
    _, threads, _ = world.store.read_sync(
        lambda tx: views.chat_threads(tx, world.owner, chat.id, None)
    )
    system = [e for e in threads[0].events or [] if e.type == "system_message"][-1]
    with pytest.raises(ApiError) as err:
        delete(world, world.owner, chat.id, thread.id, system.id)
    assert err.value.type == "validation" and "system message" in err.value.message
    # Deleting works in an inactive thread, once.
    delete(world, customer, chat.id, thread.id, event_id)
    with pytest.raises(ApiError) as again:
        delete(world, customer, chat.id, thread.id, event_id)
    assert again.value.status == 404


def test_the_event_must_be_in_the_thread_named(world: World) -> None:
    customer = world.customer()
    chat, _ = start(world, customer, "hello")
    other_chat, other_thread = start(world, customer, "elsewhere")
    event_id = send(world, customer, chat.id, "x")
    with pytest.raises(ApiError) as err:
        delete(world, customer, chat.id, other_thread.id, event_id)
    assert err.value.status == 404 and "Thread" in err.value.message
    with pytest.raises(ApiError) as wrong:
        delete(world, customer, other_chat.id, other_thread.id, event_id)
    assert wrong.value.status == 404 and "Event" in wrong.value.message


def test_a_deleted_event_takes_no_more_property_writes_or_postbacks(world: World) -> None:
    from chatplane.domain import postbacks, property_writes

    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    event_id = send(world, customer, chat.id, "x")
    delete(world, customer, chat.id, thread.id, event_id)
    target = property_writes.Target(chat.id, thread.id, event_id)
    with pytest.raises(ApiError) as err:
        world.store.write_sync(
            lambda tx: property_writes.update_properties(
                tx, world.owner, target, {"test": {"string_property": "v"}}
            )
        )
    assert err.value.status == 404 and "Event" in err.value.message
    with pytest.raises(ApiError) as postback:
        world.store.write_sync(
            lambda tx: postbacks.send_postback(
                tx, world.owner, chat.id, thread.id, event_id, "p1", True
            )
        )
    assert postback.value.status == 404
