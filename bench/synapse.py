"""Side by side with Matrix Synapse: ``python -m bench.synapse [--quick] [--senders 20]``.

The same load on both servers, from one run and one client: ``senders`` users post messages
into one room (Chatplane: one chat, each sender an agent of it posting with the Web API's
``send_event``; Synapse: one room, ``PUT .../send/m.room.message/{txn}``), each in a closed
loop (its next message when the previous one is acknowledged), while one more user of the
room receives everything (Chatplane: an agent on the RTM API; Synapse: a ``/sync`` long
poll). Reported: acknowledged messages per second, and delivery latency (from the send to
the receiver seeing it) p50 / p99, for each server, and Chatplane's ratios to Synapse.

Synapse (PyPI ``matrix-synapse``, SQLite, its defaults but no rate limits) is installed on
first use into a venv of its own under ``~/.cache/chatplane-bench/``: nothing of it is part
of Chatplane. Its figures depend on that version; the report names it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.fixtures import agent_action, agent_ws_url, create_customers, start_chats
from bench.procs import HOST, Chatplane, free_port, machine_info, raise_nofile_limit
from bench.stats import percentile

CACHE = Path(os.environ.get("CHATPLANE_BENCH_CACHE", Path.home() / ".cache" / "chatplane-bench"))
SYNAPSE_VERSION = os.environ.get("CHATPLANE_BENCH_SYNAPSE", "matrix-synapse==1.163.2")
MARK = "bench:"  # message text: "bench:<sender>:<seq>:<sent at, perf_counter ns>"


@dataclass
class Figures:
    server: str
    sent: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    missing: int = 0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "server": self.server,
            "messages_per_s": round(self.sent / self.seconds, 1) if self.seconds else 0.0,
            "acknowledged": self.sent,
            "errors": self.errors,
            "delivered": len(lat),
            "not_delivered": self.missing,
            "delivery_p50_ms": round(percentile(lat, 50), 1) if lat else None,
            "delivery_p99_ms": round(percentile(lat, 99), 1) if lat else None,
        }


def _text(sender: int, seq: int) -> str:
    return f"{MARK}{sender}:{seq}:{time.perf_counter_ns()}"


def _latency_ms(text: str, seen_ns: int) -> tuple[str, float] | None:
    if not text.startswith(MARK):
        return None
    sender, seq, sent_ns = text[len(MARK) :].split(":")
    return f"{sender}:{seq}", (seen_ns - int(sent_ns)) / 1e6


async def closed_loop(
    senders: int,
    duration_s: float,
    warmup_s: float,
    send: Callable[[int, int, str], Awaitable[bool]],
    figures: Figures,
    counted: set[str],
) -> None:
    """Each sender posts its next message once the previous is acknowledged."""
    start = time.perf_counter()
    measure_from, stop_at = start + warmup_s, start + warmup_s + duration_s

    async def sender(i: int) -> None:
        seq = 0
        while time.perf_counter() < stop_at:
            text = _text(i, seq)
            t0 = time.perf_counter()
            ok = await send(i, seq, text)
            if t0 >= measure_from and time.perf_counter() <= stop_at:
                if ok:
                    figures.sent += 1
                    counted.add(f"{i}:{seq}")
                else:
                    figures.errors += 1
            seq += 1

    await asyncio.gather(*(sender(i) for i in range(senders)))
    figures.seconds = duration_s


# ------------------------------------------------------------------------------ Chatplane


async def run_chatplane(senders: int, duration_s: float, warmup_s: float) -> Figures:
    from websockets.asyncio.client import connect

    figures = Figures("chatplane")
    cp = Chatplane.create(prefix="chatplane-bench-synapse-")
    try:
        cp.init()
        agents = cp.create_agents(senders + 1, prefix="side-by-side")
        await cp.start()
        customer = (await create_customers(cp, 1))[0]
        chat_id = (await start_chats(cp, [customer]))[0]
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{cp.port}", timeout=30) as owner:
            for agent in agents:
                r = await owner.post(
                    agent_action("add_user_to_chat"),
                    headers={"Authorization": f"Bearer {cp.owner_token}"},
                    json={
                        "payload": {
                            "chat_id": chat_id,
                            "user_id": agent["id"],
                            "user_type": "agent",
                        }
                    },
                )
                r.raise_for_status()
        receiver, sender_agents = agents[0], agents[1:]
        counted: set[str] = set()
        seen: dict[str, float] = {}
        async with connect(agent_ws_url(cp.port), max_size=None) as ws:
            login = {"token": f"Bearer {receiver['access_token']}"}
            await ws.send(json.dumps({"request_id": "l", "action": "login", "payload": login}))
            while json.loads(await ws.recv()).get("request_id") != "l":
                pass

            async def receive() -> None:
                async for raw in ws:
                    now = time.perf_counter_ns()
                    msg = json.loads(raw)
                    if msg.get("action") != "incoming_event":
                        continue
                    found = _latency_ms(str(msg["payload"]["event"].get("text", "")), now)
                    if found:
                        seen[found[0]] = found[1]

            listener = asyncio.create_task(receive())
            clients = [
                httpx.AsyncClient(
                    base_url=f"http://{HOST}:{cp.port}",
                    headers={"Authorization": f"Bearer {a['access_token']}"},
                    timeout=30,
                )
                for a in sender_agents
            ]

            async def send(i: int, _seq: int, text: str) -> bool:
                body = {"payload": {"chat_id": chat_id, "event": {"type": "message", "text": text}}}
                r = await clients[i].post(agent_action("send_event"), json=body)
                return r.status_code == 200

            try:
                await closed_loop(senders, duration_s, warmup_s, send, figures, counted)
                await asyncio.sleep(2.0)  # what is in flight arrives
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
                for c in clients:
                    await c.aclose()
        figures.latencies_ms = [seen[k] for k in counted if k in seen]
        figures.missing = len(counted - set(seen))
    finally:
        cp.stop()
    return figures


# -------------------------------------------------------------------------------- Synapse


def synapse_python() -> Path:
    """The venv's python with Synapse installed (made on first use)."""
    venv = CACHE / ("synapse-" + SYNAPSE_VERSION.replace("==", "-"))
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", SYNAPSE_VERSION], check=True, timeout=1200
        )
        (venv / ".installed").write_text(SYNAPSE_VERSION + "\n")
    return python


@contextlib.asynccontextmanager
async def synapse_server() -> AsyncIterator[tuple[str, str]]:
    """A fresh Synapse on SQLite on a free port: (base URL, registration shared secret)."""
    python = synapse_python()
    workdir = Path(tempfile.mkdtemp(prefix="chatplane-bench-synapse-"))
    config = workdir / "homeserver.yaml"
    port = free_port()
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            "bench.local",
            "--config-path",
            str(config),
            "--generate-config",
            "--report-stats=no",
            "--data-directory",
            str(workdir),
        ],
        check=True,
        cwd=workdir,
        capture_output=True,
    )
    secret = uuid.uuid4().hex
    # The generated file, with our listener, no rate limits and the shared secret (YAML is
    # a superset of JSON: later keys of the same name win in Synapse's loader).
    unlimited = {"per_second": 100000, "burst_count": 100000}
    extra = {
        "listeners": [
            {
                "port": port,
                "bind_addresses": [HOST],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "registration_shared_secret": secret,
        "rc_message": unlimited,
        "rc_login": {"address": unlimited, "account": unlimited, "failed_attempts": unlimited},
        "rc_registration": unlimited,
        "rc_joins": {"local": unlimited, "remote": unlimited},
        # Synapse also limits joins per room (10 at once): the senders all join one room
        "rc_joins_per_room": unlimited,
        "rc_invites": {"per_room": unlimited, "per_user": unlimited, "per_issuer": unlimited},
        "rc_admin_redaction": unlimited,
        "suppress_key_server_warning": True,
        "trusted_key_servers": [],
        "report_stats": False,
        "enable_metrics": False,
        "presence": {"enabled": False},
    }
    # Merge with the generated file using Synapse's own YAML library (in its venv).
    merge = (
        "import json, sys, yaml; path = sys.argv[1]; cfg = yaml.safe_load(open(path)); "
        "cfg.update(json.loads(sys.argv[2])); yaml.safe_dump(cfg, open(path, 'w'))"
    )
    subprocess.run([str(python), "-c", merge, str(config), json.dumps(extra)], check=True)
    log = open(workdir / "synapse.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    base = f"http://{HOST}:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as probe:
            for _ in range(600):
                if proc.poll() is not None:
                    raise RuntimeError((workdir / "synapse.log").read_text()[-3000:])
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(base + "/_matrix/client/versions")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError("Synapse did not start in 120 s")
        yield base, secret
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


async def register(client: httpx.AsyncClient, secret: str, user: str) -> str:
    """A user made through the admin API's shared-secret registration; its access token."""
    nonce = (await client.get("/_synapse/admin/v1/register")).json()["nonce"]
    password = uuid.uuid4().hex
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(f"{nonce}\x00{user}\x00{password}\x00notadmin".encode())
    r = await client.post(
        "/_synapse/admin/v1/register",
        json={
            "nonce": nonce,
            "username": user,
            "password": password,
            "admin": False,
            "mac": mac.hexdigest(),
        },
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


TIMELINE_FILTER = json.dumps({"room": {"timeline": {"limit": 10000}}})


async def run_synapse(senders: int, duration_s: float, warmup_s: float) -> Figures:
    figures = Figures("synapse")
    async with synapse_server() as (base, secret):
        async with httpx.AsyncClient(base_url=base, timeout=60) as admin:
            tokens = [await register(admin, secret, f"u{i}") for i in range(senders + 1)]
            headers = [{"Authorization": f"Bearer {t}"} for t in tokens]
            r = await admin.post(
                "/_matrix/client/v3/createRoom",
                headers=headers[0],
                json={"preset": "public_chat", "name": "bench"},
            )
            r.raise_for_status()
            room = r.json()["room_id"]
            for h in headers[1:]:
                (await admin.post(f"/_matrix/client/v3/join/{room}", headers=h)).raise_for_status()
            first = await admin.get(
                "/_matrix/client/v3/sync", headers=headers[0], params={"timeout": 0}
            )
            since = first.json()["next_batch"]
        counted: set[str] = set()
        seen: dict[str, float] = {}
        stop = asyncio.Event()

        async def receive() -> None:
            nonlocal since
            async with httpx.AsyncClient(base_url=base, headers=headers[0], timeout=60) as c:
                while not stop.is_set():
                    # A large timeline limit: with the default (10) a sync that finds more
                    # new events returns `limited` and skips the older ones, which were
                    # counted as not delivered.
                    r = await c.get(
                        "/_matrix/client/v3/sync",
                        params={"since": since, "timeout": 5000, "filter": TIMELINE_FILTER},
                    )
                    now = time.perf_counter_ns()
                    body = r.json()
                    since = body["next_batch"]
                    joined = body.get("rooms", {}).get("join", {}).get(room, {})
                    for event in joined.get("timeline", {}).get("events", []):
                        text = str(event.get("content", {}).get("body", ""))
                        found = _latency_ms(text, now)
                        if found:
                            seen[found[0]] = found[1]

        listener = asyncio.create_task(receive())
        clients = [httpx.AsyncClient(base_url=base, headers=h, timeout=30) for h in headers[1:]]

        async def send(i: int, seq: int, text: str) -> bool:
            r = await clients[i].put(
                f"/_matrix/client/v3/rooms/{room}/send/m.room.message/t{i}-{seq}",
                json={"msgtype": "m.text", "body": text},
            )
            return r.status_code == 200

        try:
            await closed_loop(senders, duration_s, warmup_s, send, figures, counted)
            await asyncio.sleep(6.0)  # a sync long poll returns what is in flight
        finally:
            stop.set()
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            for c in clients:
                await c.aclose()
        figures.latencies_ms = [seen[k] for k in counted if k in seen]
        figures.missing = len(counted - set(seen))
    return figures


def ratios(c: dict[str, Any], s: dict[str, Any]) -> dict[str, float | None]:
    """Chatplane's figures as ratios to Synapse's (summaries of ``Figures``)."""
    return {
        "messages_per_s": round(c["messages_per_s"] / s["messages_per_s"], 2)
        if s["messages_per_s"]
        else None,
        "delivery_p99": round(c["delivery_p99_ms"] / s["delivery_p99_ms"], 3)
        if c["delivery_p99_ms"] and s["delivery_p99_ms"]
        else None,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    duration = 5.0 if args.quick else args.seconds
    warmup = 1.0 if args.quick else 3.0
    chatplane = await run_chatplane(args.senders, duration, warmup)
    synapse = await run_synapse(args.senders, duration, warmup)
    c, s = chatplane.summary(), synapse.summary()
    return {
        "senders": args.senders,
        "seconds": duration,
        "synapse_version": SYNAPSE_VERSION,
        "machine": machine_info(),
        "chatplane": c,
        "synapse": s,
        "chatplane_vs_synapse": ratios(c, s),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.synapse", description=__doc__)
    ap.add_argument("--senders", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)
    raise_nofile_limit()
    result = asyncio.run(main_async(args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    lost = result["chatplane"]["not_delivered"] + result["synapse"]["not_delivered"]
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
