"""The soak's clients: customers and agents over the Web API and RTM (v3.0 paths), an
integration acting as a bot agent over the Web API, and file uploads (`send_file`).

Every event a client sends carries a tag of its own (the message text and the event's
`custom_id`), and the client writes down what it was told in a `Ledger`:

- ``acked``: the server answered success, so the event must be stored exactly once;
- ``unknown``: no answer (connection lost, timeout) or an internal error (5xx): the event
  may or may not be stored, and at most once;
- ``refused``: an error answer of another type: the event must not be stored.

A tag is never sent twice: a client that did not get an answer sends its next event with
a new tag, so any tag stored twice was stored twice by the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bench.soak_receiver import event_tag
from bench.soak_services import Node

ACKED, UNKNOWN, REFUSED = "acked", "unknown", "refused"
# Seconds a client waits for an answer before it counts the request as unknown.
REQUEST_TIMEOUT = 15.0


@dataclass
class Sent:
    tag: str
    chat_id: str
    sender: str
    kind: str  # message | file
    outcome: str
    via: str  # transport@node
    detail: str = ""
    file_sha256: str | None = None
    at: float = field(default_factory=time.monotonic)  # when the answer (or none) came


@dataclass
class Ledger:
    prefix: str
    sent: list[Sent] = field(default_factory=list)
    acks: int = 0

    def tag(self, sender: str, seq: int | str) -> str:
        return f"{self.prefix}{sender}-{seq}"

    def record(self, sent: Sent) -> None:
        self.sent.append(sent)
        if sent.outcome == ACKED:
            self.acks += 1

    def counts(self) -> Counter[str]:
        return Counter(s.outcome for s in self.sent)


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer at all
    body: Any
    text: str
    via: str

    @property
    def outcome(self) -> str:
        if self.status == 200:
            return ACKED
        if self.status is None or self.status >= 500:
            return UNKNOWN
        return REFUSED


class Web:
    """Web API calls, spread over the nodes: a node that does not answer is left for the
    next one (a cluster's load balancer would do the same)."""

    def __init__(self, nodes: list[Node], home: int) -> None:
        self.nodes = nodes
        self.at = home % len(nodes)
        self.client = httpx.AsyncClient(
            trust_env=False, timeout=httpx.Timeout(REQUEST_TIMEOUT, connect=3.0)
        )

    async def post(
        self,
        path: str,
        token: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        node: int | None = None,
    ) -> Answer:
        index = self.at if node is None else node % len(self.nodes)
        target = self.nodes[index]
        via = f"web@{target.name}"
        try:
            resp = await self.client.post(
                target.base_url + path,
                json=body,
                params=params,
                data=data,
                files=files,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            if node is None:
                self.at = (self.at + 1) % len(self.nodes)
            return Answer(None, None, f"{type(exc).__name__}: {exc}"[:300], via)
        try:
            parsed = resp.json()
        except ValueError:
            parsed = None
        if resp.status_code >= 500 and node is None:
            self.at = (self.at + 1) % len(self.nodes)
        return Answer(resp.status_code, parsed, resp.text[:300], via)

    async def get(self, url: str) -> httpx.Response:
        return await self.client.get(url)

    async def close(self) -> None:
        await self.client.aclose()


class Rtm:
    """One RTM client that stays logged in: when its connection goes, it connects again
    (to the next node of a cluster) and logs in again. It counts the events pushed to it."""

    def __init__(
        self, name: str, nodes: list[Node], home: int, path: str, token: str, prefix: str
    ) -> None:
        self.name = name
        self.nodes = nodes
        self.at = home % len(nodes)
        self.path = path
        self.token = token
        self.prefix = prefix
        self.ws: ClientConnection | None = None
        self.node_index = self.at
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self._ids = itertools.count(1)
        self.logins = 0
        self.failed_connects = 0
        self.pushed: Counter[str] = Counter()  # tag -> incoming_event pushes of it
        self.user_id = ""
        # An agent told it is offline while its connection is open: presence went wrong.
        # (monotonic time, the node it was connected to) of each time.
        self.told_offline: list[tuple[float, str]] = []
        self._pushed_event = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.ws is not None

    async def ensure(self) -> bool:
        """Connected and logged in (True), or one failed try (False; the caller waits)."""
        if self.ws is not None:
            return True
        node = self.nodes[self.at]
        try:
            ws = await connect(
                node.ws_base + self.path,
                proxy=None,
                open_timeout=5,
                close_timeout=1,
                ping_interval=10,
                ping_timeout=10,
                max_size=2**24,
            )
        except (OSError, WebSocketException, TimeoutError):
            self.failed_connects += 1
            self.at = (self.at + 1) % len(self.nodes)
            return False
        self.ws = ws
        self.node_index = self.at
        self._reader = asyncio.create_task(self._read(ws))
        resp = await self.request("login", {"token": f"Bearer {self.token}"}, timeout=10)
        if resp is None or resp.get("success") is not True:
            self.failed_connects += 1
            await self.drop()
            self.at = (self.at + 1) % len(self.nodes)
            return False
        self.logins += 1
        payload = resp.get("payload") or {}
        self.user_id = str(
            payload.get("customer_id") or (payload.get("my_profile") or {}).get("id") or ""
        )
        return True

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(msg, dict):
                    continue
                if msg.get("type") == "push":
                    self._on_push(msg)
                    continue
                fut = self._waiting.pop(str(msg.get("request_id")), None)
                if fut is not None and not fut.done():
                    fut.set_result(msg)
        except (ConnectionClosed, OSError):
            pass
        finally:
            if self.ws is ws:
                self.ws = None
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_result(None)
            self._waiting.clear()

    def _on_push(self, msg: dict[str, Any]) -> None:
        payload = msg.get("payload") or {}
        events: list[Any] = []
        if (
            msg.get("action") == "agent_updated"
            and payload.get("agent_id") == self.user_id
            and payload.get("routing_status") == "offline"
        ):
            self.told_offline.append((time.monotonic(), self.nodes[self.node_index].name))
        if msg.get("action") == "incoming_event":
            events = [payload.get("event")]
        elif msg.get("action") == "incoming_chat_thread":
            events = ((payload.get("chat") or {}).get("thread") or {}).get("events") or []
        for event in events:
            if isinstance(event, dict):
                tag = event_tag(event, self.prefix)
                if tag is not None:
                    self.pushed[tag] += 1
                    self._pushed_event.set()

    async def request(
        self, action: str, payload: dict[str, Any], timeout: float = REQUEST_TIMEOUT
    ) -> dict[str, Any] | None:
        """The response, or None when none came (the request's fate is unknown)."""
        ws = self.ws
        if ws is None:
            return None
        rid = f"{self.name}-{next(self._ids)}"
        fut: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        try:
            await ws.send(json.dumps({"request_id": rid, "action": action, "payload": payload}))
            return await asyncio.wait_for(fut, timeout)
        except (ConnectionClosed, OSError, TimeoutError):
            return None
        finally:
            self._waiting.pop(rid, None)

    async def wait_pushed(self, tag: str, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pushed[tag] == 0:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._pushed_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pushed_event.wait(), remaining)
        return True

    @property
    def via(self) -> str:
        return f"rtm@{self.nodes[self.node_index].name}"

    async def drop(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader


def rtm_outcome(resp: dict[str, Any] | None) -> tuple[str, str]:
    if resp is None:
        return UNKNOWN, "no answer"
    if resp.get("success") is True:
        return ACKED, ""
    error = (resp.get("payload") or {}).get("error") or {}
    detail = json.dumps(error)[:300]
    return (UNKNOWN if error.get("type") == "internal" else REFUSED), detail


def message(tag: str) -> dict[str, Any]:
    return {"type": "message", "text": tag, "custom_id": tag}


# ----------------------------------------------------------------------------- actors


@dataclass
class Actor:
    """One client sending events in a loop, one at a time, until told to stop."""

    name: str
    ledger: Ledger
    web: Web
    rtm: Rtm | None = None
    seq: int = 0

    async def step(self, rng: random.Random) -> str | None:
        """Send one event; its outcome, or None when nothing could be sent."""
        raise NotImplementedError

    async def run(self, stop: asyncio.Event, pace_s: float, rng: random.Random) -> None:
        while not stop.is_set():
            outcome = await self.step(rng)
            # Back off after a failure: the server is restarting or its database is away.
            delay = pace_s if outcome == ACKED else 0.3
            await asyncio.sleep(delay * rng.uniform(0.5, 1.5))

    def next_tag(self) -> str:
        self.seq += 1
        return self.ledger.tag(self.name, self.seq)

    async def send_web(self, chat_id: str, path: str, token: str, **envelope: Any) -> str:
        tag = self.next_tag()
        body = {**envelope, "payload": {"chat_id": chat_id, "event": message(tag)}}
        ans = await self.web.post(path, token, body=body)
        self.ledger.record(
            Sent(tag, chat_id, self.name, "message", ans.outcome, ans.via, _detail(ans))
        )
        return ans.outcome

    async def send_rtm(self, chat_id: str) -> str | None:
        assert self.rtm is not None
        if not await self.rtm.ensure():
            return None
        tag = self.next_tag()
        via = self.rtm.via
        resp = await self.rtm.request("send_event", {"chat_id": chat_id, "event": message(tag)})
        outcome, detail = rtm_outcome(resp)
        if resp is None:
            await self.rtm.drop()  # a connection that stopped answering is given up
        self.ledger.record(Sent(tag, chat_id, self.name, "message", outcome, via, detail))
        return outcome


def _detail(ans: Answer) -> str:
    return "" if ans.outcome == ACKED else f"{ans.status}: {ans.text}"[:300]


@dataclass
class Customer(Actor):
    token: str = ""
    customer_id: str = ""
    chat_id: str = ""
    license_id: int = 0
    files_every: int = 8

    async def step(self, rng: random.Random) -> str | None:
        if self.seq % self.files_every == self.files_every - 1:
            return await self.send_file(rng)
        if self.rtm is not None:
            return await self.send_rtm(self.chat_id)
        return await self.send_web(
            self.chat_id,
            f"/v3.0/customer/action/send_event?license_id={self.license_id}",
            self.token,
        )

    async def send_file(self, rng: random.Random) -> str:
        tag = self.next_tag()
        content = rng.randbytes(rng.randint(200, 6000))
        ans = await self.web.post(
            "/v3.0/customer/action/send_file",
            self.token,
            params={"license_id": self.license_id},
            data={"payload.chat_id": self.chat_id, "payload.custom_id": tag},
            files={"payload.file": (f"{tag}.bin", content, "application/octet-stream")},
        )
        self.ledger.record(
            Sent(
                tag,
                self.chat_id,
                self.name,
                "file",
                ans.outcome,
                ans.via,
                _detail(ans),
                file_sha256=hashlib.sha256(content).hexdigest(),
            )
        )
        return ans.outcome


@dataclass
class Agent(Actor):
    """An agent answering the customers' chats in turn (it joins a chat by writing in it)."""

    token: str = ""
    chat_ids: list[str] = field(default_factory=list)

    async def step(self, rng: random.Random) -> str | None:
        chat_id = self.chat_ids[self.seq % len(self.chat_ids)]
        if self.rtm is not None:
            return await self.send_rtm(chat_id)
        return await self.send_web(chat_id, "/v3.0/agent/action/send_event", self.token)


@dataclass
class Bot(Actor):
    """An integration: an application's token acting as its bot agent (`author_id`)."""

    token: str = ""
    bot_id: str = ""
    chat_ids: list[str] = field(default_factory=list)

    async def step(self, rng: random.Random) -> str | None:
        chat_id = self.chat_ids[self.seq % len(self.chat_ids)]
        return await self.send_web(
            chat_id, "/v3.0/agent/action/send_event", self.token, author_id=self.bot_id
        )
