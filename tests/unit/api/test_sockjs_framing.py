"""SockJS frames (sockjs-protocol 0.3.3): what the server sends and how it reads the client's."""

from __future__ import annotations

import json

import pytest

from chatplane.api.transports.sockjs import (
    BrokenFraming,
    client_messages,
    close_frame,
    message_frame,
)


def test_message_frame_is_a_json_array_of_strings_with_mangled_characters_escaped() -> None:
    frame = message_frame(['{"a":"x\u2028y"}', "\ufff0\u200d"])
    assert frame.startswith("a[")
    assert "\u2028" not in frame and "\\u2028" in frame
    assert "\\ufff0" in frame and "\\u200d" in frame
    assert json.loads(frame[1:]) == ['{"a":"x\u2028y"}', "\ufff0\u200d"]


def test_close_frame_carries_the_code_and_its_reason() -> None:
    assert close_frame(1000) == 'c[1000,"Normal closure"]'
    assert close_frame(2010) == 'c[2010,"Another connection still open"]'
    assert close_frame(1002, "Broken framing") == 'c[1002,"Broken framing"]'


def test_client_frames_array_single_value_and_non_strings() -> None:
    assert client_messages('["a","b"]') == ["a", "b"]
    assert client_messages('"one"') == ["one"]
    # A non-string element is the JSON text of a message (the RTM API validates it).
    assert client_messages('[{"action":"ping"}, 42, 123456789012345678901234567890]') == [
        '{"action": "ping"}',
        "42",
        "123456789012345678901234567890",
    ]


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    assert client_messages('["a\\ud800b", "\\ud83d\\ude00"]') == ["a\ufffdb", "\U0001f600"]


@pytest.mark.parametrize("raw", ['["x', "", "[1,", b"\xff"])
def test_broken_json_is_broken_framing(raw: str | bytes) -> None:
    with pytest.raises(BrokenFraming):
        client_messages(raw)
