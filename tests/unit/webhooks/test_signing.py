"""Signature headers: a receiver can verify them and refuse replays."""

from __future__ import annotations

import hashlib
import hmac

from chatplane.webhooks import signing


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"action":"incoming_event"}'
    h = signing.headers("d-1", "incoming_event", "k", body, attempt=2, timestamp=1700000000)
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert h[signing.SIGNATURE_HEADER] == "v1=" + expected
    assert h[signing.DELIVERY_HEADER] == "d-1"
    assert h[signing.TIMESTAMP_HEADER] == "1700000000"
    assert h[signing.ATTEMPT_HEADER] == "2"


def test_verify_accepts_fresh_and_refuses_tampered_or_replayed() -> None:
    body = b"{}"
    ts = 1700000000
    sig = signing.signature("k", ts, body)
    assert signing.verify("k", body, str(ts), sig, now=ts + 10)
    assert not signing.verify("k", b"{ }", str(ts), sig, now=ts)
    assert not signing.verify("other", body, str(ts), sig, now=ts)
    assert not signing.verify("k", body, str(ts), sig, now=ts + 3600)  # a replay
    assert not signing.verify("k", body, "yesterday", sig, now=ts)
