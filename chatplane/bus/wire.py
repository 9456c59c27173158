"""The Redis bus's message format: committed changes as data, never as code.

A message is MessagePack (msgspec) of

    {"v": 1,
     "origin": {"session_id": ..., "request_id": ..., "user": [license_id, type, id] | null,
                "batch": "<publisher>:<n>" | null},
     "changes": [{"type": "EventAppended", "data": {...the dataclass's fields...}}, ...]}

`changes` is a tagged union of the change types of `chatplane.domain.changes`: `type` names
the class, `data` holds its fields (the models of `domain.models` nested as maps). Every
subclass of `Change` is a member, found by walking the class tree, so a new change type
travels without being listed here (tests/unit/bus/test_wire.py round-trips each one).

Two versions of Chatplane may share one Redis during a rolling upgrade, so decoding is
tolerant: unknown fields are ignored, a change of an unknown type (or whose fields do not
decode) is logged and dropped while the rest of its message is delivered, and a message
that is not of this format at all (another format version, a pickle of the older bus,
anything else published on the channel) is logged and dropped whole. Changing a field's
meaning or removing one needs a new `FORMAT_VERSION`; adding a field with a default, or a
new change type, does not.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import msgspec

from chatplane.bus.local import Origin
from chatplane.domain.changes import Change

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class _Origin(msgspec.Struct, forbid_unknown_fields=False):
    session_id: str | None = None
    request_id: str | None = None
    user: tuple[int, str, str] | None = None
    # The publication's name (bus/local.py `stamped`); older processes send none.
    batch: str | None = None


class _Change(msgspec.Struct, forbid_unknown_fields=False):
    type: str
    data: msgspec.Raw


class _Message(msgspec.Struct, forbid_unknown_fields=False):
    v: int
    origin: _Origin = msgspec.field(default_factory=_Origin)
    changes: list[_Change] = msgspec.field(default_factory=list)


def change_types() -> dict[str, type[Change]]:
    """Every change type by its tag (the class name): `Change` and all its subclasses."""
    found: dict[str, type[Change]] = {}
    pending: list[type[Change]] = [Change]
    while pending:
        cls = pending.pop()
        if cls.__name__ in found and found[cls.__name__] is not cls:
            raise RuntimeError(f"two change types named {cls.__name__}")
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


_encoder = msgspec.msgpack.Encoder()
_decode_message = msgspec.msgpack.Decoder(_Message).decode
_decoders: dict[str, msgspec.msgpack.Decoder[Any]] = {}


def encode(changes: Sequence[Change], origin: Origin) -> bytes:
    message = _Message(
        v=FORMAT_VERSION,
        origin=_Origin(origin.session_id, origin.request_id, origin.user, origin.batch),
        changes=[_Change(type(c).__name__, msgspec.Raw(_encoder.encode(c))) for c in changes],
    )
    return _encoder.encode(message)


def decode(data: bytes) -> tuple[list[Change], Origin] | None:
    """The changes and origin of a message; None (logged) when it is not one of ours."""
    try:
        message = _decode_message(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("dropped a bus message that is not a Chatplane change message: %s", exc)
        return None
    if message.v != FORMAT_VERSION:
        log.warning(
            "dropped a bus message of format version %r (this process reads %d)",
            message.v,
            FORMAT_VERSION,
        )
        return None
    changes: list[Change] = []
    for item in message.changes:
        decoder = _decoder(item.type)
        if decoder is None:
            log.warning("dropped a change of unknown type %r from the bus", item.type[:100])
            continue
        try:
            changes.append(decoder.decode(item.data))
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("dropped a %s change from the bus that does not decode: %s", item.type, exc)
    o = message.origin
    return changes, Origin(o.session_id, o.request_id, o.user, o.batch)


def _decoder(tag: str) -> msgspec.msgpack.Decoder[Any] | None:
    decoder = _decoders.get(tag)
    if decoder is None:
        cls = change_types().get(tag)
        if cls is None:
            return None
        decoder = _decoders[tag] = msgspec.msgpack.Decoder(cls)
    return decoder
