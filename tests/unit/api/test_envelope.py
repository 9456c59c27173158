"""The v3.0 Web API body is the envelope `{"payload": ..., "author_id": ...}`: any other
top-level key is refused by name, so a payload posted without its envelope is never
silently misread; the seed's v0.5 paths keep taking the bare payload."""

from __future__ import annotations

import json

import pytest

from chatplane.api.web import parse_envelope
from chatplane.errors import ApiError

START_CHAT = {"chat": {"thread": {"events": [{"type": "message", "text": "hi"}]}}}


def _body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_the_envelope_gives_payload_and_author() -> None:
    body = _body({"payload": START_CHAT, "author_id": "bot1"})
    assert parse_envelope(body) == (START_CHAT, "bot1")
    assert parse_envelope(_body({"payload": START_CHAT})) == (START_CHAT, None)
    assert parse_envelope(b"") == ({}, None)
    assert parse_envelope(b"{}") == ({}, None)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (START_CHAT, ["`chat`"]),
        ({"chat_id": "C1", "event": {"type": "message", "text": "x"}}, ["`chat_id`", "`event`"]),
        ({"payload": START_CHAT, "chat": {}}, ["`chat`"]),
        ({"payload": {}, "request_id": "r1"}, ["`request_id`"]),
    ],
)
def test_any_other_top_level_key_is_validation_naming_it(body: object, named: list[str]) -> None:
    with pytest.raises(ApiError) as caught:
        parse_envelope(_body(body))
    err = caught.value
    assert err.type == "validation" and err.status == 400
    for key in named:
        assert key in err.message, err.message
    assert '{"payload": {...}' in err.message, err.message


def test_the_seed_paths_take_the_bare_payload_or_the_envelope() -> None:
    assert parse_envelope(_body(START_CHAT), bare=True) == (START_CHAT, None)
    body = _body({"payload": START_CHAT, "author_id": "bot1"})
    assert parse_envelope(body, bare=True) == (START_CHAT, "bot1")
