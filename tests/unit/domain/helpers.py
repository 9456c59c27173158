"""Small steps the domain tests share."""

from __future__ import annotations

from typing import Any

from chatplane.domain import changes, chats
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.domain.models import Chat, Principal, Thread
from chatplane.storage import chats as repo
from tests.unit.support import World


def message(text: str = "hi", **kw: Any) -> NewEvent:
    return NewEvent(type="message", text=text, **kw)


def start(world: World, caller: Principal, *texts: str) -> tuple[Chat, Thread]:
    """A chat started by `caller`, with one message per text."""
    req = ChatRequest(thread=NewThread(events=[message(t) for t in texts]))
    return world.store.write_sync(lambda tx: chats.start_chat(tx, caller, req)).result


def reload(world: World, chat_id: str) -> Chat:
    chat = world.store.read_sync(lambda tx: repo.load_chat(tx.conn, world.license_id, chat_id))
    assert chat is not None
    return chat


def emitted(committed: Any, kind: type[changes.Change]) -> list[Any]:
    """The changes of one kind a committed unit of work emitted."""
    return [c for c in committed.events if isinstance(c, kind)]
