"""Pizza Bot: a bot agent that answers every customer message (core-info.md, "Bot Agents").

It creates a bot agent and registers webhooks for new chats (`incoming_chat_thread`) and
customers' messages (`incoming_event`) with the Configuration API, then listens for the
webhooks and answers each message as the bot, with its application's token and
`author_id`, over the Agent Chat Web API. When a message mentions pizza it also tells the
agents in the chat "Woohoo!" (`recipients: agents`, which customers do not see).

    python examples/pizza_bot.py --api http://127.0.0.1:8080 --token <owner token> \
        --listen 127.0.0.1:8900

The server must be able to reach --listen (or --public-url); a receiver on loopback needs
CHATPLANE_WEBHOOK_ALLOW_PRIVATE=true on the server.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--api", default="http://127.0.0.1:8080", help="the Chatplane server")
    ap.add_argument("--token", required=True, help="an administrator's or owner's token")
    ap.add_argument("--listen", default="127.0.0.1:8900", help="host:port for webhooks")
    ap.add_argument("--public-url", default=None, help="the webhook URL the server calls")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    api = httpx.Client(
        base_url=args.api, headers={"Authorization": f"Bearer {args.token}"}, trust_env=False
    )
    secret = secrets.token_urlsafe(24)

    def call(path: str, body: dict, **envelope: str) -> dict:
        resp = api.post(
            path, json=body if path.startswith("/v3.0/config") else {"payload": body, **envelope}
        )
        resp.raise_for_status()
        return resp.json()

    bot_id = call(
        "/v3.0/configuration/agents/create_bot_agent",
        {"name": "Pizza Bot", "status": "accepting chats"},
    )["bot_agent_id"]
    seen: set[str] = set()  # delivery ids: a webhook may come twice, answer it once

    def answer(chat_id: str, text: str) -> None:
        if "pizza" in text.lower():
            reply = "Pizza is on the way! 🍕"
            call(
                "/v3.0/agent/action/send_event",
                {
                    "chat_id": chat_id,
                    "event": {"type": "message", "text": "Woohoo!", "recipients": "agents"},
                },
                author_id=bot_id,
            )
        else:
            reply = f"You said {text!r}. Say 'pizza' and I will order one."
        call(
            "/v3.0/agent/action/send_event",
            {"chat_id": chat_id, "event": {"type": "message", "text": reply}},
            author_id=bot_id,
        )

    def handle(webhook: dict) -> None:
        data = webhook["data"]
        if webhook["action"] == "incoming_chat_thread":
            # A new chat or thread: the customer's first messages come inside it.
            chat = data["chat"]
            customers = {u["id"] for u in chat["users"] if u["type"] == "customer"}
            chat_id = chat["id"]
            events = [e for e in chat["thread"]["events"] if e.get("author_id") in customers]
        else:
            chat_id, events = data["chat_id"], [data["event"]]
        for event in events:
            if event.get("type") == "message":
                answer(chat_id, event.get("text", ""))

    class Webhooks(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ts = self.headers.get("X-Chatplane-Timestamp", "0")
            mac = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256)
            signed = hmac.compare_digest(
                "v1=" + mac.hexdigest(), self.headers.get("X-Chatplane-Signature", "")
            )
            status = 200
            delivery = self.headers.get("X-Chatplane-Delivery", "")
            if not signed or abs(time.time() - int(ts)) > 300:
                status = 401  # forged, or an old request replayed
            elif delivery not in seen:
                # Answer before saying 200: a chat's webhooks come one at a time, so the
                # answers keep the customer's order; on failure the server retries.
                try:
                    handle(json.loads(raw))
                    seen.add(delivery)
                except Exception:
                    status = 500
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, int(port)), Webhooks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = args.public_url or f"http://{host}:{server.server_address[1]}/webhooks"
    webhook_ids = [
        call(
            "/v3.0/configuration/webhooks/register_webhook",
            {"url": url, "action": action, "secret_key": secret, **filters},
        )["webhook_id"]
        for action, filters in (
            ("incoming_chat_thread", {}),
            ("incoming_event", {"filters": {"author_type": "customer"}}),
        )
    ]
    print(f"Pizza Bot {bot_id} ready: webhooks to {url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for webhook_id in webhook_ids:
            call("/v3.0/configuration/webhooks/unregister_webhook", {"webhook_id": webhook_id})
        call("/v3.0/configuration/agents/remove_bot_agent", {"bot_agent_id": bot_id})
        server.shutdown()


if __name__ == "__main__":
    main()
