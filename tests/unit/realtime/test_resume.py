"""Resumable sessions where the rules live: the push log, the login's request, holding a
login's pushes, and detached sessions in the hub."""

from __future__ import annotations

import time

import msgspec

from chatplane.domain.models import AGENT, Principal
from chatplane.realtime import resume
from chatplane.realtime.hub import Hub, Session


def test_a_log_numbers_pushes_and_gives_what_followed_a_seq() -> None:
    log = resume.PushLog("p.k", cap=3, window=60)
    for i in range(3):
        assert log.append(f'{{"n":{i}}}', f"b/{i}") == i + 1
    assert [k.seq for k in log.after(1) or []] == [2, 3]
    assert log.after(3) == []
    assert log.after(4) is None  # a seq never given
    log.append('{"n":3}', None)  # the cap drops the oldest
    assert log.after(0) is None and [k.seq for k in log.after(1) or []] == [2, 3, 4]


def test_a_log_keeps_nothing_older_than_its_window() -> None:
    log = resume.PushLog("p.k", cap=100, window=0.05)
    log.append("{}", None)
    time.sleep(0.06)
    log.append("{}", None)
    assert log.after(0) is None
    assert [k.seq for k in log.after(1) or []] == [2]


def test_a_push_frame_gets_its_resume_field() -> None:
    frame = resume.with_resume('{"action":"x","type":"push","payload":{}}', "p.k", 7)
    assert msgspec.json.decode(frame)["resume"] == {"session_id": "p.k", "seq": 7}


def test_the_login_request_is_checked() -> None:
    assert resume.parse_request({"session_id": "a.b", "seq": 2}) == resume.ResumeRequest("a.b", 2)
    for bad in (None, [], {"seq": 1}, {"session_id": "a", "seq": -1}, {"session_id": 1, "seq": 1}):
        assert isinstance(resume.parse_request(bad), str)
    assert isinstance(resume.parse_request({"session_id": "a", "seq": True}), str)


def _session(sent: list[str]) -> Session:
    async def send_text(text: str) -> None:
        sent.append(text)

    async def close(_code: int) -> None:
        return None

    s = Session(api=AGENT, send_text=send_text, close=close)
    s.principal = Principal(1, AGENT, "a@x", "app", frozenset())
    return s


def _queued(session: Session) -> list[dict]:
    out = []
    while not session._queue.empty():
        text = session._queue.get_nowait()
        if text is not None:
            out.append(msgspec.json.decode(text))
    return out


def test_held_pushes_follow_the_replay_once_and_in_order() -> None:
    session = _session([])
    session.hold()
    session.push('{"n":"live-dup"}', "b/1")  # arrived while the old session was handed over
    session.push('{"n":"live"}', "b/2")
    session.log = resume.PushLog("p.new", cap=10, window=60)
    session.send('{"type":"response"}')
    session.release([('{"n":"missed"}', "b/0"), ('{"n":"live-dup"}', "b/1")])
    frames = _queued(session)
    assert [f.get("n") for f in frames] == [None, "missed", "live-dup", "live"]
    assert [f["resume"]["seq"] for f in frames[1:]] == [1, 2, 3]


def test_a_detached_session_keeps_pushes_without_sending_and_expires() -> None:
    hub = Hub()
    session = _session([])
    session.log = resume.PushLog("p.k", cap=10, window=60)
    hub.register(session)
    hub.unregister(session)
    hub.detach(session, time.monotonic() + 60, max_detached=10)
    assert hub.targets_of(1, AGENT, "a@x") == {session}
    assert hub.agent_targets(1) == {session}
    assert not hub.is_online(1, "a@x")  # presence does not count it
    session.push('{"n":1}', None)
    assert _queued(session) == []
    assert [k.seq for k in session.log.after(0) or []] == [1]
    assert hub.expire_detached(time.monotonic() + 61) == 1
    assert hub.detached("p.k") is None and hub.targets_of(1, AGENT, "a@x") == set()


def test_a_process_keeps_at_most_max_detached_sessions_dropping_the_oldest() -> None:
    hub = Hub()
    sessions = []
    for i in range(3):
        s = _session([])
        s.log = resume.PushLog(f"p.{i}", cap=10, window=60)
        sessions.append(s)
        dropped = hub.detach(s, time.monotonic() + i, max_detached=2)
    assert dropped == [sessions[0]]
    assert hub.detached_count() == 2 and hub.detached("p.0") is None
