"""What the v3.6 handlers share: times as v3.x writes them, and page ids.

A page id holds the query of the first request and where the next page starts, signed
with a key of this installation (HMAC-SHA256), bound to the caller and the action, and
good for a month (pagination: "The maximum duration of the `page_id` parameter before it
expires is one month"). A forged, altered, expired or foreign page id is a `validation`
error; so are `filters`, `limit` and `sort_order` sent with one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from chatplane.api.dispatch import Context
from chatplane.errors import validation

PAGE_TTL = 31 * 86400
_MAC_BYTES = 16
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def parse_time(name: str, value: str) -> float:
    """An RFC 3339 date-time (`2017-10-12T15:19:21.010200Z`, or with an offset) as UNIX
    seconds."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise validation(
            f"{name} {value!r} is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS.ssssss+HH:MM)"
        ) from None
    if parsed.tzinfo is None:
        raise validation(f"{name} {value!r} needs a time zone offset (or Z)")
    return parsed.timestamp()


@dataclass
class Page:
    """Where a paged request is: the query it asked (its first request's), and the
    offset of the page it wants."""

    query: dict[str, Any]
    offset: int

    @property
    def limit(self) -> int:
        return int(self.query["limit"])


async def _key(ctx: Context) -> bytes:
    return await ctx.services.secret("page_ids")


def _subject(ctx: Context, action: str) -> bytes:
    caller = ctx.caller
    return f"{action}\n{caller.license_id}\n{caller.user_type}\n{caller.user_id}\n".encode()


async def open_page(
    ctx: Context,
    action: str,
    page_id: str | None,
    query: dict[str, Any],
    given: Mapping[str, object],
) -> Page:
    """The page a request asks for: its own query from offset 0, or what `page_id`
    says. `given` holds the parameters a page id may not come with (set when not None)."""
    if page_id is None:
        return Page(query, 0)
    clashing = [name for name, value in given.items() if value is not None]
    if clashing:
        raise validation(
            f"{', '.join(clashing)} cannot be sent with page_id (the page id holds them)"
        )
    key = await _key(ctx)
    try:
        raw = base64.urlsafe_b64decode(page_id + "=" * (-len(page_id) % 4))
    except ValueError:
        raw = b""
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = hmac.new(key, _subject(ctx, action) + body, hashlib.sha256).digest()[:_MAC_BYTES]
    if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, expected):
        raise validation(f"page_id is not one this server gave out for {action}")
    data = _decode(body)
    if time.time() - float(data["t"]) > PAGE_TTL:
        raise validation("page_id has expired (page ids are good for a month)")
    return Page(dict(data["q"]), int(data["o"]))


async def page_ids(ctx: Context, action: str, page: Page, total: int, shown: int) -> dict[str, str]:
    """`next_page_id` / `previous_page_id` around a page that showed `shown` records of
    `total`."""
    key = await _key(ctx)
    subject = _subject(ctx, action)
    now = int(time.time())

    def make(offset: int) -> str:
        body = _encode({"q": page.query, "o": offset, "t": now})
        mac = hmac.new(key, subject + body, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")

    out: dict[str, str] = {}
    if page.offset + shown < total:
        out["next_page_id"] = make(page.offset + max(shown, 1))
    if page.offset > 0:
        out["previous_page_id"] = make(max(0, page.offset - page.limit))
    return out
