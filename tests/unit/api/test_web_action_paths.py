"""The Web API's action paths served on ASGI (api/web.py `ActionPaths`), their answers, and
bodies decoded straight into an action's struct (`typed_payload`): the same outcome as the
long way (`parse_envelope`, `decode_body`, `Action.decode`) or none at all."""

from __future__ import annotations

import asyncio
import json
import random
import re
from typing import Any

import msgspec
import pytest
from starlette.requests import Request

from chatplane.api.dispatch import may_be_unstorable
from chatplane.api.registry import decode_payload
from chatplane.api.web import (
    ActionPaths,
    Answer,
    error_answer,
    header_values,
    parse_envelope,
    typed_payload,
)
from chatplane.app import build_registry
from chatplane.errors import ApiError

CHAT = "PJ0MRSHTDG"
PAYLOADS: list[Any] = [
    {},
    {"chat_id": CHAT},
    {"chat_id": CHAT, "event": {"type": "message", "text": "hi"}},
    {"chat_id": CHAT, "event": {"type": "message", "text": "hi", "visibility": "agents"}},
    {"chat_id": CHAT, "event": {"type": "message", "text": "hi"}, "attach_to_last_thread": True},
    {"chat_id": CHAT, "event": {"type": "message"}},
    {"chat_id": CHAT, "event": {"type": "custom", "content": {"a": [1, 2]}}},
    {"chat_id": CHAT, "event": {"type": "message", "text": 5}},
    {"chat_id": CHAT, "event": {"type": "message", "text": "hi"}, "unknown": 1},
    {"chat_id": 1},
    {"id": CHAT},
    {"ids": ["a", "b"]},
    {"chat": {"users": [{"id": "a", "type": "customer"}]}},
    {"chat_id": CHAT, "thread_id": "T1", "event_id": "E1"},
    {"chat_id": CHAT, "properties": {"ns": {"key": "value"}}},
    {"group_id": 1, "agent_ids": ["a@example.com"]},
    {"customer_id": "c", "timestamp": 1_700_000_000},
    {"status": "accepting_chats"},
    {"name": "tag", "group_id": 0},
    [],
    None,
]


def _long_way(body: bytes, act: Any, enveloped: bool) -> tuple[Any, str | None] | ApiError:
    try:
        if enveloped:
            payload, author_id = parse_envelope(body)
        else:
            payload, author_id = json.loads(body), None
        return decode_payload(payload, act.payload_type), author_id
    except ApiError as err:
        return err


def _bodies(payload: Any) -> list[tuple[bytes, bool]]:
    return [
        (json.dumps({"payload": payload}).encode(), True),
        (json.dumps({"payload": payload, "author_id": "bot"}).encode(), True),
        (json.dumps({"payload": payload, "author_id": 7}).encode(), True),
        (json.dumps({"payload": payload, "extra": 1}).encode(), True),
        (json.dumps(payload).encode(), False),
    ]


def test_a_typed_body_is_what_the_long_way_decodes_for_every_action() -> None:
    taken = 0
    for act in build_registry().actions():
        if not (
            isinstance(act.payload_type, type) and issubclass(act.payload_type, msgspec.Struct)
        ):
            continue
        for payload in PAYLOADS:
            for body, enveloped in _bodies(payload):
                fast = typed_payload(body, act.payload_type, enveloped)
                if fast is None:
                    continue
                taken += 1
                assert fast == _long_way(body, act, enveloped), (act.api, act.name, body)
    assert taken > 100  # the fast way is taken for most bodies the long way accepts


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b'{"payload": null}',
        b'{"payload": {"chat_id": "A\\u0000", "event": {"type": "message", "text": "x"}}}',
        b'{"payload": {"chat_id": "A", "event": {"type": "message", "text": "x"}}, "n": '
        + b"1" * 19
        + b"}",
        b'{"payload": ' + b"[" * 70 + b"]" * 70 + b"}",
        b'{"payload": {"chat_id": "A", "event": {"type": "message", "text": "x"}}',
        b'{"chat_id": "A", "event": {"type": "message", "text": "x"}}',
    ],
)
def test_the_long_way_decides_what_is_not_plainly_a_payload(body: bytes) -> None:
    act = next(a for a in build_registry().actions("3.0") if a.name == "send_event")
    assert typed_payload(body, act.payload_type, enveloped=True) is None


def test_an_action_without_a_struct_takes_the_long_way() -> None:
    assert typed_payload(b'{"payload": {}}', None, enveloped=True) is None
    assert typed_payload(b"{}", dict, enveloped=False) is None


# -- answers -------------------------------------------------------------------------------


def _sent(answer: Answer) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(answer.send(send))
    return messages


def test_an_answer_sends_what_its_response_would() -> None:
    err = ApiError("too_many_requests", "slow down", data={"retry_after": 2.4})
    for answer in (
        Answer(200, b'{"a":1}'),
        error_answer(err),
        error_answer(ApiError("validation", "use POST", status=405), allow="GET"),
    ):
        start, body = _sent(answer)
        response = answer.response()
        assert start == {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
        assert body == {"type": "http.response.body", "body": response.body}


def test_error_answers_carry_retry_after_and_allow() -> None:
    limited = error_answer(ApiError("too_many_requests", "x", data={"retry_after": 0.2}))
    assert (b"retry-after", b"1") in limited.headers
    assert (b"allow", b"GET") in error_answer(
        ApiError("validation", "x", status=405), "GET"
    ).headers
    assert error_answer(ApiError("validation", "x"), "GET").headers == ()


# -- which requests the action paths take ----------------------------------------------------


def _scope(path: str, method: str = "POST", **extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "headers": [], **extra}


def _paths(served: list[str]) -> ActionPaths:
    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        served.append("starlette")

    async def serve(request: Any, action: str) -> Answer:
        served.append(f"fast:{action}")
        return Answer(200, b"{}")

    paths = ActionPaths(fallback)
    paths.add("/v3.0/agent/action/", serve, frozenset({"send_file"}))
    return paths


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (_scope("/v3.0/agent/action/send_event"), "fast:send_event"),
        (_scope("/v3.0/agent/action/no_such_action"), "fast:no_such_action"),
        (_scope("/v3.0/agent/action/send_file"), "starlette"),  # multipart
        (_scope("/v3.0/agent/action/send_event", "OPTIONS"), "starlette"),  # preflight
        (_scope("/v3.0/agent/action/send_event", "GET"), "starlette"),  # 405
        (_scope("/v3.0/agent/action/"), "starlette"),
        (_scope("/v3.0/agent/action/send_event/"), "starlette"),
        (_scope("/v3.0/agent/action/send_event", root_path="/chat"), "starlette"),
        (_scope("/v3.0/customer/action/send_event"), "starlette"),
        ({"type": "websocket", "path": "/v3.0/agent/action/x", "headers": []}, "starlette"),
    ],
)
def test_the_action_paths_take_only_their_posts(scope: dict[str, Any], expected: str) -> None:
    served: list[str] = []
    paths = _paths(served)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        pass

    asyncio.run(paths(scope, receive, send))
    assert served == [expected]


def test_the_middleware_wraps_what_the_action_paths_serve() -> None:
    wrapped: list[str] = []

    def wrap(app: Any) -> Any:
        async def middleware(scope: Any, receive: Any, send: Any) -> None:
            wrapped.append(scope["path"])
            await app(scope, receive, send)

        return middleware

    served: list[str] = []

    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        served.append("starlette")

    async def serve(request: Any, action: str) -> Answer:
        served.append(action)
        return Answer(200, b"{}")

    paths = ActionPaths(fallback, wrap=wrap)
    paths.add("/v3.6/agent/action/", serve, frozenset())

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        pass

    asyncio.run(paths(_scope("/v3.6/agent/action/send_event"), receive, send))
    asyncio.run(paths(_scope("/healthz", "GET"), receive, send))
    assert wrapped == ["/v3.6/agent/action/send_event"]
    assert served == ["send_event", "starlette"]


# -- the glance before refuse_unstorable's walk ----------------------------------------------


def test_may_be_unstorable_sees_what_a_digit_run_regex_sees() -> None:
    rng = random.Random(19)
    alphabet = '0123456789 "{}[]:,-.eu\\ab٣'
    long_number = re.compile(r"[0-9]{19}")
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        if rng.random() < 0.3:
            text += "9" * rng.randint(17, 20)
        expected = "\\u0000" in text or long_number.search(text) is not None
        assert may_be_unstorable(text) == expected, text
        assert may_be_unstorable(text.encode()) == expected, text


def test_may_be_unstorable_finds_nul_and_long_numbers() -> None:
    assert may_be_unstorable(b'{"a": "x\\u0000"}')
    assert may_be_unstorable('{"a": 1234567890123456789}')
    assert not may_be_unstorable('{"a": 123456789012345678, "b": "٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣"}')


def test_header_values_answer_what_starlette_headers_answer() -> None:
    raw = [
        (b"authorization", b"Bearer one"),
        (b"x-author-id", b"bot-1"),
        (b"authorization", b"Bearer two"),
        (b"user-agent", b"caf\xe9"),
    ]
    request = Request({"type": "http", "headers": raw})
    values = header_values(request)
    for name in ("authorization", "x-author-id", "X-Author-Id", "user-agent", "idempotency-key"):
        assert values.get(name.lower()) == request.headers.get(name)
