"""The in-process bus."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from chatplane.domain.changes import Change

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """The request that caused the changes: its RTM session gets the `request_id` back."""

    session_id: str | None = None
    request_id: str | None = None
    # (license_id, user_type, user_id) of the caller: its sessions hear what it caused.
    user: tuple[int, str, str] | None = None


Subscriber = Callable[[Sequence[Change], Origin], Awaitable[None]]


class LocalBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, changes: Sequence[Change], origin: Origin | None = None) -> None:
        if not changes:
            return
        origin = origin or Origin()
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
