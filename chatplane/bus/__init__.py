"""The bus carries committed domain changes to whoever reacts to them (pushes, webhooks).

One process: `LocalBus` calls subscribers directly. Many processes: a Redis bus (issue 7)
publishes the changes so that every process's subscribers see them.
"""

from typing import Any, Protocol

from chatplane.bus.local import LocalBus, Origin, Subscriber


class Bus(Protocol):
    def subscribe(self, subscriber: Subscriber) -> None: ...
    async def publish(self, changes: Any, origin: Origin | None = None) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def make_bus(redis_url: str, prefix: str = "chatplane") -> Bus:
    if redis_url:
        from chatplane.bus.redis import RedisBus

        return RedisBus(redis_url, f"{prefix}:changes")
    return LocalBus()


__all__ = ["Bus", "LocalBus", "Origin", "Subscriber", "make_bus"]
