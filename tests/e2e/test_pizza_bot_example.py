"""The README's bot example (examples/pizza_bot.py) works against a real server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from .harness import REPO_ROOT, Http, free_port, run_cli
from .webhook_support import WebhookServer


def _wait_texts(http: Http, token: str, chat_id: str, count: int) -> list[str]:
    """Texts of messages not from the customer, as an agent (the owner) sees them."""
    deadline = time.monotonic() + 20
    while True:
        summary = http.agent(token, "get_chat_threads", {"chat_id": chat_id})["chat"]
        ids = [t["thread_id"] for t in summary["threads_summary"]]
        chat = http.agent(token, "get_chat_threads", {"chat_id": chat_id, "thread_ids": ids})
        customer = [u["id"] for u in chat["chat"]["users"] if u["type"] == "customer"]
        texts = [
            e["text"]
            for t in chat["chat"]["threads"]
            for e in t["events"]
            if e.get("type") == "message" and e.get("author_id") not in customer
        ]
        if len(texts) >= count:
            return texts
        assert time.monotonic() < deadline, f"the bot answered only {texts}"
        time.sleep(0.2)


def _thread_id(http: Http, token: str, chat_id: str) -> str:
    summary = http.agent(token, "get_chat_threads", {"chat_id": chat_id})["chat"]
    return str(summary["threads_summary"][-1]["thread_id"])


def test_pizza_bot_answers_every_customer_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    init = run_cli(data_dir, "init")
    token, lic = init["owner"]["access_token"], init["license_id"]
    server = WebhookServer(data_dir)
    server.start()
    http = Http(server.base_url)
    bot = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "examples" / "pizza_bot.py"),
            "--api",
            server.base_url,
            "--token",
            token,
            "--listen",
            f"127.0.0.1:{free_port()}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert bot.stdout is not None
        ready = bot.stdout.readline()
        assert "ready" in ready, ready + bot.stdout.read()
        customer = http.create_customer(token)
        ctoken = customer["access_token"]
        chat_id = http.customer(
            ctoken,
            lic,
            "start_chat",
            {"chat": {"thread": {"events": [{"type": "message", "text": "Hello there"}]}}},
        )["chat"]["id"]
        http.customer(
            ctoken,
            lic,
            "send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": "I would love a pizza"}},
        )
        texts = _wait_texts(http, token, chat_id, 3)
        # Every customer message is answered; the pizza one also tells the agents.
        assert texts[0] == "You said 'Hello there'. Say 'pizza' and I will order one."
        assert texts[1:] == ["Woohoo!", "Pizza is on the way! 🍕"]
        seen = http.customer(
            ctoken,
            lic,
            "get_chat_threads",
            {"chat_id": chat_id, "thread_ids": [_thread_id(http, token, chat_id)]},
        )
        customer_texts = [e.get("text") for e in seen["chat"]["threads"][0]["events"]]
        assert "Woohoo!" not in customer_texts  # recipients: agents
        assert "Pizza is on the way! 🍕" in customer_texts
        bot.send_signal(signal.SIGINT)
        assert bot.wait(15) == 0
        assert http.post_raw(
            "/v3.0/configuration/agents/get_bot_agents", token=token, json_body={}
        ).json() == {"bot_agents": []}
    finally:
        if bot.poll() is None:
            bot.kill()
        http.close()
        server.stop()
