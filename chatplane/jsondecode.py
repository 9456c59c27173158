"""Decoding a request's JSON (Web API body, RTM frame, Configuration API, accounts): the one
path every transport takes, refusing input nested deeper than `MAX_JSON_DEPTH`; and the
check that a request's envelope holds nothing but its known keys.

msgspec (like every C JSON parser) decodes nested arrays and objects by recursion: about
1,000 levels raise `RecursionError`, and how deep it gets before that depends on the stack
of the caller. So the depth is measured on the raw bytes first, with C-speed string
operations, and the limit holds whatever the caller's stack: a few thousand levels of
`[[[[...]]]]` are a `validation` error naming the limit, never an internal one. Bodies
with no more opening brackets than the limit (nearly every request) pass with two
`count` calls.
"""

from __future__ import annotations

import contextlib
import operator
import re
from itertools import accumulate, count
from typing import Any

import msgspec

from chatplane.errors import ApiError

# Arrays and objects nested in one another, counting the request's own envelope (a Web API
# body's `{"payload": ...}`, an RTM frame): no request of the spec comes near it.
MAX_JSON_DEPTH = 64

_decode = msgspec.json.Decoder().decode

# A JSON string, escapes included (the brackets inside strings are not nesting).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
# An opening bracket counts 2, a closing one 0: the prefix sum minus the prefix length
# is the depth after each bracket.
_WEIGHTS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


class TooDeep(ApiError):
    """A `validation` error: the JSON nests deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            "validation",
            f"JSON nested too deeply: at most {limit} levels of arrays and objects are allowed",
        )


def nesting_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep arrays and objects nest in `raw` (brackets inside strings do not count);
    any value up to `limit` when there are no more than `limit` opening brackets at all."""
    opening = (
        raw.count("[") + raw.count("{")
        if isinstance(raw, str)
        else (raw.count(b"[") + raw.count(b"{"))
    )
    if opening <= limit:
        return min(opening, limit)
    data = raw.encode() if isinstance(raw, str) else raw
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS).translate(_WEIGHTS)
    if not brackets:
        return 0
    return max(0, max(map(operator.sub, accumulate(brackets), count(1))))


def check_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    if nesting_depth(raw, limit) > limit:
        raise TooDeep(limit)


def decode(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of a request, or a `validation` error: malformed, or too deep."""
    check_depth(raw, limit)
    try:
        return _decode(raw)
    except msgspec.DecodeError as exc:
        raise ApiError("validation", f"Malformed JSON: {exc}") from None
    except RecursionError:  # unreachable past check_depth; kept so it can never be a 500
        raise TooDeep(limit) from None


# -- the request envelope ----------------------------------------------------------------


def refuse_unknown_keys(request: dict[str, Any], known: frozenset[str], shape: str) -> None:
    """A request's envelope holds only its known keys: anything else (a payload's fields
    sent without the envelope) is refused by name rather than silently dropped."""
    unknown = sorted(set(request) - known)
    if unknown:
        keys = ", ".join(f"`{k[:100]}`" for k in unknown)
        raise ApiError(
            "validation",
            f"Unknown top-level key{'s' if len(unknown) > 1 else ''} {keys}: a request is "
            f"{shape} (`author_id` optional); put the action's fields inside `payload`",
        )


# -- the envelope of a frame refused for its depth -----------------------------------------

_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{]+|[\]}]+')
_VALUE = re.compile(rb'\s*:\s*("[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)')


def top_level_scalars(raw: bytes | str, names: tuple[str, ...]) -> dict[str, Any]:
    """The string or number values of `names` among the keys of the top-level object of
    `raw`, read without decoding the rest (so that a refused RTM frame still answers with
    its `request_id` and `action`). A key missing or holding anything else is left out."""
    data = raw.encode() if isinstance(raw, str) else raw
    wanted = {f'"{n}"'.encode(): n for n in names}
    found: dict[str, Any] = {}
    depth = 0
    for m in _TOKEN.finditer(data):
        token = m.group()
        first = token[0]
        if first in b"[{":
            depth += len(token)
        elif first in b"]}":
            depth -= len(token)
        elif depth == 1 and token in wanted:
            value = _VALUE.match(data, m.end())
            if value is not None:
                with contextlib.suppress(msgspec.DecodeError):
                    found[wanted[token]] = _decode(value.group(1))
            if len(found) == len(names):
                break
    return found
