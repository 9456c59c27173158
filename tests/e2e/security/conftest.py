"""Fixtures of the security suite: a private server for fuzzing (rate limit off, so that the
fuzzers measure the handlers and not the limiter), its tokens and chats, and the figures
printed at the end of the run (docs/security.md quotes them).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..harness import Http, ServerProcess, run_cli

# Figures of this run: inputs tried per fuzzer, kills survived, events lost.
FIGURES: Counter[str] = Counter()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def budget(name: str, ci: int, local: int) -> int:
    """A run length: CHATPLANE_<NAME> if set, else the short CI setting or the local one."""
    raw = os.environ.get(f"CHATPLANE_{name.upper()}")
    if raw:
        return int(raw)
    return ci if in_ci() else local


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("security figures")
        for key in sorted(FIGURES):
            terminalreporter.write_line(f"{key}: {FIGURES[key]}")


@dataclass
class Lab:
    """A private server: license A (owner, customers c1 and c2 with chats) and license B."""

    server: ServerProcess
    http: Http
    license_a: int
    license_b: int
    owner_a: str
    owner_b: str
    owner_a_id: str
    c1_id: str
    c1: str  # customer token, license A
    c2: str
    c1_chat: str
    c1_thread: str
    c2_chat: str
    b_chat: str
    secrets: list[str]

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir


def _customer(http: Http, owner: str) -> tuple[str, str]:
    body = http.create_customer(owner)
    return body["entity_id"], body["access_token"]


def _chat(http: Http, token: str, license_id: int, text: str) -> dict[str, Any]:
    payload = {"chat": {"thread": {"events": [{"type": "message", "text": text}]}}}
    return http.customer(token, license_id, "start_chat", payload)["chat"]


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    data_dir = tmp_path_factory.mktemp("security") / "data"
    a = run_cli(data_dir, "init")
    b = run_cli(data_dir, "license", "create")
    # Nothing may change a watched chat behind the fuzzer's back: no agent taken off its
    # chats when an RTM target disconnects (offline grace), no thread going idle or archived.
    quiet = {"offline_grace": "86400", "idle_timeout": "86400", "archive_timeout": "86400"}
    server = ServerProcess(data_dir, {"requests_per_second": "0", **quiet})
    server.start()
    http = Http(server.base_url)
    try:
        owner_a, owner_b = a["owner"]["access_token"], b["owner"]["access_token"]
        # Manual routing: the fuzzer's successful status changes must not let the router
        # assign a watched chat between a refused request and the check that it changed
        # nothing (a flaky failure seen with automatic routing).
        for owner in (owner_a, owner_b):
            resp = http.post_raw(
                "/v3.0/configuration/routing/update_routing_settings",
                token=owner,
                json_body={"mode": "manual"},
            )
            assert resp.status_code == 200, resp.text
        c1_id, c1 = _customer(http, owner_a)
        _c2_id, c2 = _customer(http, owner_a)
        _cb_id, cb = _customer(http, owner_b)
        chat1 = _chat(http, c1, a["license_id"], "c1 says hello")
        chat2 = _chat(http, c2, a["license_id"], "c2 says hello")
        chat_b = _chat(http, cb, b["license_id"], "b says hello")
        yield Lab(
            server=server,
            http=http,
            license_a=a["license_id"],
            license_b=b["license_id"],
            owner_a=owner_a,
            owner_b=owner_b,
            owner_a_id=a["owner"]["id"],
            c1_id=c1_id,
            c1=c1,
            c2=c2,
            c1_chat=chat1["id"],
            c1_thread=chat1["thread"]["id"],
            c2_chat=chat2["id"],
            b_chat=chat_b["id"],
            secrets=[owner_a, owner_b, c1, c2, cb],
        )
    finally:
        http.close()
        try:
            server.stop()
        finally:
            server.kill()


def chat_state(http: Http, owner: str, chat_id: str) -> Any:
    """Everything stored about a chat that a request could change: its users, access,
    properties, threads with their events and properties (read by the license owner)."""
    summary = http.agent(owner, "get_chat_threads", {"chat_id": chat_id})["chat"]
    ids = [s["thread_id"] for s in summary["threads_summary"]]
    chat = http.agent(owner, "get_chat_threads", {"chat_id": chat_id, "thread_ids": ids})["chat"]
    return {
        "users": sorted(u["id"] for u in chat.get("users", [])),
        "access": chat.get("access"),
        "properties": chat.get("properties"),
        "threads": [
            {
                "id": t["id"],
                "active": t.get("active"),
                "properties": t.get("properties"),
                "events": [
                    (e.get("id"), e.get("type"), e.get("text"), e.get("properties"))
                    for e in t.get("events", [])
                ],
            }
            for t in sorted(chat.get("threads", []), key=lambda t: t["order"])
        ],
    }
