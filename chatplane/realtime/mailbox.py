"""Small stand-ins for `asyncio.Queue` and `asyncio.Event`, for what every open connection
keeps while it waits.

An `asyncio.Queue` makes four `collections.deque`s (items, getters, putters, and its
`Event`'s waiters) of about 760 bytes each, and an `asyncio.Event` one: an idle RTM session
had two queues and an event (uvicorn's receive queue and writable flag, the session's
outgoing queue), about 7 KB of its ~36 KB. These keep a list, and futures only while
someone waits: a few hundred bytes. Same semantics for what the callers use (FIFO, one item
per `put_nowait`, any number of waiters woken in order, cancellation-safe), unbounded.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    """An unbounded FIFO: `asyncio.Queue`'s `put_nowait`, `get`, `get_nowait`, `empty`,
    `qsize`. Items wait in a list (few at a time here: a session's pushes are bounded by
    its `max_queue`, uvicorn pauses reading until each message is taken)."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[T] = []
        self._waiters: list[asyncio.Future[None]] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: T) -> None:
        self._items.append(item)
        self._wake_one()

    def get_nowait(self) -> T:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    async def get(self) -> T:
        while not self._items:
            fut = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(fut)
            try:
                await fut
            except BaseException:
                self._forget(fut)
                # Woken for an item and cancelled before taking it: the next waiter gets it.
                if fut.done() and not fut.cancelled() and self._items:
                    self._wake_one()
                raise
        return self._items.pop(0)

    def _wake_one(self) -> None:
        waiters = self._waiters
        while waiters:
            fut = waiters.pop(0)
            if not fut.done():
                fut.set_result(None)
                break
        if not waiters:
            self._waiters = None

    def _forget(self, fut: asyncio.Future[None]) -> None:
        waiters = self._waiters
        if waiters is not None and fut in waiters:
            waiters.remove(fut)
            if not waiters:
                self._waiters = None


class Flag:
    """`asyncio.Event`'s `set`, `clear`, `is_set` and `wait`, its waiters' futures made only
    while someone waits."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        for fut in waiters or ():
            if not fut.done():
                fut.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        fut = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(fut)
        try:
            await fut
            return True
        finally:
            waiters = self._waiters
            if waiters is not None and fut in waiters:
                waiters.remove(fut)
                if not waiters:
                    self._waiters = None
