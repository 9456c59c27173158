"""No pending webhook is lost when the server is killed: the outbox is written with the
change, and a restarted server delivers everything once the receiver is up.
"""

from __future__ import annotations

import time
from pathlib import Path

from .harness import Http, run_cli
from .webhook_support import Receiver, WebhookServer, configuration, free_port, metrics


def test_webhooks_pending_at_a_kill_are_all_delivered_after_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    owner = run_cli(data_dir, "init")
    token, license_id = owner["owner"]["access_token"], owner["license_id"]
    receiver_port = free_port()  # nothing listens here yet: the receiver is down
    url = f"http://127.0.0.1:{receiver_port}/hook"
    server = WebhookServer(data_dir)
    server.start()
    http = Http(server.base_url)
    receiver = Receiver(port=receiver_port)
    try:
        configuration(
            http,
            token,
            "webhooks/register_webhook",
            {"url": url, "action": "incoming_event", "secret_key": "s"},
        )
        expected: dict[str, list[str]] = {}
        for c in range(4):
            customer = http.create_customer(token)
            chat_id = http.customer(
                customer["access_token"],
                license_id,
                "start_chat",
                {"chat": {"thread": {"events": [{"type": "message", "text": "start"}]}}},
            )["chat"]["id"]
            expected[chat_id] = []
            for i in range(5):
                text = f"chat{c}-message{i}"
                http.customer(
                    customer["access_token"],
                    license_id,
                    "send_event",
                    {"chat_id": chat_id, "event": {"type": "message", "text": text}},
                )
                expected[chat_id].append(text)
        pending = run_cli(data_dir, "webhooks", "list", "--status", "pending", "--limit", "1000")
        # 20 messages, and routing's system message for each of the 4 new chats.
        assert len(pending["deliveries"]) == 24
        # Some attempts have failed against the absent receiver before the kill.
        deadline = time.monotonic() + 15
        while metrics(http)["chatplane_webhook_retries_total"] < 1:
            assert time.monotonic() < deadline, "no attempt was made"
            time.sleep(0.1)
        server.kill()
        http.close()

        receiver.start()
        server.start()
        http = Http(server.base_url)
        got = receiver.wait(lambda r: True, 24, timeout=60)
        by_chat: dict[str, list[str]] = {}
        seen: set[str] = set()
        for r in got:
            delivery = r.headers["X-Chatplane-Delivery"]
            if delivery in seen:
                continue  # a receiver drops duplicates by delivery id
            seen.add(delivery)
            data = r.body["data"]
            if data["event"]["type"] == "message":
                by_chat.setdefault(data["chat_id"], []).append(data["event"]["text"])
        assert by_chat == expected  # all of them, each chat in order
        deadline = time.monotonic() + 15
        while metrics(http)["chatplane_webhook_deliveries_pending"] != 0:
            assert time.monotonic() < deadline, "deliveries still pending"
            time.sleep(0.1)
        assert metrics(http)["chatplane_webhook_deliveries_delivered_total"] == 24
    finally:
        http.close()
        receiver.stop()
        server.kill()
