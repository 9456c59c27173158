"""Following chats (agent-chat-api v3.6 `follow_chat`, `unfollow_chat`).

A follower is an agent who hears every push of a chat it is not a user of, until it
unfollows or the chat gets a new thread (it is reactivated: `chats._open_thread` clears
the followers). Chat members need not follow: following a chat one is a user of, or
following twice, changes nothing and sends no push. Members cannot unfollow (an error);
unfollowing a chat one does not follow (any more: a new thread cleared it) is no error.

Followers are stored on the chat's row (`chats.follower_ids`), so every change carries
them on its chat and fan-out needs no read to find them.
"""

from __future__ import annotations

from chatplane.domain import changes
from chatplane.domain.chats import get_chat
from chatplane.domain.models import Principal
from chatplane.errors import authorization, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import chats as repo


def follow_chat(tx: Tx, caller: Principal, chat_id: str) -> bool:
    """Follow a chat the caller may read (`chats--all:ro`, or `chats--access:ro` with one
    of the chat's groups). False when nothing changed (a follower or member already)."""
    if not caller.is_agent:
        raise authorization("Only agents follow chats")
    chat = get_chat(tx, caller, chat_id, meta="ro", lock=True)
    if chat.is_present(caller.user_id) or caller.user_id in chat.follower_ids:
        return False
    chat.follower_ids = [*chat.follower_ids, caller.user_id]
    repo.update_chat(tx.conn, chat.id, follower_ids=chat.follower_ids)
    thread = None
    thread_id = chat.active_thread_id or chat.last_thread_id
    if thread_id is not None:
        thread = repo.load_thread(tx.conn, chat.id, thread_id)
    if thread is not None:
        events = repo.load_events(tx.conn, [thread.id], agents_view=True, include_deleted=True)
        thread.events = events.get(thread.id, [])
    tx.emit(changes.ChatFollowed(chat.license_id, chat, caller.user_id, thread))
    return True


def unfollow_chat(tx: Tx, caller: Principal, chat_id: str) -> bool:
    """Stop following a chat (no scope needed). False when the caller did not follow it."""
    if not caller.is_agent:
        raise authorization("Only agents follow chats")
    chat = repo.load_chat(tx.conn, caller.license_id, chat_id, for_update=True)
    if chat is None:
        raise not_found("Chat", chat_id)
    if chat.is_present(caller.user_id):
        raise validation(
            f"You are a user of chat {chat.id!r}: chat members cannot unfollow their chats"
        )
    if caller.user_id not in chat.follower_ids:
        return False
    chat.follower_ids = [a for a in chat.follower_ids if a != caller.user_id]
    repo.update_chat(tx.conn, chat.id, follower_ids=chat.follower_ids)
    tx.emit(changes.ChatUnfollowed(chat.license_id, chat, caller.user_id))
    return True
