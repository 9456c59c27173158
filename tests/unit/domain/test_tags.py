"""Thread tags (v3.6 tag_thread, untag_thread) and the archives' `tags` filter, on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest

from chatplane.domain import changes, chats, tags, views
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from chatplane.storage import chats as repo
from chatplane.storage.archives import ArchiveFilters, TagsFilter
from tests.unit.domain.helpers import message, start
from tests.unit.support import World


def tag(world: World, caller: Principal, chat_id: str, thread_id: str, name: str) -> list[object]:
    committed = world.store.write_sync(
        lambda tx: tags.tag_thread(tx, caller, chat_id, thread_id, name)
    )
    return committed.events


def untag(world: World, caller: Principal, chat_id: str, thread_id: str, name: str) -> list[object]:
    committed = world.store.write_sync(
        lambda tx: tags.untag_thread(tx, caller, chat_id, thread_id, name)
    )
    return committed.events


def stored_tags(world: World, thread_id: str) -> list[str]:
    threads = world.store.read_sync(lambda tx: repo.load_threads(tx.conn, [thread_id]))
    return threads[thread_id].tags


def test_a_tag_is_stored_shown_on_the_thread_and_announced(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    events = tag(world, world.owner, chat.id, thread.id, "support")
    [change] = [c for c in events if isinstance(c, changes.ThreadTagged)]
    assert (change.chat.id, change.thread_id, change.tag) == (chat.id, thread.id, "support")
    tag(world, world.owner, chat.id, thread.id, "Sales")
    assert stored_tags(world, thread.id) == ["support", "Sales"]
    _, threads, summaries = world.store.read_sync(
        lambda tx: views.chat_threads(tx, world.owner, chat.id, None)
    )
    assert threads[0].tags == ["support", "Sales"]
    assert summaries[0].tags == ["support", "Sales"]


def test_tagging_twice_changes_nothing_and_announces_nothing(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    tag(world, world.owner, chat.id, thread.id, "support")
    again = tag(world, world.owner, chat.id, thread.id, "support")
    assert not [c for c in again if isinstance(c, changes.ThreadTagged)]
    assert stored_tags(world, thread.id) == ["support"]


def test_tags_are_case_sensitive(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    tag(world, world.owner, chat.id, thread.id, "support")
    tag(world, world.owner, chat.id, thread.id, "Support")
    assert stored_tags(world, thread.id) == ["support", "Support"]
    with pytest.raises(ApiError) as err:
        untag(world, world.owner, chat.id, thread.id, "SUPPORT")
    assert err.value.type == "validation" and "'SUPPORT'" in err.value.message


def test_untag_removes_the_tag_and_announces_it(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    tag(world, world.owner, chat.id, thread.id, "a")
    tag(world, world.owner, chat.id, thread.id, "b")
    events = untag(world, world.owner, chat.id, thread.id, "a")
    [change] = [c for c in events if isinstance(c, changes.ThreadUntagged)]
    assert (change.thread_id, change.tag) == (thread.id, "a")
    assert stored_tags(world, thread.id) == ["b"]


def test_untagging_a_tag_the_thread_lacks_is_a_validation_error(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    with pytest.raises(ApiError) as err:
        untag(world, world.owner, chat.id, thread.id, "nope")
    assert err.value.type == "validation" and "not tagged 'nope'" in err.value.message


def test_an_inactive_thread_can_be_tagged(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    world.store.write_sync(lambda tx: chats.close_thread(tx, world.owner, chat.id))
    tag(world, world.owner, chat.id, thread.id, "after")
    assert stored_tags(world, thread.id) == ["after"]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        (" lead", "white space"),
        ("bad\nname", "control character U+000A"),
        ("x" * 256, "256 characters"),
    ],
)
def test_malformed_tag_names_are_refused(world: World, name: str, says: str) -> None:
    chat, thread = start(world, world.customer(), "hello")
    with pytest.raises(ApiError) as err:
        tag(world, world.owner, chat.id, thread.id, name)
    assert err.value.type == "validation" and says in err.value.message


def test_any_well_formed_name_is_accepted_until_tags_are_configured(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    for name in ("bug_report", "zgłoszenie", "x" * 255, "with space", "🙂"):
        tag(world, world.owner, chat.id, thread.id, name)
    assert len(stored_tags(world, thread.id)) == 5


def test_the_thread_must_belong_to_the_chat(world: World) -> None:
    customer = world.customer()
    chat, _ = start(world, customer, "one")
    _, other_thread = start(world, customer, "two")
    with pytest.raises(ApiError) as err:
        tag(world, world.owner, chat.id, other_thread.id, "x")
    assert err.value.status == 404 and "Thread" in err.value.message


def test_tagging_needs_write_access_to_the_chat(world: World) -> None:
    chat, thread = start(world, world.customer(), "hello")
    normal = world.agent("nora@example.com")  # chats--my:rw, chats--access:ro only
    with pytest.raises(ApiError) as err:
        tag(world, normal, chat.id, thread.id, "x")
    assert err.value.type == "authorization"
    # In the chat, chats--my:rw is enough.
    world.store.write_sync(lambda tx: chats.send_event(tx, normal, chat.id, message("hi")))
    tag(world, normal, chat.id, thread.id, "x")
    assert stored_tags(world, thread.id) == ["x"]


def test_a_customer_cannot_tag_its_own_chat(world: World) -> None:
    customer = world.customer()
    chat, thread = start(world, customer, "hello")
    with pytest.raises(ApiError) as err:
        tag(world, customer, chat.id, thread.id, "x")
    assert err.value.type == "authorization"


def test_a_thread_holds_at_most_the_tag_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tags, "MAX_TAGS_PER_THREAD", 2)
    chat, thread = start(world, world.customer(), "hello")
    tag(world, world.owner, chat.id, thread.id, "a")
    tag(world, world.owner, chat.id, thread.id, "b")
    with pytest.raises(ApiError) as err:
        tag(world, world.owner, chat.id, thread.id, "c")
    assert "the limit is 2" in err.value.message


# -- the archives' filter ------------------------------------------------------------------


def archived(world: World, tags_filter: TagsFilter) -> tuple[set[str], int]:
    found, total = world.store.read_sync(
        lambda tx: views.archive(tx, world.owner, ArchiveFilters(tags=tags_filter), 1, 100)
    )
    return {thread.id for _, thread in found}, total


def test_archives_filter_threads_by_tags(world: World) -> None:
    customer = world.customer()
    threads = {}
    for name, names in {
        "none": [],
        "a": ["a"],
        "b": ["b"],
        "ab": ["a", "b"],
        "abc": ["a", "b", "c"],
    }.items():
        chat, thread = start(world, customer, name)
        for n in names:
            tag(world, world.owner, chat.id, thread.id, n)
        threads[name] = thread.id

    def ids(*names: str) -> set[str]:
        return {threads[n] for n in names}

    assert archived(world, TagsFilter(values=["a"])) == (ids("a", "ab", "abc"), 3)
    assert archived(world, TagsFilter(values=["a", "b"])) == (ids("a", "b", "ab", "abc"), 4)
    every = TagsFilter(values=["a", "b"], require_every_value=True)
    assert archived(world, every) == (ids("ab", "abc"), 2)
    assert archived(world, TagsFilter(exclude_values=["a"])) == (ids("none", "b"), 2)
    assert archived(world, TagsFilter(exclude_values=["a", "c"])) == (ids("none", "b"), 2)
    not_every = TagsFilter(exclude_values=["a", "b"], require_every_value=True)
    assert archived(world, not_every) == (ids("none", "a", "b"), 3)
    assert archived(world, TagsFilter(exists=True)) == (ids("a", "b", "ab", "abc"), 4)
    assert archived(world, TagsFilter(exists=False)) == (ids("none"), 1)
    assert archived(world, TagsFilter(values=[])) == (set(), 0)
    assert archived(world, TagsFilter(exclude_values=[]))[1] == 5
    # An untagged thread leaves the filter's matches.
    chat_id = world.store.read_sync(
        lambda tx: repo.load_threads(tx.conn, [threads["a"]])[threads["a"]].chat_id
    )
    untag(world, world.owner, chat_id, threads["a"], "a")
    assert archived(world, TagsFilter(values=["a"])) == (ids("ab", "abc"), 2)
    # The archived threads show their tags.
    found, _ = world.store.read_sync(
        lambda tx: views.archive(tx, world.owner, ArchiveFilters(), 1, 100)
    )
    shown = {thread.id: thread.tags for _, thread in found}
    assert shown[threads["abc"]] == ["a", "b", "c"] and shown[threads["none"]] == []


def test_tags_filter_combines_with_other_filters(world: World) -> None:
    customer = world.customer()
    chat1, t1 = start(world, customer, "apples")
    chat2, t2 = start(world, customer, "pears")
    tag(world, world.owner, chat1.id, t1.id, "fruit")
    tag(world, world.owner, chat2.id, t2.id, "fruit")
    found, total = world.store.read_sync(
        lambda tx: views.archive(
            tx,
            world.owner,
            ArchiveFilters(query="pears", tags=TagsFilter(values=["fruit"])),
            1,
            10,
        )
    )
    assert total == 1 and [t.id for _, t in found] == [t2.id]
