"""The light stand-ins for asyncio.Queue and asyncio.Event that every connection keeps
(realtime/mailbox.py): FIFO order, waking waiters in order, cancellation, and what uvicorn's
protocol and the session's writer rely on."""

from __future__ import annotations

import asyncio

import pytest

from chatplane.realtime.mailbox import Flag, Mailbox
from chatplane.realtime.resume import PushLog


async def test_items_come_out_in_the_order_put() -> None:
    box: Mailbox[int] = Mailbox()
    assert box.empty() and box.qsize() == 0
    for i in range(5):
        box.put_nowait(i)
    assert box.qsize() == 5
    assert [await box.get() for _ in range(3)] == [0, 1, 2]
    assert box.get_nowait() == 3
    assert box.get_nowait() == 4
    with pytest.raises(asyncio.QueueEmpty):
        box.get_nowait()


async def test_a_waiting_getter_gets_the_next_item() -> None:
    box: Mailbox[str] = Mailbox()
    getter = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    assert not getter.done()
    box.put_nowait("a")
    assert await getter == "a"
    assert box.empty()


async def test_waiters_are_served_in_order_one_item_each() -> None:
    box: Mailbox[int] = Mailbox()
    getters = [asyncio.ensure_future(box.get()) for _ in range(3)]
    await asyncio.sleep(0)
    box.put_nowait(1)
    box.put_nowait(2)
    await asyncio.sleep(0)
    assert [g.result() for g in getters[:2]] == [1, 2]
    assert not getters[2].done()
    box.put_nowait(3)
    assert await getters[2] == 3


async def test_a_cancelled_getter_takes_nothing_and_passes_its_wakeup_on() -> None:
    box: Mailbox[int] = Mailbox()
    first = asyncio.ensure_future(box.get())
    second = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    box.put_nowait(7)  # wakes `first`...
    first.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1) == 7
    assert box._waiters is None


async def test_a_getter_cancelled_while_waiting_is_forgotten() -> None:
    box: Mailbox[int] = Mailbox()
    getter = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    getter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await getter
    assert box._waiters is None
    box.put_nowait(1)
    assert box.get_nowait() == 1


async def test_flag_wakes_every_waiter_and_can_be_cleared() -> None:
    flag = Flag()
    assert not flag.is_set()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    assert flag.is_set() and await flag.wait()
    flag.clear()
    waiter = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert flag._waiters is None


def test_push_log_keeps_at_most_cap_pushes() -> None:
    log = PushLog("p.k", cap=2, window=60)
    assert log.after(0) == []
    assert log.append("a", None) == 1
    assert log.append("b", None) == 2
    assert log.append("c", None) == 3
    assert [k.text for k in log.after(1) or []] == ["b", "c"]
    assert log.after(0) is None  # seq 1 was dropped (cap)
