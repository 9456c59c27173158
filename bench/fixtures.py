"""Setup shared by the scenarios: customers, chats and seeded events on a running server.

All of it goes through the public HTTP API (``/accounts/customer/`` with the owner's token,
``start_chat`` and ``send_event`` on the agent Web API), with many keep-alive connections in
parallel. None of it is timed as a figure except the seeding rate, which the report states."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.httpload import HTTPConnection, bulk_post
from bench.procs import HOST, Chatplane


class SetupError(RuntimeError):
    pass


def agent_action(action: str) -> str:
    return f"/v3.0/agent/action/{action}"


def customer_action(action: str, license_id: int) -> str:
    return f"/v3.0/customer/action/{action}?license_id={license_id}"


def agent_ws_url(port: int) -> str:
    return f"ws://{HOST}:{port}/v3.0/agent/rtm/ws"


def customer_ws_url(port: int, license_id: int) -> str:
    return f"ws://{HOST}:{port}/v3.0/customer/rtm/ws?license_id={license_id}"


@dataclass
class Customer:
    id: str
    token: str


def _customer_from(body: Any) -> Customer | None:
    if isinstance(body, dict) and body.get("access_token"):
        cid = body.get("entity_id") or body.get("customer_id") or body.get("id")
        if cid:
            return Customer(str(cid), str(body["access_token"]))
    return None


async def create_customers(cp: Chatplane, n: int, concurrency: int = 32) -> list[Customer]:
    """``n`` new customers. Prefers ``POST /accounts/customer/`` with the owner's token (JSON,
    then form-encoded); falls back to anonymous ``POST /accounts/customer/token``."""
    if n <= 0:
        return []
    port = cp.port
    conn = HTTPConnection(HOST, port)
    params = {
        "client_id": cp.client_id,
        "response_type": "token",
        "redirect_uri": "http://localhost/",
    }
    mode = ""
    first: Customer | None = None
    probe_errors: list[str] = []
    try:
        status, body = await conn.post_json("/accounts/customer/", params, cp.owner_token)
        first = _customer_from(body) if status < 300 else None
        if first:
            mode = "json"
        else:
            probe_errors.append(f"json {status} {str(body)[:200]}")
            status, body = await conn.post_form("/accounts/customer/", params, cp.owner_token)
            first = _customer_from(body) if status < 300 else None
            if first:
                mode = "form"
            else:
                probe_errors.append(f"form {status} {str(body)[:200]}")
                status, body = await conn.post_json(
                    "/accounts/customer/token", {"license_id": cp.license_id}
                )
                first = _customer_from(body) if status < 300 else None
                if first:
                    mode = "anonymous"
                else:
                    probe_errors.append(f"anonymous {status} {str(body)[:200]}")
    finally:
        conn.close()
    if first is None:
        raise SetupError("cannot create customers: " + " | ".join(probe_errors))
    customers = [first]
    remaining = n - 1
    if mode == "form":
        # form bodies: one connection per worker, sequential per worker
        import asyncio

        out: list[Customer | None] = [None] * remaining
        idx = [0]

        async def worker() -> None:
            c = HTTPConnection(HOST, port)
            try:
                while idx[0] < remaining:
                    i = idx[0]
                    idx[0] += 1
                    st, bd = await c.post_form("/accounts/customer/", params, cp.owner_token)
                    out[i] = _customer_from(bd) if st < 300 else None
            finally:
                c.close()

        await asyncio.gather(*(worker() for _ in range(min(concurrency, max(1, remaining)))))
        made = [c for c in out if c is not None]
    else:
        jobs: list[tuple[str, Any, str | None]]
        if mode == "json":
            jobs = [("/accounts/customer/", params, cp.owner_token)] * remaining
        else:
            jobs = [("/accounts/customer/token", {"license_id": cp.license_id}, None)] * remaining
        made = []
        for status, body in await bulk_post(HOST, port, jobs, concurrency):
            c = _customer_from(body) if status < 300 else None
            if c is not None:
                made.append(c)
    customers += made
    if len(customers) < n:
        raise SetupError(f"created only {len(customers)}/{n} customers ({mode})")
    return customers


async def start_chats(
    cp: Chatplane,
    customers: list[Customer],
    tokens: list[str] | None = None,
    concurrency: int = 32,
    properties: dict[str, Any] | None = None,
) -> list[str]:
    """One chat per customer, started by an agent (``tokens[i]``, default the owner); returns
    chat ids in customer order."""
    jobs = []
    for i, c in enumerate(customers):
        chat: dict[str, Any] = {"users": [{"id": c.id, "type": "customer"}]}
        if properties:
            chat["properties"] = properties
        token = tokens[i] if tokens else cp.owner_token
        jobs.append((agent_action("start_chat"), {"payload": {"chat": chat}}, token))
    chat_ids: list[str] = []
    bad: list[str] = []
    for status, body in await bulk_post(HOST, cp.port, jobs, concurrency):
        cid = None
        if status == 200 and isinstance(body, dict):
            cid = (body.get("chat") or {}).get("id") or body.get("chat_id")
        if cid:
            chat_ids.append(str(cid))
        elif len(bad) < 3:
            bad.append(f"{status} {str(body)[:300]}")
    if len(chat_ids) != len(customers):
        raise SetupError(f"start_chat made {len(chat_ids)}/{len(customers)} chats: {bad}")
    return chat_ids


def message_payload(chat_id: str, text: str) -> dict[str, Any]:
    """A v3.0 Web API ``send_event`` body (the payload under the ``payload`` envelope)."""
    return {"payload": message_payload_v3x(chat_id, text)}


def message_payload_v3x(chat_id: str, text: str) -> dict[str, Any]:
    """A v3.x (v3.5, v3.6) Web API ``send_event`` body: the payload itself."""
    return {"chat_id": chat_id, "event": {"type": "message", "text": text}}


# The headers lc-sdk-python's Web API client sends besides ``Authorization: Bearer ...``,
# ``Content-Type`` and ``Content-Length``: it is an ``httpx.Client``, whose defaults these
# are. Sent with the v3.6 requests so the server parses what an SDK client makes it parse.
SDK_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": "python-httpx/0.28.1",
}


async def seed_events(
    cp: Chatplane,
    chat_ids: list[str],
    total: int,
    text_for: Any,
    concurrency: int = 64,
    time_cap_s: float = 3600.0,
    batch: int = 20_000,
) -> dict[str, Any]:
    """Send ``total`` message events round-robin over ``chat_ids`` through the agent Web API
    with ``concurrency`` connections, in batches, stopping early at ``time_cap_s``.
    ``text_for(k)`` gives the text of event k. Returns what was stored and how fast."""
    t0 = time.perf_counter()
    sent = 0
    failed = 0
    samples: list[str] = []
    while sent + failed < total and time.perf_counter() - t0 < time_cap_s:
        n = min(batch, total - sent - failed)
        base = sent + failed
        jobs = [
            (
                agent_action("send_event"),
                message_payload(chat_ids[(base + j) % len(chat_ids)], text_for(base + j)),
                cp.owner_token,
            )
            for j in range(n)
        ]
        for status, body in await bulk_post(HOST, cp.port, jobs, concurrency):
            if status == 200:
                sent += 1
            else:
                failed += 1
                if len(samples) < 3:
                    samples.append(f"{status} {str(body)[:200]}")
        if failed > max(100, sent // 10):
            break
    elapsed = time.perf_counter() - t0
    return {
        "events_sent": sent,
        "failed": failed,
        "seconds": round(elapsed, 1),
        "rate_per_s": round(sent / elapsed, 1) if elapsed else 0.0,
        "method": f"agent Web API send_event, {concurrency} keep-alive connections, "
        f"round-robin over {len(chat_ids)} chats",
        "error_samples": samples,
    }
