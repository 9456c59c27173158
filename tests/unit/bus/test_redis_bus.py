"""The Redis bus carries committed changes between processes (a real Redis)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from chatplane.bus import Origin
from chatplane.bus.redis import RedisBus
from chatplane.domain.changes import Change, LastSeenUpdated
from chatplane.domain.models import Chat


def _change(n: int) -> LastSeenUpdated:
    chat = Chat("C1", 1, None, {"group_ids": [0]}, {}, 0, None, None, 0.0, 0.0)
    return LastSeenUpdated(1, chat, None, f"user{n}", n)


async def test_every_process_receives_every_change_in_publish_order(redis_url: str) -> None:
    channel = f"chatplane:test:{uuid.uuid4().hex}"
    one, two = RedisBus(redis_url, channel), RedisBus(redis_url, channel)
    seen: dict[str, list[tuple[int, str | None]]] = {"one": [], "two": []}

    def collector(name: str):  # type: ignore[no-untyped-def]
        async def collect(changes: Sequence[Change], origin: Origin) -> None:
            for c in changes:
                assert isinstance(c, LastSeenUpdated)
                seen[name].append((c.timestamp, origin.request_id))

        return collect

    one.subscribe(collector("one"))
    two.subscribe(collector("two"))
    await one.start()
    await two.start()
    try:
        for n in range(50):
            await one.publish([_change(n)], Origin("s1", f"r{n}"))
        for _ in range(100):
            if len(seen["one"]) == 50 and len(seen["two"]) == 50:
                break
            await asyncio.sleep(0.05)
        expected = [(n, f"r{n}") for n in range(50)]
        assert seen["one"] == expected
        assert seen["two"] == expected
    finally:
        await one.stop()
        await two.stop()


async def test_a_foreign_message_on_the_channel_is_dropped_and_the_bus_goes_on(
    redis_url: str,
) -> None:
    """Anyone who can publish on the channel gets at most a log line: a pickle is never
    loaded (it would run code), and the changes published after it are delivered."""
    import pickle

    import redis.asyncio as aioredis

    from tests.unit.bus.test_wire import RAN, Exploit

    channel = f"chatplane:test:{uuid.uuid4().hex}"
    bus = RedisBus(redis_url, channel)
    seen: list[int] = []

    async def collect(changes: Sequence[Change], _origin: Origin) -> None:
        seen.extend(c.timestamp for c in changes if isinstance(c, LastSeenUpdated))

    bus.subscribe(collect)
    await bus.start()
    outsider = aioredis.Redis.from_url(redis_url)
    try:
        await outsider.publish(channel, pickle.dumps(([Exploit()], Origin())))
        await outsider.publish(channel, b"not a change message")
        await bus.publish([_change(1)], Origin("s1", "r1"))
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.05)
        assert seen == [1]
        assert RAN == []
    finally:
        await outsider.aclose()
        await bus.stop()
