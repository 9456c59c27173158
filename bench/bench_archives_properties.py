"""get_archives with property filters and with `query`, on a store of 100,000+ chats.

    python -m bench.bench_archives_properties [--quick] [--chats N] [--requests R]
                                              [--write-doc docs/performance-properties.md]

1. Seeds a fresh SQLite store directly through the storage layer (the tables of
   chatplane/storage/schema.py and the value/token helpers of storage/properties.py, in
   large transactions), because seeding 100,000 chats over HTTP would take the run's time:
   one closed thread and three events per chat, chat properties (`tier` int, `topic`
   tokenized_string) and a thread property (`test.int_property`).
2. Starts a real `chatplane serve` on a free port and measures `get_archives` over HTTP,
   one request at a time (latency, not throughput): no filter, property filters of each
   kind, `query`, and both together.

`--quick` seeds 2,000 chats and makes 5 requests per case: CI runs it in seconds.
No figure is asserted; they are printed, written as JSON (`--out`) and, with `--write-doc`,
as the table of the performance document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from chatplane.config import Settings
from chatplane.domain import properties as domain_properties
from chatplane.domain import users
from chatplane.storage import properties as index
from chatplane.storage import schema as s
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store

REPO = Path(__file__).resolve().parent.parent
BATCH = 5_000
RARE_EVERY = 1_000  # one chat in this many has the rare word in its first message

# Words: the common vocabulary of messages, and of the `topic` property.
_rng = random.Random(20190702)
VOCABULARY = [f"w{n:04d}" for n in range(2_000)]
TOPICS = [f"topic{n:03d}" for n in range(200)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- seeding ---------------------------------------------------------------------------


def seed(data_dir: Path, n_chats: int) -> dict[str, Any]:
    settings = Settings().override(data_dir=str(data_dir))
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.effective_database_url)
    upgrade(store.engine)
    created = store.write_sync(users.create_license).result
    lic, ns = created.license_id, created.client_id
    everyone = {"agent": {"read": True, "write": True}, "customer": {"read": True, "write": True}}
    configs = [
        domain_properties.PropertyConfig(ns, "tier", "int", {"chat": {"access": everyone}}),
        domain_properties.PropertyConfig(
            ns, "topic", "tokenized_string", {"chat": {"access": everyone}}
        ),
    ]
    store.write_sync(lambda tx: domain_properties.create_properties(tx, lic, ns, configs))

    started = time.perf_counter()
    now = time.time() - n_chats  # one chat a second, the newest now
    for first in range(0, n_chats, BATCH):
        rows = _batch(lic, ns, first, min(n_chats, first + BATCH), now)
        with store.engine.connect() as conn:
            conn.info["writer"] = True
            with conn.begin():
                for table, values in rows.items():
                    if values:
                        conn.execute(table.insert(), values)
    with store.engine.connect() as conn, conn.begin():
        # Statistics as a running server keeps them (storage/store.py refreshes them).
        conn.exec_driver_sql("ANALYZE")
    seconds = time.perf_counter() - started
    store.engine.dispose()
    return {
        "license_id": lic,
        "namespace": ns,
        "token": created.access_token,
        "seed_seconds": round(seconds, 1),
        "chats": n_chats,
    }


def _batch(lic: int, ns: str, first: int, last: int, t0: float) -> dict[Any, list[dict]]:
    rows: dict[Any, list[dict]] = {
        t: []
        for t in (
            s.customers,
            s.chats,
            s.chat_access,
            s.chat_users,
            s.threads,
            s.events,
            s.property_values,
            s.property_tokens,
        )
    }
    for i in range(first, last):
        at = t0 + i
        chat_id, thread_id, customer_id = f"C{i:09d}", f"T{i:09d}", f"cust-{i:09d}"
        tier = i % 10
        topic = " ".join(_rng.sample(TOPICS, 3))
        chat_props = {ns: {"tier": tier, "topic": topic}}
        thread_props = {"test": {"int_property": i % 4}} if i % 2 == 0 else {}
        rows[s.customers].append(
            {
                "id": customer_id,
                "license_id": lic,
                "name": f"Customer {i}",
                "fields": {},
                "chats_count": 1,
                "threads_count": 1,
                "visits_count": 1,
                "created_at": at,
            }
        )
        rows[s.chats].append(
            {
                "id": chat_id,
                "license_id": lic,
                "customer_id": customer_id,
                "access": {"group_ids": [0]},
                "properties": chat_props,
                "last_order": 4,
                "last_thread_id": thread_id,
                "active_thread_id": None,
                "created_at": at,
                "updated_at": at + 60,
            }
        )
        rows[s.chat_access].append({"chat_id": chat_id, "group_id": 0, "license_id": lic})
        rows[s.chat_users].append(
            {
                "chat_id": chat_id,
                "user_id": customer_id,
                "user_type": "customer",
                "present": True,
                "last_seen_timestamp": None,
                "joined_at": at,
            }
        )
        rows[s.threads].append(
            {
                "id": thread_id,
                "chat_id": chat_id,
                "license_id": lic,
                "order": 1,
                "active": False,
                "user_ids": [customer_id],
                "properties": thread_props,
                "access": {"group_ids": [0]},
                "total_events": 3,
                "created_at": at,
                "closed_at": at + 60,
            }
        )
        words = _rng.sample(VOCABULARY, 8)
        if i % RARE_EVERY == 0:
            words.append("albatross")
        texts = [" ".join(words), "thanks for waiting, let me check", "glad to help"]
        for n, text in enumerate(texts):
            rows[s.events].append(
                {
                    "id": f"E{i:09d}-{n}",
                    "chat_id": chat_id,
                    "thread_id": thread_id,
                    "license_id": lic,
                    "order": 2 + n,
                    "type": "message",
                    "author_id": customer_id,
                    "recipients": "all",
                    "custom_id": None,
                    "text": text,
                    "body": {},
                    "properties": {},
                    "created_at": at + n,
                }
            )
        for thread, props in (("", chat_props), (thread_id, thread_props)):
            for pns, names in props.items():
                for name, value in names.items():
                    rows[s.property_values].append(
                        {
                            "chat_id": chat_id,
                            "thread_id": thread,
                            "namespace": pns,
                            "name": name,
                            "license_id": lic,
                            "location": "thread" if thread else "chat",
                            "value_key": index.value_key(value),
                        }
                    )
        for token in index.tokens(topic):
            rows[s.property_tokens].append(
                {
                    "license_id": lic,
                    "namespace": ns,
                    "name": "topic",
                    "location": "chat",
                    "token": token,
                    "chat_id": chat_id,
                    "thread_id": "",
                }
            )
    return rows


# -- measuring -------------------------------------------------------------------------


def cases(ns: str) -> dict[str, dict[str, Any]]:
    return {
        "no filter": {},
        "property values (int, 10% of chats)": {"properties": {ns: {"tier": {"values": [7]}}}},
        "property exclude_values (int, 90%)": {
            "properties": {ns: {"tier": {"exclude_values": [7]}}}
        },
        "property exists: false (thread property, 50%)": {
            "properties": {"test": {"int_property": {"exists": False}}}
        },
        "thread property values (12.5%)": {
            "properties": {"test": {"int_property": {"values": [2]}}}
        },
        "tokenized_string word (1.5%)": {
            "properties": {ns: {"topic": {"values": [TOPICS[17].upper()]}}}
        },
        "tokenized_string two words (<0.1%)": {
            "properties": {ns: {"topic": {"values": [f"{TOPICS[17]} {TOPICS[42]}"]}}}
        },
        "query, common word (0.4%)": {"query": VOCABULARY[5]},
        "query, rare word (0.1%)": {"query": "albatross"},
        "query, word in every chat": {"query": "waiting"},
        "query + property values": {
            "query": VOCABULARY[5],
            "properties": {ns: {"tier": {"values": [1, 2, 3]}}},
        },
    }


def measure(base_url: str, token: str, ns: str, requests: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, trust_env=False, timeout=120) as client:
        for name, filters in cases(ns).items():
            body = {"payload": {"filters": filters, "pagination": {"page": 1, "limit": 25}}}
            client.post("/v3.0/agent/action/get_archives", json=body, headers=headers)  # warm
            samples = []
            total = None
            for _ in range(requests):
                t = time.perf_counter()
                resp = client.post("/v3.0/agent/action/get_archives", json=body, headers=headers)
                samples.append((time.perf_counter() - t) * 1000)
                if resp.status_code != 200:
                    raise RuntimeError(f"{name}: HTTP {resp.status_code} {resp.text[:300]}")
                total = resp.json()["pagination"]["total"]
            samples.sort()
            out[name] = {
                "threads_matching": total,
                "requests": requests,
                "p50_ms": round(statistics.median(samples), 1),
                "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
                "max_ms": round(samples[-1], 1),
            }
            print(
                f"  {name:48s} total={total:>7}  p50={out[name]['p50_ms']:>7.1f} ms  "
                f"p95={out[name]['p95_ms']:>7.1f} ms",
                flush=True,
            )
    return out


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATPLANE_")}
    env["PYTHONPATH"] = str(REPO)
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 (closed with the process)
    cmd = [sys.executable, "-m", "chatplane", "serve", "--data-dir", str(data_dir)]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--host", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not become healthy in 60 s")


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"### get_archives on {meta['chats']:,} chats ({meta['threads']:,} threads, "
        f"{meta['events']:,} events), SQLite",
        "",
        f"Seeded through the storage layer in {meta['seed_seconds']} s; measured over HTTP, "
        f"one request at a time, {meta['requests']} requests per case, page 1 of 25 "
        f"threads; {meta['cores']} cores shared by client and server. "
        "`total` is the number of matching threads (the response's `pagination.total`).",
        "",
        "| filters | total | p50 | p95 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, fig in report["figures"].items():
        lines.append(
            f"| {name} | {fig['threads_matching']:,} | {fig['p50_ms']} ms | {fig['p95_ms']} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2,000 chats, 5 requests per case")
    ap.add_argument("--chats", type=int, default=None)
    ap.add_argument("--requests", type=int, default=None)
    ap.add_argument("--data-dir", default=None, help="keep the seeded store here")
    ap.add_argument("--out", default=None, help="write the figures as JSON to this file")
    ap.add_argument("--write-doc", default=None, help="write the markdown table to this file")
    args = ap.parse_args(argv)
    n_chats = args.chats or (2_000 if args.quick else 100_000)
    requests = args.requests or (5 if args.quick else 30)

    tmp = Path(tempfile.mkdtemp(prefix="bench-archives-")) if not args.data_dir else None
    data_dir = Path(args.data_dir) if args.data_dir else tmp
    assert data_dir is not None
    proc = None
    try:
        print(f"seeding {n_chats:,} chats into {data_dir} ...", flush=True)
        seeded = seed(data_dir, n_chats)
        print(f"  seeded in {seeded['seed_seconds']} s", flush=True)
        port = _free_port()
        proc = serve(data_dir, port)
        print(f"measuring get_archives on http://127.0.0.1:{port} ...", flush=True)
        figures = measure(
            f"http://127.0.0.1:{port}", seeded["token"], seeded["namespace"], requests
        )
        report = {
            "meta": {
                "chats": n_chats,
                "threads": n_chats,
                "events": 3 * n_chats,
                "requests": requests,
                "seed_seconds": seeded["seed_seconds"],
                "cores": os.cpu_count(),
                "quick": args.quick,
            },
            "figures": figures,
        }
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=2))
        if args.write_doc:
            Path(args.write_doc).write_text(markdown(report))
        print(markdown(report))
        return 0
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
