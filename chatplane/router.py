"""The router's background work: reacting to chats the core changed, and firing timers.

Routing of a new thread happens inside the unit of work that opens it. Other changes
free or take slots in units of work that do not know about routing (an agent closes a
thread, leaves or joins a chat by hand): the router hears of them on the bus once they
are committed and settles the queue in a unit of work of its own. Its own changes carry
the `ROUTER` origin and are not reacted to again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence

from chatplane.bus import Origin
from chatplane.domain import changes as ch
from chatplane.domain import routing, timers
from chatplane.domain.models import AGENT
from chatplane.services import Services
from chatplane.storage import Tx
from chatplane.storage import routing as rrepo

log = logging.getLogger(__name__)

ROUTER = Origin("router", None)

# Every this many timer polls, each license with a queue is served again: a safety net
# for changes whose reaction was lost (the process stopped right after a commit).
SWEEP_EVERY = 10


class Router:
    def __init__(self, services: Services) -> None:
        self.services = services
        # license id -> chats to settle (None: just serve the queue)
        self._dirty: dict[int, set[str]] = {}
        self._idle_active: dict[int, set[str]] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        settings = self.services.settings
        timers.configure(settings.idle_timeout, settings.archive_timeout)
        self._tasks = [
            asyncio.create_task(self._settle_loop()),
            asyncio.create_task(self._timer_loop()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def on_changes(self, changes: Sequence[ch.Change], origin: Origin) -> None:
        if origin == ROUTER:
            return
        for change in changes:
            lic = change.license_id
            if isinstance(change, ch.ThreadClosed):
                self._dirty.setdefault(lic, set()).add(change.chat.id)
            elif isinstance(change, ch.UserAdded | ch.UserRemoved):
                user_type = (
                    change.user.type if isinstance(change, ch.UserAdded) else change.user_type
                )
                if user_type == AGENT:
                    self._dirty.setdefault(lic, set()).add(change.chat.id)
            elif isinstance(change, ch.RoutingChanged):
                self._dirty.setdefault(lic, set())
            elif (
                isinstance(change, ch.EventAppended)
                and change.event.author_id
                and (change.chat.properties.get("routing") or {}).get("idle")
            ):
                self._idle_active.setdefault(lic, set()).add(change.chat.id)
        if self._dirty or self._idle_active:
            self._wake.set()

    async def _settle_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            dirty, self._dirty = self._dirty, {}
            idle, self._idle_active = self._idle_active, {}
            for lic, chat_ids in idle.items():
                for chat_id in chat_ids:
                    await self._run(lambda tx, lid=lic, c=chat_id: timers.activity(tx, lid, c))
            for lic, chat_ids in dirty.items():
                ids = sorted(chat_ids)
                await self._run(lambda tx, lid=lic, c=ids: routing.settle(tx, lid, c))

    async def _timer_loop(self) -> None:
        polls = 0
        while True:
            await asyncio.sleep(self.services.settings.timer_poll_interval)
            polls += 1
            try:
                await self._fire_due()
                if polls % SWEEP_EVERY == 0:
                    await self._sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("routing timers failed")

    async def _sweep(self) -> None:
        licenses = await self.services.read(lambda tx: rrepo.licenses_with_queue(tx.conn))
        for lic in licenses:
            await self._run(lambda tx, lid=lic: routing.drain(tx, lid))

    async def _fire_due(self) -> None:
        now = time.time()

        def due(tx: Tx) -> bool:
            return rrepo.any_due(tx.conn, now)

        # A read first: the writer is only taken when something is due.
        if await self.services.read(due):
            while await self._run(lambda tx: timers.fire_due(tx, time.time())) == 100:
                pass  # a full batch: more may be due

    async def _run(self, fn):  # type: ignore[no-untyped-def]
        try:
            return await self.services.commit(fn, ROUTER)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("routing work failed")
            return None
