"""The shared JSON decoding of requests: nesting past MAX_JSON_DEPTH is a `validation` error
naming the limit, measured on the raw bytes (strings do not count) whatever the caller's
stack, and a refused RTM frame can still be named by its request_id and action."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatplane import jsondecode
from chatplane.errors import ApiError
from chatplane.jsondecode import MAX_JSON_DEPTH, TooDeep, decode, nesting_depth, top_level_scalars


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


def nested(levels: int, leaf: str = "[]") -> str:
    return "[" * (levels - 1) + leaf + "]" * (levels - 1)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ ab:,', max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_the_measured_depth_is_the_depth_of_the_value(value: Any) -> None:
    raw = json.dumps(value)
    # limit 0 always takes the exact path; brackets and quotes inside strings do not count
    assert nesting_depth(raw, limit=0) == depth_of(value)
    assert nesting_depth(raw.encode(), limit=0) == depth_of(value)


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize("kind", ["array", "object"])
def test_nesting_past_the_limit_is_validation_naming_the_limit(levels: int, kind: str) -> None:
    if kind == "array":
        body = '{"payload": {"text": ' + nested(levels - 2) + "}}"
    else:
        body = '{"payload": ' + '{"a":' * (levels - 1) + "1" + "}" * levels
    assert nesting_depth(body) == levels
    for raw in (body, body.encode()):
        with pytest.raises(TooDeep) as caught:
            decode(raw)
        assert caught.value.type == "validation"
        assert f"at most {MAX_JSON_DEPTH} levels" in caught.value.message


def test_nesting_up_to_the_limit_decodes() -> None:
    body = nested(MAX_JSON_DEPTH)
    assert depth_of(decode(body)) == MAX_JSON_DEPTH


def test_the_limit_holds_however_deep_the_callers_stack_is() -> None:
    """msgspec's own limit is the interpreter's recursion limit minus the frames already
    in use: measured on the bytes, the answer does not depend on them."""
    within, beyond = nested(MAX_JSON_DEPTH), nested(900)

    def at_depth(n: int) -> tuple[Any, str]:
        if n:
            return at_depth(n - 1)
        try:
            decode(beyond)
        except TooDeep as exc:
            return decode(within), exc.message
        raise AssertionError("not refused")

    value, message = at_depth(700)
    assert depth_of(value) == MAX_JSON_DEPTH and "nested too deeply" in message


def test_brackets_inside_strings_do_not_count() -> None:
    text = "[" * 5_000 + '\\"{' * 100
    value = decode(json.dumps({"payload": {"text": text}}))
    assert value["payload"]["text"] == text


def test_malformed_json_is_validation() -> None:
    with pytest.raises(ApiError) as caught:
        decode(b'{"payload": ')
    assert caught.value.type == "validation" and caught.value.message.startswith("Malformed JSON")


def test_unclosed_brackets_past_the_limit_are_too_deep_not_malformed() -> None:
    with pytest.raises(TooDeep):
        decode("[" * 5_000)


def test_a_refused_frame_is_named_by_its_top_level_request_id_and_action() -> None:
    deep = nested(5_000)
    frame = (
        '{"payload": {"text": ' + deep + ', "action": "nested", "request_id": "inner"}, '
        '"request_id" : "r-1", "action":"send_event"}'
    )
    assert top_level_scalars(frame, ("request_id", "action")) == {
        "request_id": "r-1",
        "action": "send_event",
    }
    assert top_level_scalars('{"request_id": 7, "x": "action"}', ("request_id", "action")) == {
        "request_id": 7
    }
    assert top_level_scalars("[" * 100, ("request_id",)) == {}


def test_every_json_entry_point_decodes_through_the_shared_path() -> None:
    """Web API, RTM, Configuration API, accounts and the webhook admin endpoints take
    their JSON from jsondecode.decode, nowhere else (a new direct msgspec decode of a
    request would bring RecursionError back)."""
    from pathlib import Path

    root = Path(jsondecode.__file__).parent
    entry_points = [
        "api/web.py",
        "api/rtm.py",
        "api/configuration.py",
        "accounts/http.py",
        "api/webhooks_admin.py",
    ]
    for name in entry_points:
        text = (root / name).read_text()
        assert "jsondecode.decode(" in text, name
        assert "msgspec.json.decode(" not in text and "Decoder().decode" not in text, name
