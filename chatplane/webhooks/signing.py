"""Headers that let a receiver verify a webhook and refuse replays (docs/webhooks.md).

- `X-Chatplane-Delivery`: the delivery id, the same on every retry (drop duplicates);
- `X-Chatplane-Timestamp`: UNIX seconds when this attempt was sent;
- `X-Chatplane-Signature`: `v1=` + hex HMAC-SHA256, keyed with the webhook's `secret_key`,
  of `<timestamp>.<body>`; a receiver recomputes it and refuses old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import time

DELIVERY_HEADER = "X-Chatplane-Delivery"
TIMESTAMP_HEADER = "X-Chatplane-Timestamp"
SIGNATURE_HEADER = "X-Chatplane-Signature"
ATTEMPT_HEADER = "X-Chatplane-Attempt"
ACTION_HEADER = "X-Chatplane-Action"


def signature(secret_key: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret_key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers(
    delivery_id: str,
    action: str,
    secret_key: str,
    body: bytes,
    attempt: int,
    timestamp: int | None = None,
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: signature(secret_key, ts, body),
        ATTEMPT_HEADER: str(attempt),
        ACTION_HEADER: action,
    }


def verify(
    secret_key: str,
    body: bytes,
    timestamp_header: str,
    signature_header: str,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: a valid signature on a recent timestamp."""
    try:
        ts = int(timestamp_header)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        return False
    return hmac.compare_digest(signature(secret_key, ts, body), signature_header)
