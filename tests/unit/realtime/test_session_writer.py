"""A session's outgoing queue and its writer (realtime/hub.py): frames go out in order, the
writer runs only while something is queued, `finish` flushes then closes with its code, a
client that stops reading is closed with 1008."""

from __future__ import annotations

import asyncio

from chatplane.realtime.hub import Session


class Socket:
    def __init__(self, block: bool = False) -> None:
        self.sent: list[str] = []
        self.closed: list[int] = []
        self.gate = asyncio.Event()
        if not block:
            self.gate.set()

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.sent.append(text)

    async def close(self, code: int) -> None:
        self.closed.append(code)


def session(sock: Socket, max_queue: int = 2048) -> Session:
    return Session(api="customer", send_text=sock.send_text, close=sock.close, max_queue=max_queue)


async def test_frames_go_out_in_order_and_the_writer_stops_when_idle() -> None:
    sock = Socket()
    s = session(sock)
    s.start()
    assert s._writer is None  # nothing to write: no task
    for i in range(3):
        s.send(f"m{i}")
    assert s._writer is not None
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert sock.sent == ["m0", "m1", "m2"]
    assert s._writer is None
    s.send("m3")
    await asyncio.sleep(0)
    assert sock.sent[-1] == "m3"
    assert sock.closed == []


async def test_nothing_is_written_before_start() -> None:
    sock = Socket()
    s = session(sock)
    s.send("early")
    await asyncio.sleep(0)
    assert sock.sent == [] and s._writer is None
    s.start()
    await asyncio.sleep(0)
    assert sock.sent == ["early"]


async def test_finish_flushes_then_closes_with_its_code_and_sends_nothing_after() -> None:
    sock = Socket(block=True)
    s = session(sock)
    s.start()
    s.send("a")
    s.send("b")
    finishing = asyncio.ensure_future(s.finish(4000))
    await asyncio.sleep(0)
    assert not finishing.done()
    sock.gate.set()
    await finishing
    assert sock.sent == ["a", "b"]
    assert sock.closed == [4000]
    s.send("late")
    await asyncio.sleep(0)
    assert sock.sent == ["a", "b"] and s._writer is None


async def test_finish_of_an_idle_session_closes_it() -> None:
    sock = Socket()
    s = session(sock)
    s.start()
    await s.finish(1000)
    assert sock.closed == [1000] and s.closed


async def test_a_client_that_stops_reading_is_closed_with_1008() -> None:
    sock = Socket(block=True)
    s = session(sock, max_queue=3)
    s.start()
    for i in range(5):
        s.send(f"m{i}")
    assert s.closed
    sock.gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert sock.closed == [1008]
    assert len(sock.sent) <= 4


async def test_a_failing_socket_closes_the_session_with_1008() -> None:
    closed: list[int] = []

    async def broken(_text: str) -> None:
        raise ConnectionResetError

    async def close(code: int) -> None:
        closed.append(code)

    s = Session(api="agent", send_text=broken, close=close)
    s.start()
    s.send("x")
    for _ in range(5):
        await asyncio.sleep(0)
    assert s.closed and closed == [1008]
    s.send("y")
    await asyncio.sleep(0)
    assert s._writer is None
