"""Thread tags (agent-chat-api v3.6 `tag_thread`, `untag_thread`).

A tag is a case-sensitive name on one thread, active or not. Until the license configures
tags (the Configuration API's `create_tag`), any well-formed name is accepted; from then
on only a configured tag sharing a group with the thread (domain/tag_config.py). Removing
a tag the thread has is always allowed, configured or not. Tagging a
thread with a tag it has already changes nothing and is no error (the thread ends as
asked, like adding a user who is in the chat); removing a tag it does not have is a
`validation` error naming the tag (tags are case sensitive: most likely a typo).
"""

from __future__ import annotations

import unicodedata

from chatplane.domain import changes, tag_config
from chatplane.domain.chats import get_chat
from chatplane.domain.models import Chat, Principal, Thread
from chatplane.errors import authorization, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import chats as repo

MAX_TAG_LENGTH = 255  # thread_tags.tag
MAX_TAGS_PER_THREAD = 100


def check_tag(tag: str) -> str:
    """A tag name as given, or a `validation` error saying what is wrong with it."""
    if not tag or not tag.strip():
        raise validation("tag must not be empty")
    if len(tag) > MAX_TAG_LENGTH:
        raise validation(f"tag is {len(tag)} characters long; the limit is {MAX_TAG_LENGTH}")
    if tag != tag.strip():
        raise validation(f"tag {tag!r} must not start or end with white space")
    for char in tag:
        # Control, format, surrogate and unassigned characters have no place in a label.
        if unicodedata.category(char).startswith("C"):
            raise validation(f"tag {tag!r} holds the control character U+{ord(char):04X}")
    return tag


def _thread(tx: Tx, caller: Principal, chat_id: str, thread_id: str) -> tuple[Chat, Thread]:
    """The chat (locked, with write access checked: `chats--all:rw` or `chats--access:rw`,
    or `chats--my:rw` in a chat the caller is in) and its thread."""
    if not caller.is_agent:
        raise authorization("Only agents tag threads")
    chat = get_chat(tx, caller, chat_id, meta="rw")
    thread = repo.load_thread(tx.conn, chat.id, thread_id)
    if thread is None:
        raise not_found("Thread", thread_id)
    return chat, thread


def tag_thread(tx: Tx, caller: Principal, chat_id: str, thread_id: str, tag: str) -> None:
    check_tag(tag)
    chat, thread = _thread(tx, caller, chat_id, thread_id)
    if tag in thread.tags:
        return
    _check_configured(tx, chat, thread, tag)
    if len(thread.tags) >= MAX_TAGS_PER_THREAD:
        raise validation(
            f"Thread {thread.id!r} has {len(thread.tags)} tags already; the limit is "
            f"{MAX_TAGS_PER_THREAD}"
        )
    tags = [*thread.tags, tag]
    repo.set_thread_tags(tx.conn, chat.license_id, thread.id, tags, added=tag, removed=None)
    tx.emit(changes.ThreadTagged(chat.license_id, chat, thread.id, tag))


def _check_configured(tx: Tx, chat: Chat, thread: Thread, tag: str) -> None:
    """Once the license configures tags (Configuration API `create_tag`), a thread takes
    only a tag that exists and shares one of its groups."""
    group_ids = [int(g) for g in thread.access.get("group_ids", chat.group_ids)]
    allowed = tag_config.tags_configured(tx, chat.license_id, group_ids)
    if allowed is None or tag in allowed:
        return
    if not tag_config.tag_exists(tx, chat.license_id, tag):
        raise not_found("Tag", tag)
    raise validation(f"Tag {tag!r} is not assigned to any group of thread {thread.id!r}")


def untag_thread(tx: Tx, caller: Principal, chat_id: str, thread_id: str, tag: str) -> None:
    check_tag(tag)
    chat, thread = _thread(tx, caller, chat_id, thread_id)
    if tag not in thread.tags:
        raise validation(f"Thread {thread.id!r} is not tagged {tag!r} (tags are case sensitive)")
    tags = [t for t in thread.tags if t != tag]
    repo.set_thread_tags(tx.conn, chat.license_id, thread.id, tags, added=None, removed=tag)
    tx.emit(changes.ThreadUntagged(chat.license_id, chat, thread.id, tag))
