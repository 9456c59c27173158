"""`filters.properties.<namespace>.<name>.<exists|values|exclude_values>` in get_archives and
get_filtered_chats (agent-chat-api "Get archives", "Get filtered chats"; about-apis.md: a
`tokenized_string` "is split to tokens before indexing", to search by word).

get_archives returns threads: a thread matches through its chat's property or its own thread
property. get_filtered_chats matches chat properties. Filters combine with `query` and each
other; a tokenized_string matches per word, case-insensitively.
"""

from __future__ import annotations

import pytest

from .harness import expect_error, unique
from .properties_helpers import config, create, prop_name


@pytest.fixture(scope="module")
def world(env):
    ns = env.a.client_id
    names = {
        "level": prop_name("level"),  # int, chat and thread
        "review": prop_name("review"),  # tokenized_string, chat
        "label": prop_name("label"),  # string, chat
        "hidden": prop_name("hidden"),  # int, chat, agents may not read
    }
    create(
        env.http,
        env.a.owner.token,
        {
            names["level"]: config("int", ("chat", "thread")),
            names["review"]: config("tokenized_string", ("chat",)),
            names["label"]: config("string", ("chat",)),
            names["hidden"]: config("int", ("chat",), agent=(False, False)),
        },
    )
    word = unique("walrus")
    specs = {
        # chat properties / thread properties / message text
        "gold": ({names["level"]: 3, names["review"]: "A Support HERO, truly!"}, {}, word),
        "silver": ({names["level"]: 2, names["label"]: "Support Hero"}, {}, "nothing special"),
        "threaded": ({}, {names["level"]: 3}, f"{word} again"),
        "plain": ({names["review"]: "slow and grumpy"}, {}, word),
    }
    chats = {}
    for key, (chat_props, thread_props, text) in specs.items():
        customer = env.new_customer()
        body = {"thread": {"events": [{"type": "message", "text": text}]}}
        if chat_props:
            body["properties"] = {ns: chat_props}
        if thread_props:
            body["thread"]["properties"] = {ns: thread_props}
        started = env.customer(customer, "start_chat", {"chat": body})["chat"]
        env.customer(customer, "close_thread", {"chat_id": started["id"]})
        chats[key] = started["id"]
    return {"ns": ns, "word": word, "chats": chats, **names}


def _found(env, world, prop_filters, *, query=None):
    filters = {"properties": {world["ns"]: prop_filters}}
    if query:
        filters["query"] = query
    out = env.agent(env.a.owner, "get_archives", {"filters": filters, "pagination": {"limit": 100}})
    ours = {v: k for k, v in world["chats"].items()}
    found = {ours[c["chat"]["id"]] for c in out["chats"] if c["chat"]["id"] in ours}
    assert out["pagination"]["total"] >= len(found)
    return found


def test_values_match_chat_and_thread_properties(env, world):
    assert _found(env, world, {world["level"]: {"values": [3]}}) == {"gold", "threaded"}
    assert _found(env, world, {world["level"]: {"values": [2, 3]}}) == {
        "gold",
        "silver",
        "threaded",
    }


def test_exclude_values_and_exists(env, world):
    assert _found(env, world, {world["level"]: {"exclude_values": [3]}}) == {"silver", "plain"}
    assert _found(env, world, {world["level"]: {"exists": True}}) == {
        "gold",
        "silver",
        "threaded",
    }
    assert _found(env, world, {world["level"]: {"exists": False}}) == {"plain"}


def test_tokenized_string_matches_words_case_insensitively(env, world):
    review = world["review"]
    assert _found(env, world, {review: {"values": ["hero"]}}) == {"gold"}
    assert _found(env, world, {review: {"values": ["SUPPORT hero"]}}) == {"gold"}
    assert _found(env, world, {review: {"values": ["hero grumpy"]}}) == set()
    assert _found(env, world, {review: {"values": ["grumpy", "truly"]}}) == {"gold", "plain"}
    assert _found(env, world, {review: {"exclude_values": ["hero"]}}) == {
        "silver",
        "threaded",
        "plain",
    }


def test_a_plain_string_matches_the_whole_value_exactly(env, world):
    label = world["label"]
    assert _found(env, world, {label: {"values": ["Support Hero"]}}) == {"silver"}
    assert _found(env, world, {label: {"values": ["hero"]}}) == set()
    assert _found(env, world, {label: {"values": ["support hero"]}}) == set()


def test_property_filters_combine_with_query_and_each_other(env, world):
    level = world["level"]
    assert _found(env, world, {level: {"values": [3]}}, query=world["word"]) == {
        "gold",
        "threaded",
    }
    assert _found(env, world, {level: {"exists": False}}, query=world["word"]) == {"plain"}
    assert _found(env, world, {level: {"values": [3]}, world["review"]: {"values": ["hero"]}}) == {
        "gold"
    }


def test_archives_follow_updates_and_deletes(env, world):
    customer = env.new_customer()
    chat_id = env.start_chat(customer, "later")["chat"]["id"]
    ns, level = world["ns"], world["level"]
    world["chats"]["late"] = chat_id
    try:
        env.customer(
            customer, "update_chat_properties", {"chat_id": chat_id, "properties": {ns: {level: 7}}}
        )
        assert "late" in _found(env, world, {level: {"values": [7]}})
        env.customer(
            customer, "update_chat_properties", {"chat_id": chat_id, "properties": {ns: {level: 8}}}
        )
        assert "late" not in _found(env, world, {level: {"values": [7]}})
        assert "late" in _found(env, world, {level: {"values": [8]}})
        env.customer(
            customer, "delete_chat_properties", {"chat_id": chat_id, "properties": {ns: [level]}}
        )
        assert "late" not in _found(env, world, {level: {"exists": True}})
    finally:
        del world["chats"]["late"]


def test_get_filtered_chats_filters_on_chat_properties(env, world):
    out = env.agent(
        env.a.owner,
        "get_filtered_chats",
        {
            "filters": {
                "include_active": False,
                "properties": {world["ns"]: {world["level"]: {"values": [3]}}},
            }
        },
    )
    ids = {c["id"] for c in out["chats_summary"]}
    assert world["chats"]["gold"] in ids
    # `threaded` has level 3 only as a thread property: it is not a chat property.
    assert world["chats"]["threaded"] not in ids
    assert world["chats"]["silver"] not in ids


BAD_FILTERS = {
    "two filter types": (lambda w: {w["level"]: {"exists": True, "values": [1]}}, "exactly one"),
    "no filter type": (lambda w: {w["level"]: {}}, "exactly one"),
    "unknown filter type": (lambda w: {w["level"]: {"contains": [1]}}, "contains"),
    "wrong value type": (lambda w: {w["level"]: {"values": ["three"]}}, "must be an int"),
    "empty values": (lambda w: {w["level"]: {"values": []}}, "at least one value"),
    "not configured": (lambda w: {"no_such_prop": {"exists": True}}, "not configured"),
    "no words": (lambda w: {w["review"]: {"values": ["!!!"]}}, "no word"),
}


@pytest.mark.parametrize("case", list(BAD_FILTERS))
def test_bad_property_filters_are_refused_naming_the_filter(env, world, case):
    make, words = BAD_FILTERS[case]
    prop_filters = make(world)
    err = expect_error(
        env.agent,
        env.a.owner,
        "get_archives",
        {"filters": {"properties": {world["ns"]: prop_filters}}},
        status=400,
        type="validation",
    )
    assert words in err.message, err.message
    assert next(iter(prop_filters)) in err.message or case == "unknown filter type"


def test_filtering_by_a_property_agents_may_not_read_is_refused(env, world):
    err = expect_error(
        env.agent,
        env.a.owner,
        "get_archives",
        {"filters": {"properties": {world["ns"]: {world["hidden"]: {"exists": True}}}}},
        status=403,
        type="authorization",
    )
    assert f"{world['ns']}.{world['hidden']} is not readable by an agent" in err.message


def test_get_filtered_chats_refuses_a_thread_only_property(env):
    name = prop_name("thr")
    create(env.http, env.a.owner.token, {name: config("int", ("thread",))})
    err = expect_error(
        env.agent,
        env.a.owner,
        "get_filtered_chats",
        {"filters": {"properties": {env.a.client_id: {name: {"exists": True}}}}},
        status=400,
        type="validation",
    )
    assert "cannot filter chats" in err.message
