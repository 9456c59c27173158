"""Payloads for every registered action, derived from the msgspec struct that decodes it.

`minimal(action, ids)` is one deterministic payload that passes decoding (required fields
only, with the chat/thread/user ids given), `valid(action, ids)` a hypothesis strategy of
payloads that pass decoding, `mutants(payload)` the payload broken one field at a time,
and `fuzzed(action, ids)` a strategy mixing valid payloads, their mutations and random JSON.

The actions come from the app's registry (`chatplane.app.build_registry`) at run time, so an
action another branch wires is fuzzed and authorized-checked without editing these tests.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from hypothesis import strategies as st
from msgspec import inspect as mi

from chatplane.api import security_table
from chatplane.api.registry import Action
from chatplane.app import build_registry

REGISTRY = build_registry()

# Values that are JSON but rarely what a field wants.
ODD_STRINGS = ["", " ", "\x00", "é" * 3, "💬", "a" * 300, "../../etc/passwd", "<script>", "%s%n"]
ODD_NUMBERS = [0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308]


def actions(api: str, transport: str | None = None, version: str = "3.0") -> list[Action]:
    """Registered actions of one API in one version (served on `transport` when given)."""
    out = [a for a in REGISTRY.actions(version) if a.api == api]
    if transport == "web":
        out = [a for a in out if a.web]
    elif transport == "rtm":
        out = [a for a in out if a.rtm]
    return sorted(out, key=lambda a: a.name)


@dataclass
class Ids:
    """Real identifiers the payloads point at, so that requests reach past decoding."""

    chat_ids: list[str]
    thread_ids: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    token: str = "not-a-token"


def takes_chat(act: Action) -> bool:
    """The action names one chat (the same rule the security table uses)."""
    return security_table.takes_chat(act)


def _info(act: Action) -> mi.StructType | None:
    if act.payload_type is None:
        return None
    info = mi.type_info(act.payload_type)
    return info if isinstance(info, mi.StructType) else None


def _struct_of(t: mi.Type) -> mi.StructType | None:
    if isinstance(t, mi.StructType):
        return t
    if isinstance(t, mi.UnionType):
        for u in t.types:
            if isinstance(u, mi.StructType):
                return u
    return None


# -- one deterministic payload -------------------------------------------------------------


def minimal(act: Action, ids: Ids) -> dict[str, Any]:
    """Required fields only."""
    info = _info(act)
    if info is None:
        return {}
    return _min_struct(info, ids, (), every=False)


def full(act: Action, ids: Ids) -> dict[str, Any]:
    """Every field, optional ones too (so that mutations reach nested fields)."""
    info = _info(act)
    if info is None:
        return {}
    return _min_struct(info, ids, (), every=True)


def _min_struct(
    t: mi.StructType, ids: Ids, path: tuple[str, ...], every: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t.tag_field is not None:
        out[t.tag_field] = t.tag
    for f in t.fields:
        here = (*path, f.encode_name)
        special = _special(here, ids)
        if special is not _NONE:
            out[f.encode_name] = special
        elif f.required or every:
            out[f.encode_name] = _min_value(f.type, ids, here, every)
    return out


_NONE = object()


def _special(path: tuple[str, ...], ids: Ids) -> Any:
    name = path[-1]
    if name == "chat_id" or path[-2:] == ("chat", "id"):
        return ids.chat_ids[0]
    if name == "token":
        return f"Bearer {ids.token}"
    return _NONE


def _min_value(t: mi.Type, ids: Ids, path: tuple[str, ...], every: bool = False) -> Any:
    if isinstance(t, mi.StructType):
        return _min_struct(t, ids, path, every)
    if isinstance(t, mi.UnionType):
        # A message, when the union is the event union; else the first non-null member.
        for u in t.types:
            if isinstance(u, mi.StructType) and u.tag == "message":
                return _min_struct(u, ids, path, every)
        members = [u for u in t.types if not isinstance(u, mi.NoneType)]
        return _min_value(members[0], ids, path, every) if members else None
    if isinstance(t, mi.LiteralType):
        return sorted(t.values, key=str)[0]
    if isinstance(t, mi.StrType):
        if t.pattern:
            fits = [c for c in PATTERN_CANDIDATES if re.search(t.pattern, c)]
            return fits[0] if fits else "x"
        return "x" * max(1, t.min_length or 0)
    if isinstance(t, mi.IntType):
        return t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else 0)
    if isinstance(t, mi.FloatType):
        return t.ge if t.ge is not None else 0.0
    if isinstance(t, mi.BoolType):
        return False
    if isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        n = max(t.min_length or 0, 1 if every else 0)
        return [_min_value(t.item_type, ids, path, every) for _ in range(n)]
    if isinstance(t, mi.DictType):
        return {}
    return None


# -- strategies of decodable payloads --------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(ODD_NUMBERS),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


def valid(act: Action, ids: Ids) -> st.SearchStrategy[dict[str, Any]]:
    info = _info(act)
    if info is None:
        return st.dictionaries(st.text(max_size=12), json_values, max_size=4)
    return _struct_strategy(info, ids, ())


def _struct_strategy(
    t: mi.StructType, ids: Ids, path: tuple[str, ...]
) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    if t.tag_field is not None:
        required[t.tag_field] = st.just(t.tag)
    for f in t.fields:
        here = (*path, f.encode_name)
        strategy = _strategy(f.type, ids, here)
        real = _id_strategy(here, ids)
        if real is not None:
            strategy = real | strategy if here[-1] in ("user_id", "customer_id") else real
        (required if f.required else optional)[f.encode_name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def _id_strategy(path: tuple[str, ...], ids: Ids) -> st.SearchStrategy[Any] | None:
    name = path[-1]
    if name == "chat_id" or path[-2:] == ("chat", "id"):
        return st.sampled_from([*ids.chat_ids, "NOSUCHCHAT"])
    if name == "thread_ids":
        return st.lists(st.sampled_from([*ids.thread_ids, "NOSUCHTHREAD"]), max_size=3)
    if name in ("user_id", "customer_id") and ids.user_ids:
        return st.sampled_from([*ids.user_ids, "nobody@example.com"])
    if name == "token":
        return st.sampled_from([f"Bearer {ids.token}", ids.token, "Bearer x", "x"])
    return None


def _strategy(t: mi.Type, ids: Ids, path: tuple[str, ...]) -> st.SearchStrategy[Any]:
    if isinstance(t, mi.StructType):
        return _struct_strategy(t, ids, path)
    if isinstance(t, mi.UnionType):
        return st.one_of(*[_strategy(u, ids, path) for u in t.types])
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(sorted(t.values, key=str))
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.StrType):
        if t.pattern:
            return st.from_regex(re.compile(t.pattern), fullmatch=True)
        return st.text(min_size=t.min_length or 0, max_size=min(t.max_length or 60, 60)) | (
            st.sampled_from([s for s in ODD_STRINGS if _fits(s, t)] or ["x"])
        )
    if isinstance(t, mi.IntType):
        lo = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else -(2**63))
        hi = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else 2**63 - 1)
        return st.integers(min_value=lo, max_value=hi)
    if isinstance(t, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return st.lists(
            _strategy(t.item_type, ids, path),
            min_size=t.min_length or 0,
            max_size=min(t.max_length if t.max_length is not None else 4, 4),
        )
    if isinstance(t, mi.DictType):
        return st.dictionaries(
            st.text() if isinstance(t.key_type, mi.AnyType) else _strategy(t.key_type, ids, path),
            _strategy(t.value_type, ids, path),
            max_size=3,
        )
    return json_values


def _fits(s: str, t: mi.StrType) -> bool:
    return (t.min_length or 0) <= len(s) <= (t.max_length if t.max_length is not None else math.inf)


# -- mutations -----------------------------------------------------------------------------

PATTERN_CANDIDATES = [
    "2024-01-01",
    "00000000-0000-4000-8000-000000000000",
    "x",
    "0",
    "agent@example.com",
    "https://example.com/",
]
WRONG_TYPES: list[Any] = [None, 0, -1, 1.5, True, "", "x", [], {}, [1, "a"], {"k": "v"}, 2**64]


def mutants(payload: Any, wrong: list[Any] = WRONG_TYPES) -> list[Any]:
    """The payload broken one way at a time: each key dropped, each value of the wrong
    type, an unknown key added, and the whole payload replaced by non-objects."""
    out: list[Any] = [None, [], "payload", 7, True, [payload]]
    for path, _value in _walk(payload, ()):
        out.append(_replace(payload, path, _DROP))
        for value in wrong:
            out.append(_replace(payload, path, value))
    if isinstance(payload, dict):
        out.append({**payload, "unknown_field_zz": {"x": [1]}})
    return out


_DROP = object()


def _walk(value: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Any]]:
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found.append(((*path, k), v))
            found.extend(_walk(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.append(((*path, i), v))
            found.extend(_walk(v, (*path, i)))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    copy = msgspec.json.decode(msgspec.json.encode(value))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if new is _DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return copy


@st.composite
def _mutated(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    payload = draw(base)
    options = mutants(payload)
    return draw(st.sampled_from(options))


def fuzzed(act: Action, ids: Ids) -> st.SearchStrategy[Any]:
    """Decodable payloads, their mutations, and arbitrary JSON."""
    base = valid(act, ids)
    return st.one_of(
        base,
        _mutated(base),
        json_values,
        st.dictionaries(st.text(max_size=12), json_values, max_size=5),
    )


# -- nesting and size families ---------------------------------------------------------------
# Built as JSON text, not Python values: the encoders (json.dumps, msgspec) recurse as the
# server's decoder did, and a few thousand levels would break the client before the server.

# The server's limit (chatplane.jsondecode.MAX_JSON_DEPTH), counting the request envelope.
MAX_DEPTH = 64
DEPTHS = st.one_of(
    st.integers(min_value=1, max_value=MAX_DEPTH + 2),  # around the limit
    st.sampled_from([100, 999, 1_000, 1_001, 5_000, 50_000]),  # where decoders recurse out
)
SHAPES = ("array", "object", "mixed", "strings", "unclosed")


def nested_text(depth: int, shape: str) -> str:
    """A JSON value `depth` levels deep (`unclosed`: its closing brackets cut off)."""
    if shape == "array":
        return "[" * depth + "]" * depth
    if shape == "object":
        return '{"k":' * (depth - 1) + "{}" + "}" * (depth - 1)
    if shape == "mixed":
        opens = "".join('{"k":[' if i % 2 == 0 else "" for i in range(depth // 2))
        closes = "".join("]}" for _ in range(depth // 2))
        return opens + ("[]" if depth % 2 else "1") + closes
    if shape == "strings":  # brackets inside strings are text, not nesting
        return "[" * (depth - 1) + '"[[[{{\\"]]"' + "]" * (depth - 1) if depth > 1 else '"[{"'
    return "[" * depth


def text_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


@st.composite
def deep_payload(draw: st.DrawFn, act: Action, ids: Ids) -> str:
    """A payload of the action as JSON text, one of its fields (or the whole payload, or an
    unknown field) replaced by a deeply nested value."""
    base = full(act, ids) if draw(st.booleans()) else minimal(act, ids)
    depth, shape = draw(DEPTHS), draw(st.sampled_from(SHAPES))
    marker = "__NESTED_VALUE__"
    paths = [path for path, _ in _walk(base, ())]
    where = draw(st.sampled_from(["payload", "unknown", *(["field"] if paths else [])]))
    if where == "payload":
        return nested_text(depth, shape)
    if where == "unknown":
        template = {**base, "unknown_nested_zz": marker}
    else:
        template = _replace(base, draw(st.sampled_from(paths)), marker)
    return _json_text(template).replace(f'"{marker}"', nested_text(depth, shape))


# Sizes around the server's default limits (1 MiB bodies and frames).
SIZES = st.sampled_from([0, 1, 4_096, 65_536, 1_000_000, 1_048_000, 1_048_576, 1_100_000])
BULK_SHAPES = ("string", "array", "object", "digits")


def bulk_text(size: int, shape: str) -> str:
    """A JSON value about `size` bytes long."""
    if shape == "string":
        return _json_text("x" * size)
    if shape == "array":
        return "[" + ",".join(["0"] * max(1, size // 2)) + "]"
    if shape == "object":
        n = max(1, size // 12)
        return "{" + ",".join(f'"k{i:07d}":0' for i in range(n)) + "}"
    return "1" * max(1, min(size, 4_300))  # digits: Python refuses more by default


@st.composite
def big_payload(draw: st.DrawFn, act: Action, ids: Ids) -> str:
    """A payload of the action as JSON text with one field (or an unknown one) made big."""
    base = minimal(act, ids)
    marker = "__BULK_VALUE__"
    paths = [path for path, _ in _walk(base, ())]
    if paths and draw(st.booleans()):
        template = _replace(base, draw(st.sampled_from(paths)), marker)
    else:
        template = {**base, "unknown_bulk_zz": marker}
    bulk = bulk_text(draw(SIZES), draw(st.sampled_from(BULK_SHAPES)))
    return _json_text(template).replace(f'"{marker}"', bulk)


@st.composite
def multipart_fields(draw: st.DrawFn, act: Action, ids: Ids) -> tuple[dict[str, str], Any]:
    """(form fields, files) of a multipart body: the usual fields with nested or big text,
    too many fields, odd names, and files that are empty, big or missing."""
    file_field = "payload.image" if act.name == "upload_image" else "payload.file"
    fields: dict[str, str] = {"payload.chat_id": ids.chat_ids[0]}
    family = draw(st.sampled_from(["nested", "big", "many", "names"]))
    if family == "nested":
        name = draw(st.sampled_from(["payload.chat_id", "payload.custom_id", "author_id", "x"]))
        fields[name] = nested_text(draw(DEPTHS), draw(st.sampled_from(SHAPES)))
    elif family == "big":
        name = draw(st.sampled_from(["payload.chat_id", "payload.custom_id", "payload.zz"]))
        fields[name] = "x" * draw(st.sampled_from([1_000, 1_048_576, 2_000_000]))
    elif family == "many":
        for i in range(draw(st.sampled_from([19, 21, 500]))):
            fields[f"payload.f{i}"] = "v"
    else:
        name = draw(st.sampled_from(["", "payload.", "payload.[[[", "payload." + "a" * 5_000]))
        fields[name] = "v"
    files: Any = None
    size = draw(st.sampled_from([None, 0, 100, 1_000_000]))
    if size is not None:
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * size
        files = {file_field: (draw(st.sampled_from(["a.png", "", "[[[.png"])), png, "image/png")}
    return fields, files
