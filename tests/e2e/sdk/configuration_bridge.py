"""Calls of the official Python SDK's ConfigurationApi (lc-sdk-python 0.4.2, unchanged)
against a Chatplane server, one at a time, run in the SDK's own virtual environment (it
pins httpx 0.28.1; see requirements.txt beside this file):

    .venv-sdk/bin/python tests/e2e/sdk/configuration_bridge.py

Reads one JSON request a line from stdin and answers each with one JSON line on stdout
(marked `"bridge": true`; anything else the SDK prints is not an answer):

- `{"op": "call", "version", "token", "base_url", "method", "kwargs"}`: the SDK client of
  that version and token calls `method(**kwargs)`; the answer is its HTTP status, body and
  URL, or the exception the SDK raised.
- `{"op": "has", "version", "token", "base_url", "method"}`: whether that version's
  client has the method.

The Configuration API tests (tests/e2e/sdk/test_sdk_configuration_*.py) interleave these
calls with checks through the chat APIs, so the SDK runs here, not in the project's venv.
Nothing here asserts.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from livechat.configuration.base import ConfigurationApi

_clients: dict[tuple[str, str, str], Any] = {}


def _client(request: dict[str, Any]) -> Any:
    key = (request["version"], request["token"], request["base_url"])
    if key not in _clients:
        _clients[key] = ConfigurationApi.get_client(
            token=request["token"],
            version=request["version"],
            base_url=request["base_url"],
            verify=False,  # the test server's certificate is self-signed
            disable_logging=True,
        )
    return _clients[key]


def answer(request: dict[str, Any]) -> dict[str, Any]:
    client = _client(request)
    method = request["method"]
    if request["op"] == "has":
        return {"has": hasattr(client, method)}
    try:
        response = getattr(client, method)(**request.get("kwargs", {}))
    except Exception as exc:  # recorded for the test to see, not hidden
        return {"raised": repr(exc)}
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return {"status": response.status_code, "body": body, "url": str(response.request.url)}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        out = answer(json.loads(line))
        sys.stdout.write(json.dumps({"bridge": True, **out}) + "\n")
        sys.stdout.flush()
    for client in _clients.values():
        client.session.close()


if __name__ == "__main__":
    main()
