"""The delivery worker: claims due outbox rows, POSTs them, records every attempt.

- At least once: a row stays `pending` until a 2xx is recorded; a crash or kill loses
  nothing (on start-up with SQLite the dead process's leases are released).
- Retries: connection errors, timeouts, 408, 429 and 5xx are retried with exponential
  backoff (`webhook_retry_base` * 2^n, ±20 % jitter, at most 10 min) until the delivery
  is `webhook_retry_for` old; other answers (3xx, 4xx) fail it at once. Failed deliveries
  wait for an operator's `redeliver`.
- Order: an outbox row is claimable only when no earlier row for the same receiver and
  chat is pending, so a receiver sees one chat's webhooks in order.
- A slow receiver costs one of `webhook_concurrency` slots for at most `webhook_timeout`;
  the chat API never waits for a webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from chatplane.config import Settings
from chatplane.domain.changes import Change
from chatplane.storage import Tx
from chatplane.storage import webhooks as repo
from chatplane.storage.store import Store
from chatplane.webhooks import addresses, signing

log = logging.getLogger(__name__)

MAX_BACKOFF = 600.0
# How often an idle worker looks for rows written by other processes or the command line.
POLL_SECONDS = 1.0
USER_AGENT = "Chatplane-Webhooks/1.0"


@dataclass
class Outcome:
    outcome: str  # delivered | retry | failed
    status_code: int | None = None
    error: str | None = None


def backoff(base: float, attempts: int) -> float:
    """Seconds before attempt `attempts + 1`, after `attempts` failed ones."""
    delay = min(MAX_BACKOFF, base * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.8, 1.2)


def classify(status_code: int) -> str:
    if 200 <= status_code < 300:
        return "delivered"
    if status_code in (408, 429) or status_code >= 500:
        return "retry"
    return "failed"


class DeliveryWorker:
    def __init__(
        self, store: Store, settings: Settings, written: Callable[[], int] | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.wake = asyncio.Event()
        # How many deliveries this process's outbox has written; a commit that wrote none
        # does not wake the worker (a claim is a write: looking after every commit would
        # take a writer slot per message for nothing). Rows written by other processes
        # are found by their own worker and by the poll.
        self._written = written
        self._seen_written = -1
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        # Leases outlive one attempt with room to spare; a crashed worker's rows come back.
        self.lease_seconds = settings.webhook_timeout * 3 + 10

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self.store.is_sqlite:
            # SQLite is served by one process: any lease left is from a process now dead.
            await self.store.write(lambda tx: repo.release_all_leases(tx.conn))
        timeout = httpx.Timeout(
            self.settings.webhook_timeout, connect=min(5.0, self.settings.webhook_timeout)
        )
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=self.settings.webhook_concurrency),
        )
        self._task = asyncio.create_task(self._run(), name="webhook-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._inflight):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def on_changes(self, _changes: Sequence[Change], _origin: Any) -> None:
        """Bus subscriber: if a commit wrote outbox rows, look now."""
        if self._written is None or self._written() != self._seen_written:
            self.wake.set()

    # -- the loop ----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            # Cleared before looking, so a commit that lands meanwhile still wakes us.
            self.wake.clear()
            if self._written is not None:
                self._seen_written = self._written()
            try:
                claimed = await self._claim()
            except Exception:
                log.exception("claiming webhook deliveries failed")
                claimed = []
            for row in claimed:
                task = asyncio.create_task(self._deliver(row))
                self._inflight.add(task)
                task.add_done_callback(self._done)
            if not claimed:
                await self._sleep()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        # A finished delivery may unblock the next one of its chat.
        self.wake.set()

    async def _sleep(self) -> None:
        """Until woken, the next retry is due, or the poll interval passes."""
        delay = POLL_SECONDS
        if len(self._inflight) < self.settings.webhook_concurrency:
            with contextlib.suppress(Exception):
                due = await self.store.read(lambda tx: repo.next_due(tx.conn))
                # A due row that was not claimed waits behind an in-flight one (its
                # completion wakes us) or another process's lease (the poll finds it).
                if due is not None and due > time.time():
                    delay = min(delay, due - time.time())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), delay)

    async def _claim(self) -> list[Any]:
        free = self.settings.webhook_concurrency - len(self._inflight)
        if free <= 0:
            return []
        token = secrets.token_hex(16)
        now = time.time()

        def claim(tx: Tx) -> list[Any]:
            return repo.claim_due(tx.conn, tx.dialect, now, free, token, now + self.lease_seconds)

        return (await self.store.write(claim)).result

    async def _deliver(self, row: Any) -> None:
        attempt = row.attempts + 1
        started = time.time()
        result = await self.attempt(row, attempt)
        duration_ms = int((time.time() - started) * 1000)
        now = time.time()
        values: dict[str, Any] = {
            "attempts": attempt,
            "last_status_code": result.status_code,
            "last_error": result.error,
        }
        if result.outcome == "retry":
            next_at = now + backoff(self.settings.webhook_retry_base, attempt)
            if next_at > row.retry_until:
                result.outcome = "failed"
                values["last_error"] = (result.error or "") + " (gave up retrying)"
            else:
                values["next_attempt_at"] = next_at
        if result.outcome in ("delivered", "failed"):
            values["status"] = result.outcome
            values["finished_at"] = now
        attempt_row = {
            "attempt": attempt,
            "started_at": started,
            "duration_ms": duration_ms,
            "status_code": result.status_code,
            "error": (result.error or "")[:1000] or None,
            "outcome": result.outcome,
        }
        if result.outcome != "delivered":
            log.info(
                "webhook %s to %s attempt %d: %s",
                row.delivery_id,
                row.url,
                attempt,
                result.error or result.status_code,
            )
        try:
            await self.store.write(
                lambda tx: repo.record_attempt(
                    tx.conn, row.seq, row.lease_token, attempt_row, values
                )
            )
        except Exception:
            # The lease expires and the row is tried again: at least once, never lost.
            log.exception("recording webhook attempt %s failed", row.delivery_id)

    async def attempt(self, row: Any, attempt: int) -> Outcome:
        assert self._client is not None
        if not self.settings.webhook_allow_private:
            private = await addresses.resolves_to_private(row.url)
            if private is not None:
                return Outcome("failed", error=f"refused: {row.url} resolves to {private}")
        body = row.body.encode()
        headers = signing.headers(row.delivery_id, row.action, row.secret_key, body, attempt)
        try:
            resp = await self._client.post(row.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            return Outcome("retry", error=f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return Outcome("retry", error=f"{type(exc).__name__}: {exc}"[:500])
        outcome = classify(resp.status_code)
        error = None if outcome == "delivered" else f"HTTP {resp.status_code}"
        return Outcome(outcome, resp.status_code, error)
