"""Scale-out figures (issue 7): Web API send_event throughput and push delivery delay with
1 and with 3 `chatplane serve` processes sharing PostgreSQL and Redis.

    python -m bench.cluster [--processes 1,3] [--seconds 15] [--chats 60]

Customers hold RTM connections spread over the processes; an agent sends events over the
Web API, each request to another process than the one holding the customer, so every push
crosses Redis. Needs PostgreSQL and Redis (CHATPLANE_TEST_DATABASE_URL and
CHATPLANE_TEST_REDIS_URL, defaulting to the local services). Loopback only, bounded in
time; every process it starts is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import websockets

from bench.httpload import HTTPConnection
from bench.procs import free_port, wait_http_ok
from bench.stats import summarize_ms

PG = os.environ.get("CHATPLANE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("CHATPLANE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _database() -> tuple[str, str]:
    name = f"chatplane_bench_{uuid.uuid4().hex[:8]}"
    admin = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return name, f"{PG.rpartition('/')[0]}/{name}"


def _drop(name: str) -> None:
    admin = PG.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


async def measure(processes: int, seconds: float, chats: int) -> dict[str, Any]:
    name, url = _database()
    data = Path(tempfile.mkdtemp(prefix="chatplane-cluster-"))
    env = {
        **os.environ,
        "CHATPLANE_DATABASE_URL": url,
        "CHATPLANE_REDIS_URL": REDIS,
        "CHATPLANE_REDIS_PREFIX": name,
        "CHATPLANE_REQUESTS_PER_SECOND": "0",
        "CHATPLANE_MAX_CONNECTIONS_PER_ADDRESS": "0",
        "CHATPLANE_CUSTOMER_TOKEN_RATE_LIMIT": "0",
        "CHATPLANE_LOG_LEVEL": "warning",
    }
    cmd = [sys.executable, "-m", "chatplane"]
    out = subprocess.run(
        [*cmd, "init", "--data-dir", str(data), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    created = json.loads(out.strip().splitlines()[-1])
    owner, lic = created["owner"]["access_token"], created["license_id"]
    ports = [free_port() for _ in range(processes)]
    procs = [
        subprocess.Popen(
            [*cmd, "serve", "--port", str(p), "--data-dir", str(data)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    sockets: list[Any] = []
    try:
        for port, proc in zip(ports, procs, strict=True):
            await wait_http_ok(port, "/healthz", 60, proc)
        setup = HTTPConnection("127.0.0.1", ports[0])
        chat_ids: list[str] = []
        delays: list[float] = []
        received = 0
        for i in range(chats):
            _, cust = await setup.post_json("/accounts/customer/", {}, owner)
            _, started = await setup.post_json(
                "/v3.0/agent/action/start_chat",
                {"payload": {"chat": {"users": [{"id": cust["entity_id"], "type": "customer"}]}}},
                owner,
            )
            chat_ids.append(started["chat"]["id"])
            ws = await websockets.connect(
                f"ws://127.0.0.1:{ports[i % processes]}/v3.0/customer/rtm/ws?license_id={lic}",
                max_size=None,
            )
            await ws.send(
                json.dumps({"action": "login", "payload": {"token": cust["access_token"]}})
            )
            await ws.recv()
            sockets.append(ws)
        setup.close()

        async def listen(ws: Any) -> None:
            nonlocal received
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("action") == "incoming_event":
                    text = msg["payload"]["event"].get("text", "")
                    if text.startswith("t="):
                        delays.append(time.perf_counter() - float(text[2:]))
                        received += 1

        listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
        done = 0
        latencies: list[float] = []
        end = time.perf_counter() + seconds

        async def sender(i: int) -> None:
            nonlocal done
            conn = HTTPConnection("127.0.0.1", ports[(i + 1) % processes])
            while time.perf_counter() < end:
                start = time.perf_counter()
                body = {
                    "payload": {
                        "chat_id": chat_ids[i],
                        "event": {"type": "message", "text": f"t={start}"},
                    }
                }
                status, _ = await conn.post_json("/v3.0/agent/action/send_event", body, owner)
                if status == 200:
                    done += 1
                    latencies.append(time.perf_counter() - start)
            conn.close()

        t0 = time.perf_counter()
        await asyncio.gather(*(sender(i) for i in range(chats)))
        elapsed = time.perf_counter() - t0
        await asyncio.sleep(2)  # pushes still in flight
        for task in listeners:
            task.cancel()
        return {
            "processes": processes,
            "throughput": done / elapsed,
            "request_ms": summarize_ms(latencies),
            "push_ms": summarize_ms(delays),
            "pushes_missing": done - received,
        }
    finally:
        for ws in sockets:
            await ws.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        _drop(name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", default="1,3")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--chats", type=int, default=60)
    args = ap.parse_args()
    print(
        "| processes | send_event throughput | request p50 / p99 "
        "| push delay p50 / p99 | pushes missing |"
    )
    print("| --- | --- | --- | --- | --- |")
    for n in (int(x) for x in args.processes.split(",")):
        r = asyncio.run(measure(n, args.seconds, args.chats))
        req, push = r["request_ms"], r["push_ms"]
        print(
            f"| {n} | {r['throughput']:,.0f} req/s | {req['p50_ms']:.1f} / {req['p99_ms']:.1f} ms "
            f"| {push['p50_ms']:.1f} / {push['p99_ms']:.1f} ms | {r['pushes_missing']} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
