"""A page of events in the v3.0 and v3.6 shapes: `events` builds the common message in one
dict display (api/v3_0/serialize.py, api/v3_6/serialize.py); every event must come out
exactly as `event` renders it, key order included, for each viewer. And `rfc3339`, which
formats from a cache of seconds, gives datetime's text."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import msgspec
import pytest

from chatplane.api.v3_0 import serialize as v30
from chatplane.api.v3_5.serialize import SHAPES as SHAPES_35
from chatplane.api.v3_6.customer_shapes import CustomerShapes
from chatplane.api.v3_6.serialize import SHAPES, Shapes, rfc3339
from chatplane.domain import properties
from chatplane.domain.models import Event
from chatplane.domain.viewer import View


def _events() -> list[Event]:
    """Every combination of what changes an event's shape."""
    out = []
    combos = itertools.product(
        ("message", "system_message", "file"),
        (None, "custom-1"),
        (None, "agent@example.com"),
        (None, "hello"),
        ({}, {"url": "https://example.com/f.png", "text": "from the body"}),
        ({}, {"test": {"string_property": "gold"}}),
        ("all", "agents"),
        (None, 1_700_000_100.5),
    )
    for n, (kind, custom, author, text, body, props, to, gone) in enumerate(combos):
        out.append(
            Event(
                f"e{n}",
                "C1",
                "T1",
                n,
                kind,
                author,
                to,
                custom,
                text,
                dict(body),
                dict(props),
                1_700_000_000.123456 + n,
                gone,
            )
        )
    return out


EVENTS = _events()
CONFIGS = properties.builtin_configs()


def _views() -> list[View]:
    return [
        View("agent", CONFIGS, role=role) for role in ("owner", "administrator", "normal", None)
    ] + [View("customer", CONFIGS)]


def _encoded(value: Any) -> bytes:
    # Bytes compare the key order too.
    return msgspec.json.encode(value)


@pytest.mark.parametrize("view", _views(), ids=lambda v: f"{v.user_type}-{v.role}")
def test_v3_0_page_events_render_as_event_does(view: View) -> None:
    want = [v30.event(view, e) for e in EVENTS if view.agent or e.recipients == "all"]
    assert _encoded(v30.events(view, EVENTS)) == _encoded(want)


@pytest.mark.parametrize("shapes", [SHAPES, SHAPES_35, CustomerShapes()], ids=type)
@pytest.mark.parametrize("view", _views(), ids=lambda v: f"{v.user_type}-{v.role}")
def test_v3_6_page_events_render_as_event_does(shapes: Shapes, view: View) -> None:
    want = [shapes.event(view, e) for e in EVENTS if view.agent or e.recipients == "all"]
    assert _encoded(shapes.events(view, EVENTS)) == _encoded(want)


def _datetime_text(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_rfc3339_is_datetimes_text() -> None:
    rng = random.Random(3339)
    stamps = [rng.uniform(0, 4e9) for _ in range(20_000)]
    stamps += [rng.uniform(1.7e9, 1.7e9 + 60) for _ in range(5_000)]
    # Halves of a microsecond round to even, and .9999995 carries into the next second.
    stamps += [s + k * 0.5e-6 for s in (0.0, 1.0, 1e9, 1_700_000_000.0) for k in range(-3, 4)]
    stamps += [1.0000005, 1.0000015, 1e9 + 0.9999995, 1_765_000_000.9999996, 59.9999999]
    # Before 1970 and past 9999 go through datetime itself.
    stamps += [-0.5, -86_400.25, 253402300799.5]
    for ts in stamps:
        if ts < 0 or ts >= 253402300800:
            continue
        assert rfc3339(ts) == _datetime_text(ts), ts
    assert rfc3339(-86_400.25) == _datetime_text(-86_400.25)
