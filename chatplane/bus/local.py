"""The in-process bus."""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from chatplane.domain.changes import Change

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """The request that caused the changes: its RTM session gets the `request_id` back."""

    session_id: str | None = None
    request_id: str | None = None
    # (license_id, user_type, user_id) of the caller: its sessions hear what it caused.
    user: tuple[int, str, str] | None = None
    # Names this publication across the processes of a cluster (set by `publish`): a change
    # is "<batch>/<index>" (a resumed RTM session hears each change once).
    batch: str | None = None


_PUBLISHER = uuid.uuid4().hex[:8]
_batches = itertools.count(1)


def stamped(origin: Origin | None) -> Origin:
    """The origin with a batch name unique to this publication."""
    return replace(origin or Origin(), batch=f"{_PUBLISHER}:{next(_batches)}")


Subscriber = Callable[[Sequence[Change], Origin], Awaitable[None]]


class LocalBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, changes: Sequence[Change], origin: Origin | None = None) -> None:
        if not changes:
            return
        origin = stamped(origin)
        for subscriber in self._subscribers:
            try:
                await subscriber(changes, origin)
            except Exception:
                # A failing subscriber must not undo or hide a committed change.
                log.exception("bus subscriber failed")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
