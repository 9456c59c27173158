"""The thinking indicator and the event preview (v3.6): checked in a read, never stored."""

from __future__ import annotations

from typing import Any

import pytest

from chatplane.domain import chats, signals
from chatplane.domain.chats import NewEvent
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from chatplane.storage import chats as repo
from tests.unit.domain.helpers import message, start
from tests.unit.support import World


def joined_agent(world: World, chat_id: str, email: str = "sam@example.com") -> Principal:
    agent = world.agent(email)
    world.store.write_sync(lambda tx: chats.send_event(tx, agent, chat_id, message("here")))
    return agent


def thinking(world: World, caller: Principal, chat_id: str, **kw: Any) -> Any:
    return world.store.read_sync(
        lambda tx: signals.send_thinking_indicator(tx, caller, chat_id, **kw)
    )


def preview(world: World, caller: Principal, chat_id: str, new: NewEvent) -> Any:
    return world.store.read_sync(lambda tx: signals.send_event_preview(tx, caller, chat_id, new))


def test_a_thinking_indicator_names_its_author_and_the_active_thread(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    agent = joined_agent(world, chat.id)
    change = thinking(
        world,
        agent,
        chat.id,
        title="Thinking...",
        description="Fetching data",
        visibility="agents",
        custom_id="c-1",
    )
    assert isinstance(change, signals.changes.ThinkingIndicatorSent)
    assert (change.chat.id, change.thread_id, change.author_id) == (
        chat.id,
        thread.id,
        agent.user_id,
    )
    assert (change.title, change.description) == ("Thinking...", "Fetching data")
    assert (change.visibility, change.custom_id) == ("agents", "c-1")
    assert change.sent_at > 0


def test_title_and_description_are_optional(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = joined_agent(world, chat.id)
    change = thinking(world, agent, chat.id)
    assert isinstance(change, signals.changes.ThinkingIndicatorSent)
    assert (change.title, change.description, change.visibility) == (None, None, "all")


def test_signals_need_the_sender_in_the_chat(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    normal = world.agent("una@example.com")  # no write access to a chat it is not in
    with pytest.raises(ApiError) as denied:
        thinking(world, normal, chat.id)
    assert denied.value.type == "authorization"
    outsider = world.agent("tom@example.com", "administrator")  # may write, but is not in it
    with pytest.raises(ApiError) as err:
        thinking(world, outsider, chat.id)
    assert err.value.type == "validation" and "not a user of chat" in err.value.message
    with pytest.raises(ApiError) as err2:
        preview(world, outsider, chat.id, message("soon"))
    assert err2.value.type == "validation"


def test_signals_need_an_active_chat(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = joined_agent(world, chat.id)
    world.store.write_sync(lambda tx: chats.close_thread(tx, world.owner, chat.id))
    with pytest.raises(ApiError) as err:
        thinking(world, agent, chat.id)
    assert err.value.type == "chat_inactive"
    with pytest.raises(ApiError) as err2:
        preview(world, agent, chat.id, message("soon"))
    assert err2.value.type == "chat_inactive"


def test_customers_send_neither(world: World) -> None:
    customer = world.customer()
    chat, _ = start(world, customer, "hello")
    with pytest.raises(ApiError) as err:
        thinking(world, customer, chat.id)
    assert err.value.type == "authorization"
    with pytest.raises(ApiError) as err2:
        preview(world, customer, chat.id, message("x"))
    assert err2.value.type == "authorization"


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"visibility": "customers"}, "visibility must be"),
        ({"title": "t" * 256}, "title is 256 characters"),
        ({"description": "d" * 20000}, "description is over"),
        ({"custom_id": "c" * 256}, "custom_id is over"),
    ],
)
def test_a_malformed_thinking_indicator_is_refused(
    world: World, kw: dict[str, object], says: str
) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = joined_agent(world, chat.id)
    with pytest.raises(ApiError) as err:
        thinking(world, agent, chat.id, **kw)
    assert err.value.type == "validation" and says in err.value.message


def test_an_event_preview_is_a_message_that_is_not_stored(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    agent = joined_agent(world, chat.id)
    before = world.store.read_sync(lambda tx: repo.load_chat(tx.conn, world.license_id, chat.id))
    change = preview(world, agent, chat.id, message("Preview of a longer answer", custom_id="p1"))
    assert isinstance(change, signals.changes.EventPreviewSent)
    assert (change.thread_id, change.event.thread_id) == (thread.id, thread.id)
    event = change.event
    assert (event.type, event.text, event.author_id) == (
        "message",
        "Preview of a longer answer",
        agent.user_id,
    )
    assert (event.recipients, event.custom_id, event.id) == ("all", "p1", "")
    after = world.store.read_sync(lambda tx: repo.load_chat(tx.conn, world.license_id, chat.id))
    assert before is not None and after is not None and after.last_order == before.last_order


@pytest.mark.parametrize(
    ("new", "says"),
    [
        (NewEvent(type="custom", body={"content": {}}), "must be a message"),
        (NewEvent(type="message", text="x", recipients="agents"), "visibility must be 'all'"),
        (NewEvent(type="message", text=""), "needs its text"),
        (NewEvent(type="message", text="x", properties={"a": {"b": 1}}), "properties"),
        (NewEvent(type="message", text="é" * 9000), "byte limit"),
    ],
)
def test_a_malformed_event_preview_is_refused(world: World, new: NewEvent, says: str) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = joined_agent(world, chat.id)
    with pytest.raises(ApiError) as err:
        preview(world, agent, chat.id, new)
    assert err.value.type == "validation" and says in err.value.message
