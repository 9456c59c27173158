"""The v3.0 Web API's success body (api/web.py `enveloped_body`): the response payload's own
fields and the same payload under `payload` (docs/decisions.md, "Web API responses")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatplane.api.web import enveloped_body


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"url": "https://chat.example/files/1/abc/a.png"},
        {"chats_summary": [{"id": "C1", "users": []}], "total_chats": 1},
        {"text": 'quotes " and } braces {', "n": [1, {"payload": 2}]},
    ],
)
def test_the_body_is_the_payload_with_the_payload_under_payload(payload: dict[str, Any]) -> None:
    body = json.loads(enveloped_body(payload))
    assert body == {**payload, "payload": payload}


def test_a_payload_with_its_own_payload_field_leaves_the_envelope_its_name() -> None:
    # No v3.0 response has one; were there one, clients reading `payload` get the payload.
    body = json.loads(enveloped_body({"payload": 1, "x": 2}))
    assert body == {"x": 2, "payload": {"payload": 1, "x": 2}}
