"""Message text over 16 KB of raw UTF-8 bytes is refused; exactly 16 KB is accepted.

Spec (agent-chat-api / customer-chat-api, Event > Message): "`text` is required, max raw text
size is 16KB (it't not equal to text characters count - one UTF-8 character like emoji 😁 can
use up to 4 bytes)".
"""

from __future__ import annotations

from .harness import assert_error_body, expect_error

LIMIT = 16 * 1024
# The spec names no error type for an over-long text: it is a field the caller must fix, so
# a `validation` error (400) naming `text`, like every other field's limit.
TOO_LONG = {"status": 400, "type": "validation"}


def _thread_texts(env, chat_id, thread_id):
    got = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat_id, "thread_ids": [thread_id]}
    )
    return [e.get("text") for e in got["chat"]["threads"][0]["events"]]


def test_message_text_of_exactly_16384_bytes_is_accepted_and_stored_intact(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    ascii_text = "a" * LIMIT
    emoji_text = "😁" * (LIMIT // 4)  # 4096 characters, 16384 bytes
    assert len(emoji_text.encode()) == LIMIT

    for text in (ascii_text, emoji_text):
        sent = env.customer(
            cust, "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": text}}
        )
        assert sent["event"]["text"] == text
    sent = env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": emoji_text}},
    )
    assert sent["event"]["text"] == emoji_text

    texts = _thread_texts(env, chat["id"], chat["thread"]["id"])
    assert texts.count(ascii_text) == 1 and texts.count(emoji_text) == 2


def test_message_text_of_16385_bytes_is_refused_counting_bytes_not_characters(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    cases = ["a" * (LIMIT + 1), "😁" * (LIMIT // 4) + "a"]  # the second is only 4097 characters
    for text in cases:
        assert len(text.encode()) == LIMIT + 1
        err = expect_error(
            env.customer,
            cust,
            "send_event",
            {"chat_id": chat["id"], "event": {"type": "message", "text": text}},
            **TOO_LONG,
        )
        assert "text" in err.message, err.message
        expect_error(
            env.agent,
            env.a.owner,
            "send_event",
            {"chat_id": chat["id"], "event": {"type": "message", "text": text}},
            **TOO_LONG,
        )
    texts = _thread_texts(env, chat["id"], chat["thread"]["id"])
    assert all(len((t or "").encode()) <= LIMIT for t in texts)


def test_annotation_text_over_16384_bytes_is_refused(env):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    env.agent(
        env.a.owner,
        "send_event",
        {
            "chat_id": chat["id"],
            "event": {"type": "annotation", "annotation_type": "x", "text": "b" * LIMIT},
        },
    )
    expect_error(
        env.agent,
        env.a.owner,
        "send_event",
        {
            "chat_id": chat["id"],
            "event": {"type": "annotation", "annotation_type": "x", "text": "b" * (LIMIT + 1)},
        },
        **TOO_LONG,
    )


def test_over_long_text_in_start_chat_creates_no_chat(env):
    cust = env.new_customer()
    before = env.customer(cust, "get_chats_summary", {})["total_chats"]
    expect_error(
        env.customer,
        cust,
        "start_chat",
        {
            "chat": {
                "thread": {
                    "events": [
                        {"type": "message", "text": "fine"},
                        {"type": "message", "text": "a" * (LIMIT + 1)},
                    ]
                }
            }
        },
        **TOO_LONG,
    )
    after = env.customer(cust, "get_chats_summary", {})
    assert after["total_chats"] == before == 0
    assert after["chats_summary"] == []


async def test_over_long_text_over_rtm_is_refused_with_same_request_id_and_socket_stays_open(
    env, rtm
):
    cust = env.new_customer()
    chat = env.start_chat(cust, "hi")["chat"]
    agent = await rtm.agent(env.a.owner)

    resp = await agent.request(
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "message", "text": "z" * (LIMIT + 1)}},
        request_id="too-long-1",
    )

    assert resp["request_id"] == "too-long-1"
    assert resp["type"] == "response"
    assert resp["success"] is False
    assert_error_body(resp["payload"], TOO_LONG["type"])
    assert await agent.alive()
    ok = await agent.call(
        "send_event", {"chat_id": chat["id"], "event": {"type": "message", "text": "z" * LIMIT}}
    )
    assert len(ok["event"]["text"]) == LIMIT
