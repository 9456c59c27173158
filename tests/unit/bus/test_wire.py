"""The Redis bus carries changes as data (bus/wire.py): every change type round-trips, and
anything else published on the channel -- another format version, a pickle, garbage,
changes of a newer version of Chatplane -- is logged and dropped, never executed."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import pickle
import types
import typing
from typing import Any

import msgspec
import pytest

from chatplane.bus import Origin, wire
from chatplane.domain import changes as changes_module
from chatplane.domain.changes import Change, CustomerUpdated, LastSeenUpdated
from chatplane.domain.models import Chat

# -- a sample of every change type, built from its fields' types --------------------------

JSONISH = {"text": "é💬", "n": [1, -2, 2**63 - 1, 1.5, None, True], "nested": {"k": ["v"]}}


def sample(tp: Any, name: str) -> Any:
    """A value of type `tp` (from a dataclass field's annotation) that no default equals."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return JSONISH
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        return sample(members[0], name)
    if dataclasses.is_dataclass(tp):
        return build(tp)
    if origin is list:
        return [sample(args[0], name), sample(args[0], name + "2")]
    if origin is dict:
        return {f"{name}-key": sample(args[1], name)}
    if origin is tuple:
        return tuple(sample(a, f"{name}{i}") for i, a in enumerate(args))
    if tp is str:
        return f"{name}-value"
    if tp is bool:
        return True
    if tp is int:
        return 41 + len(name)
    if tp is float:
        return 1234.5 + len(name)
    raise AssertionError(f"no sample for {tp!r} ({name}): teach the test, and the wire format")


def build(cls: Any) -> Any:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: sample(hints[f.name], f.name) for f in dataclasses.fields(cls)})


def every_change_type() -> list[type[Change]]:
    """Found independently of the wire module: the classes of domain/changes.py."""
    return [
        cls
        for _, cls in inspect.getmembers(changes_module, inspect.isclass)
        if issubclass(cls, Change) and cls.__module__ == changes_module.__name__
    ]


def test_the_wire_knows_every_change_type() -> None:
    assert set(wire.change_types().values()) == set(every_change_type())


@pytest.mark.parametrize("cls", every_change_type(), ids=lambda c: c.__name__)
def test_every_change_type_round_trips(cls: type[Change]) -> None:
    change = build(cls)
    origin = Origin("session-1", "request-1", (7, "agent", "a@example.com"))
    decoded = wire.decode(wire.encode([change], origin))
    assert decoded is not None
    assert decoded == ([change], origin)
    assert type(decoded[0][0]) is cls


def test_a_batch_keeps_its_order_and_an_empty_origin_round_trips() -> None:
    batch = [build(cls) for cls in every_change_type()]
    assert wire.decode(wire.encode(batch, Origin())) == (batch, Origin())


# -- what is dropped ----------------------------------------------------------------------

RAN: list[str] = []


def _ran() -> None:
    RAN.append("code ran")


class Exploit:
    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_ran, ())


def _message(**fields: Any) -> bytes:
    return msgspec.msgpack.encode(fields)


def _change(n: int) -> LastSeenUpdated:
    chat = Chat("C1", 1, None, {"group_ids": [0]}, {}, 0, None, None, 0.0, 0.0)
    return LastSeenUpdated(1, chat, None, f"user{n}", n)


@pytest.mark.parametrize(
    "data",
    [
        pickle.dumps(([Exploit()], Origin())),  # the old bus's format, or an attacker's
        b"",
        b"\xc1\xc1\xc1",
        b'{"v": 1, "changes": []}',
        _message(v=2, changes=[]),  # a future, incompatible format
        _message(changes=[]),  # no version
        _message(v=1, changes="not a list"),
        msgspec.msgpack.encode([1, 2, 3]),
    ],
    ids=["pickle", "empty", "garbage", "json", "v2", "no-version", "bad-changes", "array"],
)
def test_a_foreign_message_is_logged_and_dropped(
    data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="chatplane.bus.wire"):
        assert wire.decode(data) is None
    assert RAN == []
    assert "dropped a bus message" in caplog.text


def test_changes_of_a_newer_version_are_dropped_and_the_rest_delivered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rolling upgrade: an unknown change type, or a known one missing a field, is
    dropped; unknown fields of a known one are ignored."""
    known = msgspec.msgpack.encode(_change(1))
    with_extra = msgspec.msgpack.decode(msgspec.msgpack.encode(_change(2)))
    with_extra["added_in_a_later_version"] = {"x": 1}
    missing = msgspec.msgpack.decode(known)
    del missing["user_id"]
    data = _message(
        v=1,
        origin={"session_id": "s", "request_id": None, "user": None, "later": True},
        changes=[
            {"type": "LastSeenUpdated", "data": msgspec.Raw(known)},
            {"type": "ChangeFromTheFuture", "data": {"anything": 1}},
            {"type": "LastSeenUpdated", "data": missing},
            {"type": "LastSeenUpdated", "data": with_extra, "later": 1},
        ],
        later="ignored",
    )
    with caplog.at_level(logging.WARNING, logger="chatplane.bus.wire"):
        decoded = wire.decode(data)
    assert decoded == ([_change(1), _change(2)], Origin("s", None, None))
    assert "ChangeFromTheFuture" in caplog.text and "does not decode" in caplog.text


def test_customer_changes_carry_their_models() -> None:
    change = build(CustomerUpdated)
    decoded = wire.decode(wire.encode([change], Origin()))
    assert decoded is not None
    assert decoded[0][0].customer == change.customer  # type: ignore[attr-defined]
