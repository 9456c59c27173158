"""``python -m bench.soak [--short] [--backends sqlite,cluster] [--kills N] [--json PATH]``:
the kill-and-outage soak (issue 18).

A bounded run of mixed load -- customers and agents over the Web API and RTM (v3.0 paths),
an integration acting as a bot agent over the Web API, file uploads, and webhooks to a
local receiver that is sometimes down or answering 500 -- while the server is hurt:

- **sqlite**: one ``chatplane serve`` on SQLite, SIGKILLed again and again (24 times in the
  long setting, 4 in the short one), each time started again on the same data directory;
- **cluster**: three ``chatplane serve`` processes sharing a private PostgreSQL and Redis
  (started here, on free ports; never the machine's shared ones), with clients spread over
  them: single processes SIGKILLed and restarted, Redis restarted and PostgreSQL restarted
  (fast shutdown) in the middle.

A disruption comes once the clients have had a number of events acknowledged since the
last one, so every disruption lands on requests in flight and the run proves progress in
between. At the end it checks (``bench.soak_check``) and prints: every acknowledged event
stored exactly once and in order, every stored event's webhook delivered (repeats only with
the same delivery id), every RTM client back and receiving pushes after the last outage,
every process answering ``/healthz`` and a request, and the figures. Exit status 1 on any
loss or other problem. The short setting (``--short``, what CI runs through
tests/e2e/test_soak.py) takes about two minutes; the long one four to eight on a
2-core machine, with other work on it or not. docs/reliability.md has the figures of the
last long run.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import dataclasses
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.procs import kill_all_started, raise_nofile_limit
from bench.soak_check import (
    Verdict,
    check_events,
    check_files,
    check_webhooks,
    read_back,
    webhooks_missing,
)
from bench.soak_load import (
    ACKED,
    REQUEST_TIMEOUT,
    Actor,
    Agent,
    Bot,
    Customer,
    Ledger,
    Rtm,
    Sent,
    Web,
    message,
)
from bench.soak_receiver import Receiver
from bench.soak_services import (
    Node,
    PrivatePostgres,
    PrivateRedis,
    clean_env,
    log_tail,
    missing_services,
    run_cli,
)


@dataclass(frozen=True)
class Setting:
    name: str
    sqlite_kills: int
    # kill:<node> | redis | postgres, in order
    cluster_steps: tuple[str, ...]
    # A disruption comes after this many (random) acknowledgements since the last one.
    acks_between: tuple[int, int]
    web_customers: int = 3
    rtm_customers: int = 3
    web_agents: int = 1
    rtm_agents: int = 2
    pace_s: float = 0.05  # between one client's events
    outage_s: float = 3.0  # Redis and PostgreSQL stay down this long
    receiver_up_s: tuple[float, float] = (3.0, 8.0)  # between the receiver's bad stretches
    step_timeout_s: float = 90.0  # no progress this long after a disruption: stalled
    final_deadline_s: float = 120.0  # for RTM clients, pushes and webhooks at the end


SHORT = Setting(
    "short",
    sqlite_kills=4,
    cluster_steps=("kill:0", "redis", "kill:1", "postgres", "kill:2"),
    acks_between=(40, 120),
    final_deadline_s=60.0,
)
LONG = Setting(
    "long",
    sqlite_kills=24,
    cluster_steps=(
        "kill:0",
        "kill:1",
        "kill:2",
        "redis",
        "kill:0",
        "kill:1",
        "postgres",
        "kill:2",
        "kill:0",
        "redis",
        "kill:1",
        "postgres",
        "kill:2",
        "kill:0",
    ),
    acks_between=(150, 500),
)

T0 = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {text}", flush=True)


class Soak:
    """One deployment under load and disruptions, then the verdict."""

    def __init__(
        self, label: str, nodes: list[Node], setting: Setting, rng: random.Random, root: Path
    ) -> None:
        self.label = label
        self.root = root
        self.nodes = nodes
        self.setting = setting
        self.rng = rng
        self.prefix = f"soak{rng.randrange(16**6):06x}-"
        self.ledger = Ledger(self.prefix)
        self.receiver = Receiver(self.prefix)
        self.verdict = Verdict()
        self.kills = 0
        self.outages = 0
        self.webhook_drain_s = 0.0
        self.owner = ""
        self.license_id = 0
        self.customers: list[Customer] = []
        self.agents: list[Agent] = []
        self.bots: list[Bot] = []
        self.webs: list[Web] = []

    def log(self, text: str) -> None:
        say(f"{self.label}: {text}")

    def web(self, home: int) -> Web:
        web = Web(self.nodes, home)
        self.webs.append(web)
        return web

    @property
    def actors(self) -> list[Actor]:
        return [*self.customers, *self.agents, *self.bots]

    @property
    def rtm_links(self) -> list[tuple[Actor, Rtm]]:
        return [(a, a.rtm) for a in self.actors if a.rtm is not None]

    # -- setup -------------------------------------------------------------------------

    async def setup(self, created: dict[str, Any], agents: list[dict[str, Any]]) -> None:
        self.owner = created["owner"]["access_token"]
        self.license_id = int(created["license_id"])
        admin = self.web(0)
        self.receiver.set_mood("up")

        async def call(path: str, body: dict[str, Any], token: str = "") -> Any:
            ans = await admin.post(path, token or self.owner, body=body)
            if ans.status != 200:
                raise RuntimeError(f"{path}: {ans.status} {ans.text}")
            return ans.body

        for action in ("incoming_event", "incoming_chat_thread"):
            await call(
                "/v3.0/configuration/webhooks/register_webhook",
                {"url": self.receiver.url(f"/{action}"), "action": action, "secret_key": "soak"},
            )
        bot = await call(
            "/v3.0/configuration/agents/create_bot_agent",
            {"name": "Soak Bot", "status": "accepting chats"},
        )
        # Other processes learn of a license's new webhooks within 2 s (webhooks/outbox.py,
        # HAS_WEBHOOKS_SECONDS): the load starts after that, so every change has its webhook.
        await asyncio.sleep(3)

        s = self.setting
        n = len(self.nodes)
        for i in range(s.web_customers + s.rtm_customers):
            name = f"c{i}"
            identity = await call("/accounts/customer/", {})
            web = self.web(i)
            tag = self.ledger.tag(name, 0)
            ans = await web.post(
                "/v3.0/customer/action/start_chat",
                identity["access_token"],
                params={"license_id": self.license_id},
                body={"payload": {"chat": {"thread": {"events": [message(tag)]}}}},
            )
            if ans.status != 200:
                raise RuntimeError(f"start_chat: {ans.status} {ans.text}")
            chat_id = ans.body["chat"]["id"]
            self.ledger.record(Sent(tag, chat_id, name, "message", ACKED, ans.via))
            rtm = None
            if i >= s.web_customers:
                rtm = Rtm(
                    name,
                    self.nodes,
                    i + 1,  # its Web API calls and its websocket on different processes
                    f"/v3.0/customer/rtm/ws?license_id={self.license_id}",
                    identity["access_token"],
                    self.prefix,
                )
            self.customers.append(
                Customer(
                    name,
                    self.ledger,
                    web,
                    rtm,
                    token=identity["access_token"],
                    customer_id=identity["entity_id"],
                    chat_id=chat_id,
                    license_id=self.license_id,
                )
            )
        chat_ids = [c.chat_id for c in self.customers]
        for i, agent in enumerate(agents[: s.web_agents + s.rtm_agents]):
            name = f"a{i}"
            rtm = None
            if i >= s.web_agents:
                rtm = Rtm(name, self.nodes, i, "/v3.0/agent/rtm/ws", agent["token"], self.prefix)
            # Each agent writes in every chat, starting at its own.
            mine = chat_ids[i % len(chat_ids) :] + chat_ids[: i % len(chat_ids)]
            self.agents.append(
                Agent(name, self.ledger, self.web(i), rtm, token=agent["token"], chat_ids=mine)
            )
        self.bots.append(
            Bot(
                "b0",
                self.ledger,
                self.web(n - 1),
                token=self.owner,
                bot_id=bot["bot_agent_id"],
                chat_ids=chat_ids,
            )
        )
        for _, rtm in self.rtm_links:
            if not await rtm.ensure():
                raise RuntimeError(f"{rtm.name} could not connect and log in")
        self.log(
            f"{len(self.customers)} customers ({s.rtm_customers} over RTM), "
            f"{len(self.agents)} agents ({s.rtm_agents} over RTM), 1 bot integration, "
            f"webhooks to {self.receiver.url('/')}"
        )

    # -- load and disruptions ------------------------------------------------------------

    async def drive(self, disrupt: Callable[[], Awaitable[None]]) -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(a.run(stop, self.setting.pace_s, random.Random(self.rng.random())))
            for a in self.actors
        ]
        moods = asyncio.create_task(
            self.receiver.moody(stop, random.Random(self.rng.random()), self.setting.receiver_up_s)
        )
        try:
            await disrupt()
            await self.progress("the last disruption")
        finally:
            stop.set()
            done, pending = await asyncio.wait([*tasks, moods], timeout=REQUEST_TIMEOUT + 15)
            for task in pending:
                self.verdict.problem(f"WEDGED CLIENT: {task!r} did not stop")
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    self.verdict.problem(f"CLIENT CRASHED: {task.exception()!r}")
        self.receiver.set_mood("up")

    async def progress(self, after: str) -> None:
        """Wait for a random number of acknowledgements: the run moves on after `after`."""
        wanted = self.rng.randint(*self.setting.acks_between)
        start, t0 = self.ledger.acks, time.monotonic()
        while self.ledger.acks - start < wanted:
            if time.monotonic() - t0 > self.setting.step_timeout_s:
                self.verdict.problem(
                    f"STALLED: {self.ledger.acks - start} of {wanted} events acknowledged "
                    f"within {self.setting.step_timeout_s:.0f} s after {after}"
                )
                return
            await asyncio.sleep(0.05)

    async def kill(self, node: Node) -> None:
        await self.progress("the previous disruption")
        before = self.ledger.acks
        node.kill()
        t0 = time.monotonic()
        await node.start()
        self.kills += 1
        self.log(
            f"SIGKILL {self.kills} of {node.name} ({before} acknowledged so far); "
            f"serving again after {time.monotonic() - t0:.1f} s"
        )

    # -- the end -------------------------------------------------------------------------

    async def answers(self, node: Node, deadline: float) -> bool:
        """/healthz, and a request that reads the database, both answered in time."""
        chat_id = self.customers[0].chat_id
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            while time.monotonic() < deadline:
                try:
                    health = await client.get(node.base_url + "/healthz")
                    read = await client.post(
                        node.base_url + "/v3.0/agent/action/get_chat_threads",
                        json={"payload": {"chat_id": chat_id}},
                        headers={"Authorization": f"Bearer {self.owner}"},
                    )
                    if health.status_code == 200 and read.status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)
        return False

    async def outbox(self) -> dict[str, float]:
        """The server's count of pending and failed webhook deliveries (from /metrics)."""
        names = {
            "chatplane_webhook_deliveries_pending": "pending",
            "chatplane_webhook_deliveries_failed": "failed",
        }
        out: dict[str, float] = {}
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            try:
                resp = await client.get(self.nodes[0].base_url + "/metrics")
            except httpx.HTTPError:
                return out
        for line in resp.text.splitlines():
            name, _, value = line.partition(" ")
            if name in names:
                out[names[name]] = float(value)
        return out

    async def probe_rtm(self, deadline: float) -> tuple[int, int]:
        """Every RTM client is logged in again and hears an event sent through another
        process (so, in a cluster, through Redis) after the last outage."""
        back = receiving = 0
        web_agent = self.agents[0]
        by_chat = {c.chat_id: c for c in self.customers}
        for actor, rtm in self.rtm_links:
            while not await rtm.ensure():
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            if not rtm.connected:
                self.verdict.problem(f"RTM NOT BACK: {rtm.name} could not log in again")
                continue
            back += 1
            if isinstance(actor, Customer):
                chat_id, sender_token, path = (
                    actor.chat_id,
                    web_agent.token,
                    "/v3.0/agent/action/send_event",
                )
            else:
                # The agent writes first (so it is in the chat), then the customer answers.
                assert isinstance(actor, Agent)
                chat_id = actor.chat_ids[0]
                if await actor.send_rtm(chat_id) != ACKED:
                    self.verdict.problem(f"RTM PROBE: {rtm.name} could not write in {chat_id}")
                customer = by_chat[chat_id]
                sender_token = customer.token
                path = f"/v3.0/customer/action/send_event?license_id={self.license_id}"
            tag = self.ledger.tag(f"probe-{rtm.name}", 1)
            other = (rtm.node_index + 1) % len(self.nodes)
            ans = await web_agent.web.post(
                path,
                sender_token,
                body={"payload": {"chat_id": chat_id, "event": message(tag)}},
                node=other,
            )
            self.ledger.record(
                Sent(tag, chat_id, f"probe-{rtm.name}", "message", ans.outcome, ans.via, ans.text)
            )
            if ans.outcome != ACKED:
                self.verdict.problem(f"RTM PROBE: sending to {rtm.name} failed: {ans.text}")
                continue
            if await rtm.wait_pushed(tag, max(5.0, deadline - time.monotonic())):
                receiving += 1
            else:
                self.verdict.problem(f"RTM DEAF: {rtm.name} did not hear {tag}")
        return back, receiving

    async def finish(self) -> Verdict:
        v = self.verdict
        s = self.setting
        deadline = time.monotonic() + 30
        answering = [node.name for node in self.nodes if await self.answers(node, deadline)]
        for node in self.nodes:
            if node.name not in answering:
                v.problem(f"WEDGED: {node.name} does not answer /healthz and a request")
                v.problem(log_tail(node.log_path, 20))
        self.log(f"{len(answering)}/{len(self.nodes)} processes answer; probing RTM clients")
        back, receiving = await self.probe_rtm(time.monotonic() + s.final_deadline_s / 2)
        reader = self.web(0)
        stored = await read_back(
            reader, self.owner, [c.chat_id for c in self.customers], self.prefix
        )
        self.log(f"read back {len(stored)} events; waiting for their webhooks")
        t0 = time.monotonic()
        deadline = t0 + s.final_deadline_s
        shown = t0
        while missing := webhooks_missing(stored, self.receiver.snapshot()):
            if time.monotonic() > deadline:
                break
            if time.monotonic() - shown > 5:
                shown = time.monotonic()
                self.log(f"{len(missing)} webhooks still to come")
            await asyncio.sleep(0.5)
        self.webhook_drain_s = time.monotonic() - t0
        hits = self.receiver.snapshot()
        self.log(f"{len(hits)} webhook requests received; checking")
        check_events(self.ledger, stored, v)
        check_webhooks(self.ledger, stored, hits, await self.outbox(), v)
        await check_files(reader, self.ledger, stored, v)
        links = self.rtm_links
        for _, rtm in links:
            for at, node in rtm.told_offline:
                v.problem(
                    f"PRESENCE: {rtm.name} was told at {at - T0:.1f}s that it is offline while "
                    f"connected to {node}"
                )
        v.figures.update(
            {
                "kills survived": self.kills,
                "outages survived": self.outages,
                "receiver bad stretches": self.receiver.refused_stretches,
                "RTM clients": len(links),
                "RTM clients back": back,
                "RTM clients receiving": receiving,
                "RTM logins": sum(rtm.logins for _, rtm in links),
                "RTM agents told they are offline while connected": sum(
                    len(rtm.told_offline) for _, rtm in links
                ),
                "pushes of soak events received": sum(sum(rtm.pushed.values()) for _, rtm in links),
                "processes": len(self.nodes),
                "processes answering": len(answering),
                "seconds for the last webhooks after the load": round(self.webhook_drain_s, 1),
            }
        )
        return v

    def dump(self) -> None:
        """What the clients were told and what the receiver got, for a look afterwards
        (kept with the logs when the run fails or with --keep)."""
        with open(self.root / "ledger.jsonl", "w") as out:
            for sent in self.ledger.sent:
                out.write(json.dumps(dataclasses.asdict(sent)) + "\n")
        with open(self.root / "webhooks.jsonl", "w") as out:
            for hit in self.receiver.snapshot():
                out.write(json.dumps(dataclasses.asdict(hit)) + "\n")

    async def close(self) -> None:
        self.dump()
        for _, rtm in self.rtm_links:
            await rtm.drop()
        for web in self.webs:
            await web.close()
        self.receiver.close()

    def stop_nodes(self) -> None:
        for node in self.nodes:
            t0 = time.monotonic()
            node.stop(timeout_s=30)
            took = time.monotonic() - t0
            if took > 29:
                self.verdict.problem(f"WEDGED: {node.name} did not exit within 30 s of SIGTERM")
            self.log(f"{node.name} stopped (SIGTERM) in {took:.1f} s")


# ----------------------------------------------------------------------------- deployments


def _agents(env: dict[str, str], data_dir: Path, count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        made = run_cli(
            env,
            data_dir,
            "agent",
            "create",
            "--email",
            f"soak-agent-{i}@example.com",
            "--name",
            f"Soak Agent {i}",
            "--role",
            "administrator",
        )
        out.append({"id": made["id"], "token": made["access_token"]})
    return out


async def soak_sqlite(setting: Setting, kills: int, root: Path, rng: random.Random) -> Soak:
    data_dir = root / "data"
    env = clean_env({})
    created = run_cli(env, data_dir, "init")
    agents = _agents(env, data_dir, setting.web_agents + setting.rtm_agents)
    node = Node("sqlite", data_dir, env, root / "server.log")
    await node.start()
    soak = Soak("sqlite", [node], setting, rng, root)
    try:
        await soak.setup(created, agents)

        async def disrupt() -> None:
            for _ in range(kills):
                await soak.kill(node)

        await soak.drive(disrupt)
        await soak.finish()
    finally:
        await soak.close()
        soak.stop_nodes()
    return soak


async def soak_cluster(setting: Setting, root: Path, rng: random.Random) -> Soak:
    pg = PrivatePostgres()
    redis = PrivateRedis(root)
    nodes: list[Node] = []
    try:
        await asyncio.to_thread(pg.init)
        await pg.start()
        database_url = await asyncio.to_thread(pg.create_database, "soak")
        await redis.start()
        say(f"cluster: PostgreSQL on port {pg.port} ({pg.root}), Redis on port {redis.port}")
        env = clean_env(
            {
                "CHATPLANE_DATABASE_URL": database_url,
                "CHATPLANE_REDIS_URL": redis.url,
                "CHATPLANE_REDIS_PREFIX": "soak",
            }
        )
        data_dir = root / "data"  # shared: the processes serve each other's files
        created = run_cli(env, data_dir, "init")
        agents = _agents(env, data_dir, setting.web_agents + setting.rtm_agents)
        nodes = [Node(f"node{i}", data_dir, env, root / f"node{i}.log") for i in range(3)]
        await asyncio.gather(*(n.start() for n in nodes))
        soak = Soak("cluster", nodes, setting, rng, root)
        try:
            await soak.setup(created, agents)

            async def restart(what: str, stop: Callable[[], None], start: Any) -> None:
                await soak.progress("the previous disruption")
                before = soak.ledger.acks
                await asyncio.to_thread(stop)
                await asyncio.sleep(setting.outage_s)
                await start()
                soak.outages += 1
                soak.log(
                    f"{what} restarted after {setting.outage_s:.0f} s down "
                    f"({before} acknowledged so far)"
                )

            async def disrupt() -> None:
                for step in setting.cluster_steps:
                    if step.startswith("kill:"):
                        await soak.kill(nodes[int(step.split(":")[1]) % len(nodes)])
                    elif step == "redis":
                        await restart("Redis", redis.stop, redis.start)
                    elif step == "postgres":
                        await restart("PostgreSQL", pg.stop, pg.start)
                    else:
                        raise ValueError(f"unknown step {step!r}")

            await soak.drive(disrupt)
            await soak.finish()
        finally:
            await soak.close()
            soak.stop_nodes()
        return soak
    finally:
        for node in nodes:
            node.stop()
        redis.stop()
        pg.stop()
        pg.remove()


# ----------------------------------------------------------------------------- report


def report(soak: Soak) -> list[str]:
    f = soak.verdict.figures
    lost = f.get("events lost", 0) + f.get("webhooks lost", 0)
    lines = [
        f"== {soak.label}: {len(soak.nodes)} process(es) ==",
        f"kills survived: {f['kills survived']}",
        f"outages survived: {f['outages survived']}"
        + (" (Redis and PostgreSQL restarts)" if f["outages survived"] else ""),
        f"events: {f['events sent']} sent, {f['events acknowledged']} acknowledged, "
        f"{f['events unknown (no answer)']} unanswered ({f['events unknown and stored']} of "
        f"them stored), {f['events refused']} refused",
        f"events checked: {f['events checked']} (acknowledged ones stored exactly once and in "
        f"their sender's order; duplicated: {f['events duplicated']}, out of order: "
        f"{f['senders out of order']})",
        f"files: {f['files acknowledged']} acknowledged, {f['files downloaded intact']} "
        "stored files downloaded intact",
        f"webhooks checked: {f['webhooks checked']} delivered ({f['webhook requests received']}"
        f" requests; {f['webhook requests answered 500']} answered 500; "
        f"{f['webhook repeats with the same delivery id']} repeats with the same delivery id, "
        f"{f['webhooks duplicated with another delivery id']} with another; receiver down or "
        f"failing {f['receiver bad stretches']} times)",
        f"RTM clients: {f['RTM clients back']}/{f['RTM clients']} back and logged in, "
        f"{f['RTM clients receiving']}/{f['RTM clients']} receiving pushes after the last "
        f"outage ({f['RTM logins']} logins in all; agents told they were offline while "
        f"connected: {f['RTM agents told they are offline while connected']})",
        f"webhooks: the last came {f['seconds for the last webhooks after the load']} s after "
        "the load stopped",
        f"processes answering /healthz and a request: {f['processes answering']}/{f['processes']}",
        f"lost: {lost}",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    doc = __doc__ or ""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--short", action="store_true", help="the short setting (CI)")
    ap.add_argument("--backends", default="sqlite,cluster", help="sqlite,cluster")
    ap.add_argument("--kills", type=int, default=None, help="SIGKILLs of the SQLite server")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", default=None, help="write the figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args(argv)
    setting = SHORT if args.short else LONG
    kills = setting.sqlite_kills if args.kills is None else args.kills
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    raise_nofile_limit()
    atexit.register(kill_all_started)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(130))
    workdir = Path(tempfile.mkdtemp(prefix="chatplane-soak-"))
    say(f"soak ({setting.name} setting, seed {seed}) in {workdir}")
    soaks: list[Soak] = []
    failed = False
    try:
        for backend in backends:
            root = workdir / backend
            root.mkdir()
            if backend == "sqlite":
                soaks.append(asyncio.run(soak_sqlite(setting, kills, root, rng)))
            elif backend == "cluster":
                reason = missing_services()
                if reason is not None:
                    say(f"cluster: cannot run here: {reason}")
                    failed = True
                    continue
                soaks.append(asyncio.run(soak_cluster(setting, root, rng)))
            else:
                ap.error(f"unknown backend {backend!r}")
    finally:
        kill_all_started()
    print()
    for soak in soaks:
        for line in report(soak):
            print(line)
        for problem in soak.verdict.problems:
            print(f"  PROBLEM: {problem}")
        failed = failed or bool(soak.verdict.problems)
        print()
    print("verdict:", "FAILED" if failed else "nothing lost")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "setting": setting.name,
                    "seed": seed,
                    "kills": kills,
                    "results": {
                        s.label: {"figures": s.verdict.figures, "problems": s.verdict.problems}
                        for s in soaks
                    },
                },
                indent=2,
            )
        )
    if failed or args.keep:
        say(f"logs and data kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
