"""The v3.0 customer SDK's token page (`GET /customer?...&post_message_uri=...`).

`@livechat/customer-sdk` 2.0.0-alpha.3 loads this page in a hidden iframe from the accounts
host and waits for a `message` event from that origin whose data is an object carrying its
`state`: `{access_token, entity_id, expires_in, token_type, state}`, or `{identity_exception}`
/ `{oauth_exception}` with the state (authorization/errors.md names the codes).

Everything the page carries sits in a JSON block that is never executed; the one script is
fixed text allowed by its hash in a strict Content-Security-Policy, so no query parameter
can become markup or code.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

# Reads the JSON block and posts it to the parent at the one allowed origin (never "*").
SCRIPT = (
    "(function () {"
    'var data = JSON.parse(document.getElementById("chatplane-message").textContent);'
    "if (data.target_origin && window.parent && window.parent !== window) {"
    "window.parent.postMessage(data.message, data.target_origin);"
    "}"
    "})();"
)
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()


def origin_of(uri: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, lower-case; None for anything else."""
    try:
        parts = urlsplit(uri.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(c in parts.netloc for c in "\\ \t\r\n"):
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme.lower()}://{host}{suffix}"


def _json_for_html(value: Any) -> str:
    """JSON that cannot close the block it sits in, nor be read as markup."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(
    *,
    message: dict[str, Any] | None,
    target_origin: str | None,
    text: str,
    frame_ancestors: list[str],
    status: int = 200,
) -> Response:
    """The page: posts `message` to the parent at `target_origin` (when both are given)
    and shows `text` to whoever opens it directly."""
    data = {"message": message, "target_origin": target_origin if message is not None else None}
    body = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        "<title>Chatplane accounts</title>"
        f'<script id="chatplane-message" type="application/json">{_json_for_html(data)}</script>'
        f"<script>{SCRIPT}</script>"
        f"</head><body><p>{html.escape(text)}</p></body></html>\n"
    )
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{SCRIPT_HASH}'; "
        "base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": csp,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
