"""The ceiling: a bare endpoint on the same ASGI server and framework as Chatplane.

Starlette on uvicorn with uvloop and httptools, one process, no access log. It reads a JSON
body, decodes it, and answers a small JSON object: no auth, no storage, no validation. Every
Web API figure in the report is also given as a ratio to what this endpoint does with the same
client in the same run. Run: ``python -m bench.ceiling --port P``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_decode = msgspec.json.decode  # Chatplane decodes requests with msgspec too
_encode = msgspec.json.encode


async def action(request: Request) -> Response:
    body = await request.body()
    data = _decode(body)
    payload = data.get("payload", {}) if isinstance(data, dict) else {}
    answer = {
        "thread_id": "CEILING000",
        "event_id": f"{time.time_ns():x}",
        "chat_id": payload.get("chat_id") if isinstance(payload, dict) else None,
    }
    return Response(_encode(answer), media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b"ok", media_type="text/plain")


app = Starlette(
    routes=[
        Route("/v3.0/agent/action/{action}", action, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)

# The flags Chatplane's own ``serve`` passes to uvicorn (see chatplane/cli.py); kept in one place
# so the ceiling is measured on exactly the same server stack.
UVICORN_FLAGS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "access_log": False,
    "log_level": "warning",
    "lifespan": "off",
}


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, **UVICORN_FLAGS)


if __name__ == "__main__":
    main()
