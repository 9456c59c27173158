"""The ceilings: a bare endpoint on the same ASGI server as Chatplane, with and without the
framework.

uvicorn with uvloop and httptools, one process, no access log; the endpoint reads a JSON body,
decodes it, and answers a small JSON object: no auth, no storage, no validation. `bare_app` is
a plain ASGI callable (no framework at all): the ceiling every Web API figure in the report is
given as a ratio to, measured with the same client in the same run. `app` is the same endpoint
in Starlette, the framework Chatplane uses, to show what the framework itself costs.
Run: ``python -m bench.ceiling --port P [--bare]``.
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


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The same endpoint as `action` with no framework: the ASGI messages themselves."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/healthz":
        body, status = b"ok", 200
        content_type = b"text/plain"
    else:
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        data = _decode(b"".join(chunks))
        payload = data.get("payload", {}) if isinstance(data, dict) else {}
        answer = {
            "thread_id": "CEILING000",
            "event_id": f"{time.time_ns():x}",
            "chat_id": payload.get("chat_id") if isinstance(payload, dict) else None,
        }
        body, status, content_type = _encode(answer), 200, b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
    parser.add_argument("--bare", action="store_true", help="no framework: a plain ASGI app")
    args = parser.parse_args()
    uvicorn.run(bare_app if args.bare else app, host=args.host, port=args.port, **UVICORN_FLAGS)


if __name__ == "__main__":
    main()
