"""Following chats (v3.6 follow_chat, unfollow_chat), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from chatplane.domain import changes, chats, following
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from tests.unit.domain.helpers import emitted, message, reload, start
from tests.unit.support import World


def follow(world: World, caller: Principal, chat_id: str) -> tuple[bool, list[object]]:
    committed = world.store.write_sync(lambda tx: following.follow_chat(tx, caller, chat_id))
    return committed.result, committed.events


def unfollow(world: World, caller: Principal, chat_id: str) -> tuple[bool, list[object]]:
    committed = world.store.write_sync(lambda tx: following.unfollow_chat(tx, caller, chat_id))
    return committed.result, committed.events


def test_following_stores_the_follower_and_hands_it_the_chat(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello", "there")
    agent = world.agent("fred@example.com")
    committed = world.store.write_sync(lambda tx: following.follow_chat(tx, agent, chat.id))
    assert committed.result is True
    [change] = emitted(committed, changes.ChatFollowed)
    assert change.agent_id == agent.user_id
    assert change.chat.follower_ids == [agent.user_id]
    assert change.thread is not None and change.thread.id == thread.id
    assert [e.text for e in change.thread.events or [] if e.type == "message"] == ["hello", "there"]
    assert reload(world, chat.id).follower_ids == [agent.user_id]
    # Every later change of the chat carries its followers.
    later = world.store.write_sync(
        lambda tx: chats.send_event(tx, world.owner, chat.id, message("more"))
    )
    appended = emitted(later, changes.EventAppended)
    assert appended and all(c.chat.follower_ids == [agent.user_id] for c in appended)


def test_following_twice_or_as_a_member_changes_nothing(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = world.agent("gus@example.com")
    assert follow(world, agent, chat.id)[0] is True
    again, events = follow(world, agent, chat.id)
    assert again is False and not events
    member = world.agent("hal@example.com")
    world.store.write_sync(lambda tx: chats.send_event(tx, member, chat.id, message("joined")))
    as_member, events = follow(world, member, chat.id)
    assert as_member is False and not events
    assert reload(world, chat.id).follower_ids == [agent.user_id]


def test_several_agents_follow_one_chat(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    one, two = world.agent("ida@example.com"), world.agent("jon@example.com")
    follow(world, one, chat.id)
    follow(world, two, chat.id)
    assert reload(world, chat.id).follower_ids == [one.user_id, two.user_id]
    unfollow(world, one, chat.id)
    assert reload(world, chat.id).follower_ids == [two.user_id]


def test_following_needs_read_access_to_the_chat(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = world.agent("kim@example.com")
    only_mine = Principal(
        world.license_id, "agent", agent.user_id, world.client_id, frozenset({"chats--my:ro"})
    )
    with pytest.raises(ApiError) as err:
        follow(world, only_mine, chat.id)
    assert err.value.type == "authorization"
    with pytest.raises(ApiError) as missing:
        follow(world, agent, "NOSUCHCHAT")
    assert missing.value.status == 404


def test_customers_do_not_follow(world: World) -> None:
    customer = world.customer()
    chat, _ = start(world, customer, "hello")
    with pytest.raises(ApiError) as err:
        follow(world, customer, chat.id)
    assert err.value.type == "authorization"


def test_unfollowing_removes_the_follower_and_is_announced(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = world.agent("lou@example.com")
    follow(world, agent, chat.id)
    committed = world.store.write_sync(lambda tx: following.unfollow_chat(tx, agent, chat.id))
    assert committed.result is True
    [change] = emitted(committed, changes.ChatUnfollowed)
    assert change.agent_id == agent.user_id and change.chat.follower_ids == []
    assert reload(world, chat.id).follower_ids == []


def test_unfollowing_a_chat_one_does_not_follow_is_no_error(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    agent = world.agent("max@example.com")
    done, events = unfollow(world, agent, chat.id)
    assert done is False and not events


def test_chat_members_cannot_unfollow(world: World) -> None:
    chat, _ = start(world, world.customer(), "hello")
    member = world.agent("ned@example.com")
    world.store.write_sync(lambda tx: chats.send_event(tx, member, chat.id, message("joined")))
    with pytest.raises(ApiError) as err:
        unfollow(world, member, chat.id)
    assert err.value.type == "validation" and "members cannot unfollow" in err.value.message


def test_a_new_thread_ends_following(world: World) -> None:
    customer = world.customer()
    chat, _ = start(world, customer, "hello")
    agent = world.agent("oli@example.com")
    follow(world, agent, chat.id)
    world.store.write_sync(lambda tx: chats.close_thread(tx, world.owner, chat.id))
    # Still followed while the chat is inactive.
    assert reload(world, chat.id).follower_ids == [agent.user_id]
    committed = world.store.write_sync(
        lambda tx: chats.send_event(tx, customer, chat.id, message("back"))
    )
    [started] = emitted(committed, changes.ThreadStarted)
    assert started.chat.follower_ids == []
    assert reload(world, chat.id).follower_ids == []
    # ... and the agent may follow the reactivated chat again.
    assert follow(world, agent, chat.id)[0] is True
