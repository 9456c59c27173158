"""No input brings the server down: every registered action, through the Web API and RTM,
answers arbitrary and mutated payloads with a success or an error of a spec type (never
`internal`, never a 5xx, never a dropped connection), and a refused request changes nothing.

Two fuzzers share one check:
- a sweep, for every action on every transport: its minimal and full payloads and each of
  them broken one field at a time (dropped, wrong type) -- every action is covered whatever
  hypothesis happens to draw;
- hypothesis, per API and transport: an action, then a payload drawn from its msgspec
  struct, a mutation of one, or arbitrary JSON; plus raw bodies and frames that are not
  even JSON envelopes.

Run lengths: CHATPLANE_FUZZ_EXAMPLES (hypothesis examples per API and transport) and
CHATPLANE_FUZZ_SWEEP (inputs per action in the sweep); CI=true takes the short setting.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .clients import Rtm, Web
from .conftest import FIGURES, Lab, budget, chat_state
from .payloads import (
    MAX_DEPTH,
    Action,
    Ids,
    actions,
    big_payload,
    deep_payload,
    full,
    fuzzed,
    minimal,
    multipart_fields,
    mutants,
    text_depth,
)

TRANSPORTS = [("agent", "web"), ("agent", "rtm"), ("customer", "web"), ("customer", "rtm")]
EXAMPLES = budget("fuzz_examples", ci=60, local=400)
# Requests of up to a few MB each: fewer of them.
BIG_EXAMPLES = budget("fuzz_big_examples", ci=15, local=80)
SWEEP = budget("fuzz_sweep", ci=12, local=10_000)
SWEEP_WRONG = [None, 0, "x", [], {}]


class Target:
    """One API over one transport, as the lab's owner (agent API) or customer c1."""

    def __init__(self, lab: Lab, api: str, transport: str) -> None:
        self.lab = lab
        self.api = api
        self.transport = transport
        self.token = lab.owner_a if api == "agent" else lab.c1
        self.web = Web(lab.server.base_url)
        self.rtm: Rtm | None = None
        if transport == "rtm":
            query = "" if api == "agent" else f"?license_id={lab.license_a}"
            self.rtm = Rtm(f"{lab.server.ws_base}/v3.0/{api}/rtm/ws{query}", self.token)
        # Chats watched for changes, and who may read them in full.
        self.readers = {
            lab.c1_chat: lab.owner_a,
            lab.c2_chat: lab.owner_a,
            lab.b_chat: lab.owner_b,
        }
        self.ids = Ids(
            chat_ids=[lab.c1_chat, lab.c2_chat, lab.b_chat],
            thread_ids=[lab.c1_thread],
            user_ids=[lab.c1_id, lab.owner_a_id],
            token=self.token,
        )
        self.baseline: dict[str, Any] = {}
        self.tried = 0

    def close(self) -> None:
        self.web.close()
        if self.rtm is not None:
            self.rtm.close()

    def send(self, act: Action, payload: Any) -> tuple[bool, Any]:
        self.tried += 1
        FIGURES[f"fuzz inputs, {self.api} {self.transport}"] += 1
        if self.rtm is not None:
            ok, body = self.rtm.send(act.name, payload)
            if ok and act.name == "logout":
                self.rtm.connect()
            return ok, body
        license_id = self.lab.license_a if self.api == "customer" else None
        return self.web.send(self.api, act.name, self.token, payload, license_id=license_id)

    def envelope(self, act: Action, payload_text: str) -> str:
        """The request as sent (JSON text): the Web API envelope, the Configuration API's
        bare body, or the RTM frame."""
        if self.rtm is not None:
            head = f'{{"request_id": "raw-{self.tried}", "action": "{act.name}", "payload": '
            return head + payload_text + "}"
        if act.api == "configuration":
            return payload_text
        return '{"payload": ' + payload_text + "}"

    def send_text(self, act: Action, payload_text: str) -> tuple[bool, Any]:
        """Send a payload given as JSON text (too deep or too big for a Python encoder)."""
        self.tried += 1
        FIGURES[f"fuzz inputs, {self.api} {self.transport}"] += 1
        request = self.envelope(act, payload_text)
        if self.rtm is not None:
            ok, body = self.rtm.send(act.name, raw=request)
            if ok and act.name == "logout":
                self.rtm.connect()
            return ok, body
        license_id = self.lab.license_a if self.api == "customer" else None
        return self.web.send(
            self.api, act.name, self.token, content=request.encode(), license_id=license_id
        )

    def watched(self, payload: Any) -> str:
        """The chat a request names, when it is one of the watched ones (else c1's chat)."""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        for chat_id in self.readers:
            if chat_id in text:
                return chat_id
        return self.lab.c1_chat

    def state(self, chat_id: str) -> Any:
        return chat_state(self.lab.http, self.readers[chat_id], chat_id)

    def check(self, act: Action, payload: Any, *, text: bool = False) -> tuple[bool, Any]:
        """Send (`text`: a payload given as JSON text); a refused request left the chat it
        names as it was."""
        chat_id = self.watched(payload)
        if chat_id not in self.baseline:
            self.baseline[chat_id] = self.state(chat_id)
        ok, body = self.send_text(act, payload) if text else self.send(act, payload)
        if ok:
            self.baseline.clear()  # a success may change any chat
            return ok, body
        after = self.state(chat_id)
        assert after == self.baseline[chat_id], (
            f"{self.api}/{act.name} over {self.transport} failed with {body!r} "
            f"but changed chat {chat_id}: payload {str(payload)[:2000]!r}"
        )
        return ok, body


@pytest.fixture(params=TRANSPORTS, ids=lambda p: f"{p[0]}-{p[1]}")
def target(request: pytest.FixtureRequest, lab: Lab) -> Iterator[Target]:
    api, transport = request.param
    t = Target(lab, api, transport)
    try:
        yield t
    finally:
        t.close()


def _sweep_cases() -> list[Any]:
    return [
        pytest.param(api, transport, act.name, id=f"{api}-{transport}-{act.name}")
        for api, transport in TRANSPORTS
        for act in actions(api, transport)
    ]


def _inputs(act: Action, ids: Ids) -> list[Any]:
    seen: set[str] = set()
    out: list[Any] = []
    for base in (minimal(act, ids), full(act, ids)):
        for payload in [base, *mutants(base, SWEEP_WRONG)]:
            key = json.dumps(payload, sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append(payload)
    if len(out) > SWEEP:
        out = out[:2] + random.Random(act.name).sample(out[2:], SWEEP - 2)
    return out


@pytest.mark.parametrize(("api", "transport", "name"), _sweep_cases())
def test_every_action_answers_broken_payloads_with_spec_errors(
    lab: Lab, api: str, transport: str, name: str
) -> None:
    t = Target(lab, api, transport)
    try:
        act = next(a for a in actions(api, transport) if a.name == name)
        for payload in _inputs(act, t.ids):
            t.check(act, payload)
        assert t.rtm is None or t.rtm.send("ping", {})[0]
    finally:
        t.close()


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


@FUZZ_SETTINGS
@given(data=st.data())
def test_arbitrary_payloads_get_a_success_or_a_spec_error(target: Target, data: Any) -> None:
    acts = actions(target.api, target.transport)
    act = data.draw(st.sampled_from(acts), label="action")
    payload = data.draw(fuzzed(act, target.ids), label="payload")
    target.check(act, payload)


raw_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    raw_json.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["payload", "author_id", "action", "request_id", "x"]), raw_json
    ).map(lambda v: json.dumps(v).encode()),
)


@FUZZ_SETTINGS
@given(data=st.data())
def test_raw_bodies_and_frames_get_a_spec_error(target: Target, data: Any) -> None:
    """Bodies and frames that are not a well-formed request (not JSON, not an object, an
    envelope with odd keys) are answered with an error, and the connection stays usable."""
    body = data.draw(raw_bodies, label="body")
    FIGURES[f"fuzz inputs, {target.api} {target.transport}"] += 1
    if target.rtm is not None:
        frame = body.decode("utf-8", errors="replace")
        target.rtm.send("?", raw=frame)
        assert target.rtm.send("ping", {})[0]
        return
    act = data.draw(st.sampled_from(actions(target.api, "web")), label="action")
    license_id = target.lab.license_a if target.api == "customer" else None
    target.web.send(target.api, act.name, target.token, content=body, license_id=license_id)


# -- nesting and size: JSON no decoder should recurse into, and bodies around the limits --

BIG_SETTINGS = settings(FUZZ_SETTINGS, max_examples=BIG_EXAMPLES)


def json_actions(target: Target) -> list[Action]:
    """The actions whose body is JSON (multipart ones have a family of their own)."""
    return [a for a in actions(target.api, target.transport) if not a.multipart]


# The lab server's max_body_bytes and max_frame_bytes (the defaults).
MAX_BYTES = 1_048_576


@FUZZ_SETTINGS
@given(data=st.data())
def test_deep_nesting_is_refused_naming_the_limit(target: Target, data: Any) -> None:
    """Any field (or the payload, or an unknown field) nested from 1 to 50,000 levels:
    past the server's limit (64, counting the envelope) a `validation` error naming it,
    and the same request id and action over RTM; within it, a success or a spec error."""
    act = data.draw(st.sampled_from(json_actions(target)), label="action")
    payload = data.draw(deep_payload(act, target.ids), label="payload")
    depth = text_depth(target.envelope(act, payload))
    ok, body = target.check(act, payload, text=True)
    if depth > MAX_DEPTH:
        assert not ok and body["error"]["type"] == "validation", body
        assert "nested too deeply" in body["error"]["message"], body
    if target.rtm is not None:
        assert target.rtm.send("ping", {})[0]


@BIG_SETTINGS
@given(data=st.data())
def test_big_bodies_are_refused_as_too_large_or_answered(target: Target, data: Any) -> None:
    """Strings, arrays, objects and numbers from nothing to past the 1 MiB limit in any
    field: over the limit `entity_too_large`, under it a success or a spec error."""
    act = data.draw(st.sampled_from(json_actions(target)), label="action")
    payload = data.draw(big_payload(act, target.ids), label="payload")
    size = len(target.envelope(act, payload).encode())
    ok, body = target.check(act, payload, text=True)
    if size > MAX_BYTES:
        assert not ok and body["error"]["type"] == "entity_too_large", body
    if target.rtm is not None:
        assert target.rtm.send("ping", {})[0]


MULTIPART = [
    pytest.param(api, act.name, id=f"{api}-{act.name}")
    for api in ("agent", "customer")
    for act in actions(api, "web")
    if act.multipart
]


@pytest.mark.parametrize(("api", "name"), MULTIPART)
@BIG_SETTINGS
@given(data=st.data())
def test_multipart_bodies_with_nested_big_and_odd_fields_get_spec_answers(
    lab: Lab, api: str, name: str, data: Any
) -> None:
    t = Target(lab, api, "web")
    try:
        act = next(a for a in actions(api, "web") if a.name == name)
        fields, files = data.draw(multipart_fields(act, t.ids), label="multipart")
        FIGURES[f"fuzz inputs, {api} multipart"] += 1
        license_id = lab.license_a if api == "customer" else None
        t.web.send(api, name, t.token, data=fields, files=files, license_id=license_id)
    finally:
        t.close()
