"""Idempotency keys: what a write returned survives the round trip through storage, and a
key means one request."""

from __future__ import annotations

import pytest

from chatplane.api import idempotency
from chatplane.api.push_samples import samples
from chatplane.api.registry import Action
from chatplane.domain import changes as ch
from chatplane.errors import ApiError


async def _handler(_ctx: object, _p: object) -> None:
    return None


ACT = Action("agent", "send_event", _handler, None, version="3.0")


def test_domain_results_round_trip_exactly() -> None:
    for change in samples():
        if isinstance(change, ch.ChatChange):
            value = (change.chat, [change.chat.users[0]], {"n": 1}, None, frozenset({"a"}))
            assert idempotency.decode_value(idempotency.encode_value(value)) == value
    thread_started = next(c for c in samples() if isinstance(c, ch.ThreadStarted))
    pair = (thread_started.chat, thread_started.thread)
    back = idempotency.decode_value(idempotency.encode_value(pair))
    assert back == pair
    assert type(back[0]) is type(pair[0])


def test_a_result_of_an_unknown_type_is_not_kept() -> None:
    class Secret:
        pass

    with pytest.raises(idempotency.NotReplayable):
        idempotency.encode_value(Secret())
    # Decoding names only the allowed classes.
    with pytest.raises(KeyError):
        idempotency.decode_value({"$dc": "Secret", "fields": {}})


def test_the_fingerprint_changes_with_the_request_but_not_with_key_order() -> None:
    a = idempotency.fingerprint(ACT, {"chat_id": "X", "event": {"text": "a", "type": "m"}}, None)
    b = idempotency.fingerprint(ACT, {"event": {"type": "m", "text": "a"}, "chat_id": "X"}, None)
    assert a == b
    assert a != idempotency.fingerprint(ACT, {"chat_id": "Y"}, None)
    assert a != idempotency.fingerprint(
        ACT, {"chat_id": "X", "event": {"text": "a", "type": "m"}}, "bot"
    )


@pytest.mark.parametrize("bad", [None, 7, "", "x" * 256, "new\nline"])
def test_malformed_keys_are_validation_errors(bad: object) -> None:
    with pytest.raises(ApiError) as err:
        idempotency.check_key(bad, "The Idempotency-Key header")
    assert err.value.type == "validation"
    assert "Idempotency-Key" in err.value.message
