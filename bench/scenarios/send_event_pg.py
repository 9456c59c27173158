"""Scenario 1b: scenario 1's v3.0 ``send_event`` load with PostgreSQL as the store.

A database of its own is created on ``BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``: the server's maintenance database is only
used to create and drop it) and dropped afterwards. The figure that counts is the server's CPU
per request beside SQLite's from scenario 1 of the same run (PostgreSQL's own processes are
not counted in it: they are other processes, reported as such). Skipped, with the reason,
when PostgreSQL is not reachable."""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Any

from bench.fixtures import create_customers, start_chats
from bench.scenarios import Context, ratio
from bench.scenarios.send_event import lines_for, measure

NAME = "send_event_pg"
TITLE = "1b. Web API send_event on PostgreSQL (50 clients, 1,000 chats)"

STORAGE = "postgresql (a fresh database, dropped afterwards)"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _cpu_us(load: dict[str, Any] | None) -> float | None:
    from bench.report import cpu_us_per_request

    return cpu_us_per_request(load)


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def _create_db(admin_url: str) -> tuple[str, str]:
    """A fresh database: (its name, its URL)."""
    name = f"chatplane_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with _admin(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_db(admin_url: str, name: str) -> None:
    with contextlib.suppress(Exception), _admin(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(ctx: Context) -> dict[str, Any]:
    admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_URL)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return {"skipped": "psycopg is not installed"}
    try:
        name, url = _create_db(admin_url)
    except Exception as exc:
        return {"skipped": f"PostgreSQL not reachable at {admin_url}: {exc}"[:300]}
    n_chats = ctx.pick(1000, 50)
    try:
        async with ctx.chatplane(label=NAME, env={"CHATPLANE_DATABASE_URL": url}) as cp:
            customers = await create_customers(cp, n_chats)
            chat_ids = await start_chats(cp, customers)
            ctx.log(f"{len(chat_ids)} chats ready on PostgreSQL ({name})")
            fig = await measure(ctx, cp, chat_ids, "3.0", alone=False)
    finally:
        _drop_db(admin_url, name)
    sqlite = ctx.results.get("send_event") or {}
    pg_cpu, sq_cpu = _cpu_us(fig.get("c50")), _cpu_us(sqlite.get("c50"))
    return {
        "chats": n_chats,
        "database": admin_url.rsplit("/", 1)[0] + "/<fresh database>",
        **fig,
        "server_cpu_us_per_request": pg_cpu,
        "sqlite_server_cpu_us_per_request": sq_cpu,
        "ratio_to_sqlite_cpu": ratio(pg_cpu, sq_cpu),
    }


def summary(fig: dict[str, Any]) -> list[str]:
    if "skipped" in fig:
        return [f"skipped: {fig['skipped']}"]
    sqlite = fig.get("sqlite_server_cpu_us_per_request")
    vs = (
        f"vs SQLite's {sqlite} µs ({fig.get('ratio_to_sqlite_cpu')}x)"
        if sqlite
        else "(SQLite's: run send_event first)"
    )
    return [
        *lines_for("PostgreSQL send_event", fig),
        f"server CPU per request {fig.get('server_cpu_us_per_request')} µs {vs}",
    ]
