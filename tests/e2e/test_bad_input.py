"""Bad input gets the spec's error payload, never an internal error, and changes nothing.

Web API: {"error": {"type", "message"}} with a fitting HTTP status (400 validation, 401
authentication, 403 authorization, 404 unknown action, 413 entity_too_large).
RTM: a response with "success": false, the request's request_id and the error payload; the
socket stays open (issue 2 "Bad input"; agent-chat-api "Errors handling").
"""

from __future__ import annotations

import json

import pytest

from .harness import ApiError, assert_error_body, assert_error_response, expect_error, unique

BIG = 1_200_000  # over 1 MB


# ---------------------------------------------------------------------------------------
# Web API
# ---------------------------------------------------------------------------------------


@pytest.fixture
def chat(env):
    cust = env.new_customer()
    started = env.start_chat(cust, "bad input target")["chat"]
    return {"customer": cust, "id": started["id"], "thread_id": started["thread"]["id"]}


def _post(env, api, action, token, *, content=None, json_body=None, license_id=None, headers=None):
    path = f"/v3.0/{api}/action/{action}"
    params = {"license_id": license_id} if api == "customer" else None
    return env.http.post_raw(
        path, token=token, content=content, json_body=json_body, params=params, headers=headers
    )


def _check(resp, status, type):
    try:
        body = resp.json()
    except ValueError:
        body = None
    assert_error_response(ApiError(resp.status_code, body, resp.text), status=status, type=type)
    return body


def _both_apis(env, chat):
    cust = chat["customer"]
    return [
        ("agent", env.a.owner.token, None),
        ("customer", cust.token, cust.license_id),
    ]


def _event_count(env, chat):
    got = env.agent(env.a.owner, "get_chat_threads", {"chat_id": chat["id"]})["chat"]
    ids = [s["thread_id"] for s in got["threads_summary"]]
    threads = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat["id"], "thread_ids": ids}
    )["chat"]["threads"]
    return len(ids), sum(len(t["events"]) for t in threads)


@pytest.mark.parametrize("raw", ['{"payload": {"chat_id": ', "not json at all", "\xff\xfe", ""])
def test_web_malformed_json_is_400_validation(env, chat, raw):
    for api, token, lid in _both_apis(env, chat):
        resp = _post(env, api, "send_event", token, content=raw.encode("latin-1"), license_id=lid)
        _check(resp, 400, "validation")


@pytest.mark.parametrize(
    "body", ["[1, 2]", '"payload"', "42", '{"payload": "chat"}', '{"payload": [1]}']
)
def test_web_body_that_is_not_an_object_with_object_payload_is_400_validation(env, chat, body):
    for api, token, lid in _both_apis(env, chat):
        resp = _post(
            env,
            api,
            "get_chats_summary" if api == "customer" else "get_archives",
            token,
            content=body,
            license_id=lid,
        )
        _check(resp, 400, "validation")


def test_web_unknown_action_is_404(env, chat):
    for api, token, lid in _both_apis(env, chat):
        resp = _post(env, api, "launch_rockets", token, json_body={"payload": {}}, license_id=lid)
        body = _check(resp, 404, "validation")
        assert "launch_rockets" in body["error"]["message"]


def test_web_rtm_only_action_login_is_refused(env, chat):
    for api, token, lid in _both_apis(env, chat):
        resp = _post(
            env,
            api,
            "login",
            token,
            json_body={"payload": {"token": f"Bearer {token}"}},
            license_id=lid,
        )
        _check(resp, 400, "validation")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"event": {"type": "message", "text": "x"}}, "chat_id"),
        ({"chat_id": "__CHAT__"}, "event"),
        ({"chat_id": "__CHAT__", "event": {"text": "no type"}}, "type"),
        ({"chat_id": "__CHAT__", "event": {"type": "message"}}, "text"),
    ],
)
def test_web_missing_required_field_is_400_validation_naming_the_field(env, chat, payload, field):
    payload = json.loads(json.dumps(payload).replace("__CHAT__", chat["id"]))
    before = _event_count(env, chat)
    for api, token, lid in _both_apis(env, chat):
        resp = _post(env, api, "send_event", token, json_body={"payload": payload}, license_id=lid)
        body = _check(resp, 400, "validation")
        assert field in body["error"]["message"], body
    assert _event_count(env, chat) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"chat_id": 12345, "event": {"type": "message", "text": "x"}}, "chat_id"),
        ({"chat_id": "__CHAT__", "event": "hello"}, "event"),
        ({"chat_id": "__CHAT__", "event": {"type": "message", "text": 7}}, "text"),
        (
            {
                "chat_id": "__CHAT__",
                "event": {"type": "message", "text": "x", "recipients": "everyone"},
            },
            "recipients",
        ),
        (
            {"chat_id": "__CHAT__", "event": {"type": "message", "text": "x", "custom_id": 5}},
            "custom_id",
        ),
        ({"chat_id": "__CHAT__", "event": {"type": "banana", "text": "x"}}, "type"),
        (
            {
                "chat_id": "__CHAT__",
                "attach_to_last_thread": "yes",
                "event": {"type": "message", "text": "x"},
            },
            "attach_to_last_thread",
        ),
    ],
)
def test_web_mistyped_field_is_400_validation_naming_the_field(env, chat, payload, field):
    payload = json.loads(json.dumps(payload).replace("__CHAT__", chat["id"]))
    before = _event_count(env, chat)
    for api, token, lid in _both_apis(env, chat):
        resp = _post(env, api, "send_event", token, json_body={"payload": payload}, license_id=lid)
        body = _check(resp, 400, "validation")
        assert field in body["error"]["message"], body
    assert _event_count(env, chat) == before


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("close_thread", {}, "chat_id"),
        ("close_thread", {"chat_id": ["x"]}, "chat_id"),
        ("get_chat_threads", {"chat_id": None}, "chat_id"),
        ("get_chat_threads", {"chat_id": "__CHAT__", "thread_ids": "abc"}, "thread_ids"),
        ("add_user_to_chat", {"chat_id": "__CHAT__", "user_type": "agent"}, "user_id"),
        ("add_user_to_chat", {"chat_id": "__CHAT__", "user_id": "x@example.com"}, "user_type"),
        (
            "update_last_seen_timestamp",
            {"chat_id": "__CHAT__", "timestamp": "yesterday"},
            "timestamp",
        ),
        ("activate_chat", {}, "chat"),
        ("activate_chat", {"chat": {}}, "id"),
        ("start_chat", {"chat": {"thread": {"events": "hello"}}}, "events"),
        ("start_chat", {"chat": "x"}, "chat"),
        ("get_filtered_chats", {"filters": {"include_active": "yes"}}, "include_active"),
    ],
)
def test_web_agent_actions_validate_their_payload(env, chat, action, payload, field):
    payload = json.loads(json.dumps(payload).replace("__CHAT__", chat["id"]))
    err = expect_error(env.agent, env.a.owner, action, payload, status=400, type="validation")
    assert field in err.message, err.message


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("get_chat_threads", {"chat_id": "__CHAT__"}, "thread_ids"),
        ("get_chat_threads_summary", {}, "chat_id"),
        ("get_chat_threads_summary", {"chat_id": "__CHAT__", "limit": "ten"}, "limit"),
        ("get_chats_summary", {"offset": "zero"}, "offset"),
        ("update_last_seen_timestamp", {}, "chat_id"),
    ],
)
def test_web_customer_actions_validate_their_payload(env, chat, action, payload, field):
    payload = json.loads(json.dumps(payload).replace("__CHAT__", chat["id"]))
    err = expect_error(
        env.customer, chat["customer"], action, payload, status=400, type="validation"
    )
    assert field in err.message, err.message


def test_web_unknown_chat_id_is_an_error_not_a_crash(env, chat):
    for api, token, lid in _both_apis(env, chat):
        resp = _post(
            env,
            api,
            "send_event",
            token,
            license_id=lid,
            json_body={
                "payload": {"chat_id": unique("NOPE"), "event": {"type": "message", "text": "x"}}
            },
        )
        # A chat that does not exist is a missing resource: validation, HTTP 404.
        assert "not found" in _check(resp, 404, "validation")["error"]["message"]


def test_web_oversize_body_is_413_entity_too_large(env, chat):
    before = _event_count(env, chat)
    for api, token, lid in _both_apis(env, chat):
        body = json.dumps(
            {
                "payload": {
                    "chat_id": chat["id"],
                    "event": {"type": "custom", "content": {"blob": "x" * BIG}},
                }
            }
        )
        resp = _post(env, api, "send_event", token, content=body, license_id=lid)
        _check(resp, 413, "entity_too_large")
        # a server must not need a Content-Length to refuse it either
        resp = env.http.client.post(
            f"/v3.0/{api}/action/send_event",
            params={"license_id": lid} if lid else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            content=iter([body[i : i + 65536].encode() for i in range(0, len(body), 65536)]),
        )
        _check(resp, 413, "entity_too_large")
    assert _event_count(env, chat) == before


# Arrays nested far past the server's limit (64 levels, counting the envelope): a few KB.
DEEP = 1_000


def _deep(levels: int = DEEP) -> str:
    return "[" * levels + "]" * levels


def _assert_depth_error(message: str) -> None:
    assert "nested too deeply" in message and "64 levels" in message, message


@pytest.mark.parametrize(
    ("action", "where"),
    [
        (
            "send_event",
            '{"payload": {"chat_id": "__CHAT__", "event": {"type": "message", "text": __DEEP__}}}',
        ),
        ("get_chat_threads", '{"payload": {"chat_id": "__CHAT__", "thread_ids": __DEEP__}}'),
        ("start_chat", '{"payload": {"chat": {"thread": {"events": __DEEP__}}}}'),
        ("send_event", '{"payload": __DEEP__}'),
        ("send_event", '{"author_id": __DEEP__, "payload": {}}'),
    ],
    ids=["event-text", "thread-ids", "events", "payload", "author-id"],
)
def test_web_deeply_nested_json_is_400_validation_naming_the_limit(env, chat, action, where):
    before = _event_count(env, chat)
    body = where.replace("__CHAT__", chat["id"]).replace("__DEEP__", _deep())
    for api, token, lid in _both_apis(env, chat):
        resp = _post(env, api, action, token, content=body, license_id=lid)
        _assert_depth_error(_check(resp, 400, "validation")["error"]["message"])
    assert _event_count(env, chat) == before


def test_configuration_and_accounts_refuse_deeply_nested_json(env):
    resp = env.http.post_raw(
        "/v3.0/configuration/groups/create_group",
        token=env.a.owner.token,
        content='{"name": "deep", "agent_priorities": ' + _deep() + "}",
    )
    _assert_depth_error(_check(resp, 400, "validation")["error"]["message"])
    resp = env.http.client.post(
        "/accounts/customer/",
        content='{"customer_id": ' + _deep() + "}",
        headers={
            "Authorization": f"Bearer {env.a.owner.token}",
            "Content-Type": "application/json",
        },
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_request", resp.text
    _assert_depth_error(resp.json()["error_description"])


def test_web_nesting_within_the_limit_is_kept(env, chat):
    """A custom event's content nested 60 levels (62 with the envelope) is stored as sent."""
    content = {"level": 0}
    for level in range(1, 60):
        content = {"level": level, "inner": content}
    sent = env.agent(
        env.a.owner,
        "send_event",
        {"chat_id": chat["id"], "event": {"type": "custom", "content": content}},
    )
    threads = env.agent(
        env.a.owner, "get_chat_threads", {"chat_id": chat["id"], "thread_ids": [chat["thread_id"]]}
    )["chat"]["threads"]
    stored = [e for t in threads for e in t["events"] if e["id"] == sent["event"]["id"]]
    assert stored[0]["content"] == content


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "not-a-real-token"},
    ],
    ids=["missing", "empty", "invalid", "basic", "no-scheme"],
)
def test_web_missing_or_invalid_token_is_401_authentication(env, chat, headers):
    for api, _token, lid in _both_apis(env, chat):
        resp = env.http.client.post(
            f"/v3.0/{api}/action/get_chat_threads",
            params={"license_id": lid} if lid else None,
            headers={"Content-Type": "application/json", **headers},
            content=json.dumps(
                {"payload": {"chat_id": chat["id"], "thread_ids": [chat["thread_id"]]}}
            ),
        )
        _check(resp, 401, "authentication")
        assert "bad input target" not in resp.text


def test_web_customer_token_on_agent_api_and_agent_token_on_customer_api_are_refused(env, chat):
    cust = chat["customer"]
    resp = _post(
        env, "agent", "get_chat_threads", cust.token, json_body={"payload": {"chat_id": chat["id"]}}
    )
    _check(resp, 401, "authentication")
    resp = _post(
        env,
        "customer",
        "get_chats_summary",
        env.a.owner.token,
        json_body={"payload": {}},
        license_id=env.a.license_id,
    )
    _check(resp, 401, "authentication")


def test_web_refused_start_chat_writes_nothing(env):
    cust = env.new_customer()
    expect_error(
        env.customer,
        cust,
        "start_chat",
        {
            "chat": {
                "thread": {
                    "events": [{"type": "message", "text": "ok"}, {"type": "message", "text": 42}]
                }
            }
        },
        status=400,
        type="validation",
    )
    summary = env.customer(cust, "get_chats_summary", {})
    assert summary["total_chats"] == 0 and summary["chats_summary"] == []


def test_web_no_stack_trace_for_garbage_in_any_field(env, chat):
    weird = [None, 1e308, -1, True, [], {}, "\u0000", "😁" * 10]
    for value in weird:
        text_ok = isinstance(value, str) and "\x00" not in value
        message = {"type": "message", "text": value}
        plain = {"type": "message", "text": "x"}
        for payload, answer in (
            # a well-formed chat id naming no chat is a missing resource (404)
            ({"chat_id": value, "event": plain}, 404 if text_ok else 400),
            ({"chat_id": chat["id"], "event": message}, 200 if text_ok else 400),
            ({"chat_id": chat["id"], "event": value}, 400),
        ):  # fmt: skip
            resp = _post(
                env, "agent", "send_event", env.a.owner.token, json_body={"payload": payload}
            )
            assert "Traceback" not in resp.text
            if answer == 200:
                assert resp.status_code == 200, resp.text
            else:
                _check(resp, answer, "validation")


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**30])
def test_web_number_beyond_64_bits_is_validation_not_internal(env, chat, number):
    """No column holds it; both engines must refuse it the same way, naming the number."""
    for path, body in (
        ("/v3.0/configuration/groups/delete_group", {"id": number}),
        ("/v3.0/configuration/groups/update_group", {"id": number, "name": "x"}),
    ):
        resp = env.http.post_raw(path, token=env.a.owner.token, json_body=body)
        _check(resp, 400, "validation")
        assert str(number) in resp.json()["error"]["message"]
    resp = _post(
        env,
        "agent",
        "update_last_seen_timestamp",
        env.a.owner.token,
        json_body={"payload": {"chat_id": chat["id"], "timestamp": number}},
    )
    _check(resp, 400, "validation")


def test_web_group_id_beyond_what_groups_hold_is_validation_on_both_engines(env):
    """Within 64 bits but beyond a group id (32-bit in storage): refused by the payload's
    type on both engines, naming the limit."""
    resp = env.http.post_raw(
        "/v3.0/configuration/groups/delete_group",
        token=env.a.owner.token,
        json_body={"id": 2**63 - 1},
    )
    body = _check(resp, 400, "validation")
    assert "2147483647" in body["error"]["message"] and "`id`" in body["error"]["message"]


# ---------------------------------------------------------------------------------------
# RTM
# ---------------------------------------------------------------------------------------


def _assert_rtm_error(resp, request_id, action, type):
    assert resp["type"] == "response", resp
    assert resp["success"] is False, resp
    assert resp.get("request_id") == request_id, resp
    if action is not None:
        assert resp.get("action") == action, resp
    assert_error_body(resp.get("payload"), type)
    return resp["payload"]["error"]


@pytest.fixture(params=["agent", "customer"])
async def logged_in(request, env, rtm, chat):
    if request.param == "agent":
        return await rtm.agent(env.a.owner)
    return await rtm.customer(chat["customer"])


async def test_rtm_unknown_action_keeps_socket_open(logged_in):
    resp = await logged_in.request("launch_rockets", {}, request_id="u-1")
    err = _assert_rtm_error(resp, "u-1", "launch_rockets", "validation")
    assert "launch_rockets" in err["message"]
    assert await logged_in.alive()


async def test_rtm_malformed_json_gets_error_response_and_socket_stays_open(logged_in):
    await logged_in.send_raw('{"request_id": "m-1", "action": "send_event", "payload": ')
    resp = await logged_in.next_orphan_response()
    assert resp["type"] == "response" and resp["success"] is False, resp
    assert_error_body(resp["payload"], "validation")
    assert await logged_in.alive()


@pytest.mark.parametrize("first", ["request_id", "payload"])
async def test_rtm_deeply_nested_json_is_validation_naming_the_request(logged_in, chat, first):
    """Refused before it is decoded, yet answered with the request's request_id and action
    (wherever they stand in the frame); the connection stays open."""
    text = _deep()
    payload = f'{{"chat_id": "{chat["id"]}", "event": {{"type": "message", "text": {text}}}}}'
    head = '"request_id": "deep-1", "action": "send_event"'
    frame = (
        "{" + head + ', "payload": ' + payload + "}"
        if first == "request_id"
        else '{"payload": ' + payload + ", " + head + "}"
    )
    await logged_in.send_raw(frame)
    resp = await logged_in.next_orphan_response()
    err = _assert_rtm_error(resp, "deep-1", "send_event", "validation")
    _assert_depth_error(err["message"])
    assert await logged_in.alive()


async def test_rtm_number_beyond_64_bits_is_validation_with_same_request_id(logged_in, chat):
    resp = await logged_in.request(
        "update_last_seen_timestamp",
        {"chat_id": chat["id"], "timestamp": 2**64},
        request_id="big-1",
    )
    err = _assert_rtm_error(resp, "big-1", "update_last_seen_timestamp", "validation")
    assert str(2**64) in err["message"]
    assert await logged_in.alive()


@pytest.mark.parametrize(
    "frame",
    ["[1, 2, 3]", '"ping"', "null", '{"request_id": "n-1"}', '{"request_id": "n-2", "action": 5}'],
)
async def test_rtm_message_that_is_not_a_request_object_gets_error_and_socket_stays_open(
    logged_in, frame
):
    await logged_in.send_raw(frame)
    resp = await logged_in.next_orphan_response()
    assert resp["success"] is False
    if '"request_id"' in frame:
        assert resp.get("request_id") == json.loads(frame)["request_id"]
    assert_error_body(resp["payload"], "validation")
    assert await logged_in.alive()


async def test_rtm_missing_and_mistyped_fields_get_validation_with_same_request_id(logged_in, chat):
    cases = [
        ({"event": {"type": "message", "text": "x"}}, "chat_id"),
        ({"chat_id": chat["id"]}, "event"),
        ({"chat_id": 42, "event": {"type": "message", "text": "x"}}, "chat_id"),
        ({"chat_id": chat["id"], "event": {"type": "message", "text": ["x"]}}, "text"),
        ({"chat_id": chat["id"], "event": {"type": "nope", "text": "x"}}, "type"),
    ]
    for i, (payload, field) in enumerate(cases):
        rid = f"v-{i}"
        resp = await logged_in.request("send_event", payload, request_id=rid)
        err = _assert_rtm_error(resp, rid, "send_event", "validation")
        assert field in err["message"], err
    resp = await logged_in.request("send_event", None, request_id="v-nopayload")
    _assert_rtm_error(resp, "v-nopayload", "send_event", "validation")
    resp = await logged_in.request(
        "send_event", extra={"payload": "string"}, request_id="v-strpayload"
    )
    _assert_rtm_error(resp, "v-strpayload", "send_event", "validation")
    assert await logged_in.alive()


async def test_rtm_oversize_message_gets_error_with_same_request_id_and_socket_stays_open(
    logged_in, chat
):
    msg = {
        "request_id": "big-1",
        "action": "send_event",
        "payload": {
            "chat_id": chat["id"],
            "event": {"type": "custom", "content": {"blob": "x" * BIG}},
        },
    }
    resp = await logged_in.request_message(msg, timeout=20)
    _assert_rtm_error(resp, "big-1", "send_event", "entity_too_large")
    assert await logged_in.alive()


async def test_rtm_request_before_login_is_authentication_error_and_socket_stays_open(
    env, rtm, chat
):
    for client in (await rtm.raw_agent(), await rtm.raw_customer(env.a.license_id)):
        resp = await client.request(
            "get_chat_threads",
            {"chat_id": chat["id"], "thread_ids": [chat["thread_id"]]},
            request_id="early-1",
        )
        _assert_rtm_error(resp, "early-1", "get_chat_threads", "authentication")
        assert "bad input target" not in json.dumps(resp)
        assert not client.closed


@pytest.mark.parametrize("token", ["Bearer not-a-real-token", "not-a-real-token", "", "Bearer "])
async def test_rtm_login_with_invalid_token_fails_with_authentication(env, rtm, token):
    for client in (await rtm.raw_agent(), await rtm.raw_customer(env.a.license_id)):
        resp = await client.request("login", {"token": token}, request_id="bad-login")
        _assert_rtm_error(
            resp,
            "bad-login",
            "login",
            # "" fails the payload's type (a non-empty string); "Bearer " names no token.
            "validation" if token == "" else "authentication",
        )
        assert not client.closed


async def test_rtm_login_with_missing_or_mistyped_token_is_validation(env, rtm):
    client = await rtm.raw_agent()
    resp = await client.request("login", {}, request_id="l-1")
    err = _assert_rtm_error(resp, "l-1", "login", "validation")
    assert "token" in err["message"]
    resp = await client.request("login", {"token": 12345}, request_id="l-2")
    err = _assert_rtm_error(resp, "l-2", "login", "validation")
    assert "token" in err["message"]
    assert not client.closed


async def test_rtm_customer_token_cannot_log_in_to_agent_rtm(env, rtm, chat):
    client = await rtm.raw_agent()
    resp = await client.request(
        "login", {"token": f"Bearer {chat['customer'].token}"}, request_id="x-1"
    )
    _assert_rtm_error(resp, "x-1", "login", "authentication")
    client2 = await rtm.raw_customer(env.a.license_id)
    resp = await client2.request(
        "login", {"token": f"Bearer {env.a.owner.token}"}, request_id="x-2"
    )
    _assert_rtm_error(resp, "x-2", "login", "authentication")


# ---------------------------------------------------------------------------------------
# The v3.0 Web API envelope
# ---------------------------------------------------------------------------------------


def test_web_start_chat_without_its_envelope_is_refused_naming_the_key(env):
    """The v0.5 form (and every v3.x SDK's) posted to a v3.0 path: refused, nothing started,
    rather than a chat started without the message."""
    cust = env.new_customer()
    body = {"chat": {"thread": {"events": [{"type": "message", "text": "lost?"}]}}}
    resp = _post(
        env, "customer", "start_chat", cust.token, json_body=body, license_id=cust.license_id
    )
    message = _check(resp, 400, "validation")["error"]["message"]
    assert "`chat`" in message and '{"payload": {...}' in message, message
    summary = env.customer(cust, "get_chats_summary", {})
    assert summary["total_chats"] == 0, summary


def test_web_send_event_without_its_envelope_names_the_keys_not_a_missing_field(env, chat):
    before = _event_count(env, chat)
    body = {"chat_id": chat["id"], "event": {"type": "message", "text": "lost?"}}
    for api, token, lid in _both_apis(env, chat):
        resp = _post(env, api, "send_event", token, json_body=body, license_id=lid)
        message = _check(resp, 400, "validation")["error"]["message"]
        assert "`chat_id`, `event`" in message and "missing" not in message, message
    assert _event_count(env, chat) == before


async def test_rtm_frame_with_the_payload_at_the_top_level_is_refused_naming_the_key(
    logged_in, chat
):
    resp = await logged_in.request(
        "send_event",
        extra={"chat_id": chat["id"], "event": {"type": "message", "text": "lost?"}},
        request_id="top-1",
    )
    err = _assert_rtm_error(resp, "top-1", "send_event", "validation")
    assert "`chat_id`, `event`" in err["message"] and "missing" not in err["message"], err
    assert await logged_in.alive()


def test_web_envelope_with_an_extra_key_is_refused(env, chat):
    body = {
        "payload": {"chat_id": chat["id"], "event": {"type": "message", "text": "x"}},
        "request_id": "r-1",
    }
    resp = _post(env, "agent", "send_event", env.a.owner.token, json_body=body)
    assert "`request_id`" in _check(resp, 400, "validation")["error"]["message"]
