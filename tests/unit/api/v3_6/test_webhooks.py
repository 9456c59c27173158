"""Webhooks v3.6 and v3.5 (api/v3_6/webhooks.py, api/v3_5/webhooks.py): every action
Chatplane delivers, rendered from its domain change, in the envelope and payload of the
webhooks reference (keys and JSON types); every body lc-sdk-python 0.4.2's own
`parse_webhook` reads; the registrations' `type` and filters."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chatplane.api.v3_5.webhooks import WEBHOOKS as WEBHOOKS_35
from chatplane.api.v3_6.webhooks import WEBHOOKS, WebhooksV3x
from chatplane.domain import changes as ch
from chatplane.webhooks import names
from chatplane.webhooks.outbox import LicenseInfo, Occurrence, Target
from tests import sdk_venv

from . import objects as o
from .samples import SPEC, assert_like, needs_spec, push_sample
from .test_pushes import CASES as PUSH_CASES
from .test_pushes import CONFIGURATION as CONFIGURATION_PUSHES
from .test_pushes import SAMPLE_GAPS as PUSH_SAMPLE_GAPS

pytestmark = needs_spec

PAGES = {
    "3.6": SPEC / "management" / "webhooks" / "index.mdx",
    "3.5": SPEC / "management" / "webhooks" / "v3.5" / "index.mdx",
}
FORMATS: dict[str, WebhooksV3x] = {"3.6": WEBHOOKS, "3.5": WEBHOOKS_35}
LICENSE = LicenseInfo(1, "390e44e6-f1e6-0368c-z6ddb-74g14508c2ex")


# What the reference's samples leave out and its own tables (or the Chat data structure)
# have: the webhook's payload fields, by action.
SAMPLE_GAPS: dict[str, dict[str, Any]] = {
    "incoming_chat": {"access": {"group_ids": [0]}},  # in payload.chat
    "user_added_to_chat": {"user_type": "agent"},  # "Webhook payload" table
    "user_removed_from_chat": {"user_type": "agent"},
    **PUSH_SAMPLE_GAPS,  # a new agent's or bot's whole state, as their pushes have it
    # Only what changed is sent: v3.6's sample shows a change of members, v3.5's of name.
    "group_updated": {"name": "Sales", "agent_priorities": {"agent@example.com": "normal"}},
}
# The configuration webhooks Chatplane delivers (their payload is their push's).
CONFIGURATION_ACTIONS = sorted(
    names.CONFIGURATION - {"agent_deleted"}  # among the agent actions below already
)


def webhook_sample(version: str, action: str) -> Any:
    if action == "customer_session_fields_updated":
        # The sample closes a list it never opened: this is the sample's shape.
        sample = {
            "webhook_id": "<webhook_id>",
            "secret_key": "<secret_key>",
            "action": action,
            "organization_id": "390e44e6",
            "payload": {
                "id": "5280e68c-9692-4212-4ba9-85f7d8af55cd",
                "active_chat": {"chat_id": "PJ0MRSHTDG", "thread_id": "K600PKZON8"},
                "session_fields": [{"custom_key": "custom_value"}],
            },
            "additional_data": {},
        }
    elif action == "group_updated" and version == "3.6":
        # The v3.6 sample misses a comma after `requester` too.
        sample = {
            "webhook_id": "<webhook_id>",
            "secret_key": "<secret_key>",
            "action": "group_updated",
            "organization_id": "390e44e6",
            "payload": {"id": 1, "agent_priorities": {"agent@example.com": "normal"}},
            "additional_data": {},
        }
    elif action == "agent_deleted" and version == "3.6":
        # The v3.6 sample misses a comma after `requester`: this is the sample's shape.
        sample: Any = {
            "webhook_id": "<webhook_id>",
            "secret_key": "<secret_key>",
            "action": "agent_deleted",
            "organization_id": "390e44e6",
            "payload": {"id": "smith@example.com"},
            "additional_data": {},
        }
    else:
        sample = push_sample(action, PAGES[version])
    if "webhook_id" not in sample:
        # v3.5's group samples show the payload alone.
        sample = {
            "webhook_id": "<webhook_id>",
            "secret_key": "<secret_key>",
            "action": action,
            "organization_id": "390e44e6",
            "payload": sample,
        }
    # Every envelope has `additional_data` (the SDK's parser needs it), the transfer's
    # sample none.
    sample.setdefault("additional_data", {})
    gap = SAMPLE_GAPS.get(action, {})
    if action == "incoming_chat":
        sample["payload"]["chat"].update(gap)
    elif gap:
        sample["payload"].update(gap)
    return sample


def target(action: str, version: str, **kw: Any) -> Target:
    return Target(
        webhook_id="wh1",
        source="webhook",
        url="https://example.com/hook",
        secret_key="s3cret",
        action=action,
        version=version,
        **{"owner_client_id": "my-client", **kw},
    )


def occurrences(version: str, change: ch.Change) -> list[Occurrence]:
    found = FORMATS[version].occurrence(change, o.agent_view())
    return [] if found is None else found if isinstance(found, list) else [found]


def cases() -> dict[str, tuple[ch.Change, frozenset[str]]]:
    """action -> (a change that causes it, sample paths Chatplane does not send)."""
    chat_actions = {
        "incoming_chat",
        "chat_deactivated",
        "chat_access_updated",
        "chat_transferred",
        "user_added_to_chat",
        "user_removed_from_chat",
        "incoming_event",
        "event_updated",
        "incoming_rich_message_postback",
        "chat_properties_updated",
        "chat_properties_deleted",
        "thread_properties_updated",
        "thread_properties_deleted",
        "event_properties_updated",
        "event_properties_deleted",
        "events_marked_as_seen",
        "routing_status_set",
    }
    out = {name: (change, frozenset[str]()) for name, (change, _a) in PUSH_CASES.items()}
    out = {name: out[name] for name in chat_actions}
    # No wait estimate of a queued chat is kept.
    out["chat_transferred"] = (out["chat_transferred"][0], frozenset({"$.payload.queue"}))
    out["agent_deleted"] = (ch.AgentDeleted(1, "smith@example.com"), frozenset())
    out["thread_tagged"] = (ch.ThreadTagged(1, o.chat(), "K600PKZON8", "bug_report"), frozenset())
    out["thread_untagged"] = (
        ch.ThreadUntagged(1, o.chat(), "K600PKZON8", "bug_report"),
        frozenset(),
    )
    out["event_deleted"] = (ch.EventDeleted(1, o.chat(), "K600PKZON8", "K600PKZON8_4"), frozenset())
    for action in CONFIGURATION_ACTIONS:
        out[action] = (CONFIGURATION_PUSHES[action][0], frozenset())
    renamed_and_moved = ["name", "agent_priorities"]
    out["group_updated"] = (
        ch.GroupConfigured(1, 1, "updated", "Sales", "en", {"a@x": "normal"}, renamed_and_moved),
        frozenset(),
    )
    out["customer_session_fields_updated"] = (
        ch.CustomerUpdated(
            1,
            o.customer(),
            ["smith@example.com"],
            fields_changed=True,
            active_chats=[("PJ0MRSHTDG", "K600PKZON8")],
        ),
        frozenset(),
    )
    return out


CASES = cases()
ADDITIONAL = ["chat_properties", "chat_presence_user_ids"]


def bodies(version: str) -> list[dict[str, Any]]:
    out = []
    for change, _absent in CASES.values():
        for occ in occurrences(version, change):
            t = target(occ.action, version, additional_data=ADDITIONAL)
            out.append(FORMATS[version].body(t, occ, o.agent_view(), LICENSE))
    if version == "3.5":
        (occ,) = occurrences("3.5", ch.CustomerCreated(1, o.customer()))
        out.append(WEBHOOKS_35.body(target(occ.action, "3.5"), occ, o.agent_view(), LICENSE))
    return out


@pytest.mark.parametrize("version", ["3.6", "3.5"])
@pytest.mark.parametrize("action", sorted(CASES))
def test_each_webhook_in_the_reference_envelope_and_shape(version: str, action: str) -> None:
    change, absent = CASES[action]
    if version == "3.5" and action == "event_deleted":
        assert occurrences(version, change) == []  # v3.6 added it
        return
    found = [occ for occ in occurrences(version, change) if occ.action == action]
    assert len(found) == 1, (action, occurrences(version, change))
    occ = found[0]
    body = FORMATS[version].body(
        target(action, version, additional_data=ADDITIONAL), occ, o.agent_view(), LICENSE
    )
    assert list(body) == [
        "webhook_id",
        "secret_key",
        "action",
        "organization_id",
        "payload",
        "additional_data",
    ]
    assert body["organization_id"] == LICENSE.organization_id
    sample = webhook_sample(version, action)
    # Agent actions carry no additional data; the reference's configuration samples add a
    # `requester`, which lc-sdk-python's parser refuses (docs/decisions.md).
    sample.pop("requester", None)
    if action == "auto_accesses_updated":
        # Its three samples all say `auto_access_added` (v3.4's name), where the heading,
        # the action table and the changelog say `auto_accesses_updated`.
        assert sample["action"] == "auto_access_added" and body["action"] == action
    if occ.chat is None:
        sample["additional_data"] = {}
    assert_like(body, sample, absent=absent)


def test_chat_webhooks_differ_from_their_pushes_where_the_reference_says() -> None:
    (started,) = occurrences("3.6", CASES["incoming_chat"][0])
    assert set(started.data) == {"chat"}  # no requester_id
    (added,) = occurrences("3.6", CASES["user_added_to_chat"][0])
    assert added.data["user_type"] == "agent" and added.data["requester_id"] == "smith@example.com"
    routed = ch.UserAdded(1, o.chat(), "K600PKZON8", o.agent_user(), None, "assigned")
    (by_routing,) = occurrences("3.6", routed)
    assert by_routing.data["requester_id"] is None and by_routing.by_system
    (status,) = occurrences("3.6", CASES["routing_status_set"][0])
    assert status.data == {"agent_id": "smith@example.com", "status": "accepting chats"}


def test_the_additional_data_is_the_chats_properties_and_who_is_present() -> None:
    (occ,) = occurrences("3.6", CASES["incoming_event"][0])
    body = WEBHOOKS.body(
        target("incoming_event", "3.6", additional_data=ADDITIONAL), occ, o.agent_view(), LICENSE
    )
    assert body["additional_data"] == {
        "chat_properties": {o.NS: {"property_name": "property_value"}},
        "chat_presence_user_ids": sorted(
            ["b7eff798-f8df-4364-8059-649c35c9ed0c", "smith@example.com"]
        ),
    }


def test_session_fields_webhooks_come_once_per_active_chat_and_only_on_a_change() -> None:
    customer = o.customer()
    two = ch.CustomerUpdated(
        1, customer, [], fields_changed=True, active_chats=[("C1", "T1"), ("C2", "T2")]
    )
    found = occurrences("3.6", two)
    assert [o_.data["active_chat"] for o_ in found] == [
        {"chat_id": "C1", "thread_id": "T1"},
        {"chat_id": "C2", "thread_id": "T2"},
    ]
    assert found[0].data["session_fields"] == [
        {"custom_key": "custom_value"},
        {"another_custom_key": "another_custom_value"},
    ]
    assert occurrences("3.6", ch.CustomerUpdated(1, customer, [], active_chats=[("C", "T")])) == []
    assert occurrences("3.6", ch.CustomerUpdated(1, customer, [], fields_changed=True)) == []


def test_v3_5_has_incoming_customer_and_v3_6_has_not() -> None:
    created = ch.CustomerCreated(1, o.customer())
    assert occurrences("3.6", created) == []
    (occ,) = occurrences("3.5", created)
    assert occ.action == "incoming_customer"
    assert "last_visit" in occ.data["customer"]  # v3.5's shape of a customer
    assert_like(
        WEBHOOKS_35.body(target(occ.action, "3.5"), occ, o.agent_view(), LICENSE)["payload"],
        webhook_sample("3.5", "incoming_customer")["payload"],
    )


def test_v3_5_postbacks_say_only_the_button_and_whether_it_is_toggled() -> None:
    change = CASES["incoming_rich_message_postback"][0]
    (v36,) = occurrences("3.6", change)
    (v35,) = occurrences("3.5", change)
    assert "button_type" in v36.data["postback"]
    assert v35.data["postback"] == {"id": "action_yes", "toggled": True}


# -- who gets one ----------------------------------------------------------------------


def fires(occ: Occurrence, bots: frozenset[str] = frozenset(), **kw: Any) -> bool:
    return WEBHOOKS.matches(target(occ.action, "3.6", **kw), occ, lambda: bots)


def test_a_bot_webhook_fires_only_where_one_of_its_applications_bots_is() -> None:
    (occ,) = occurrences("3.6", CASES["incoming_event"][0])
    assert fires(occ)  # a license webhook
    assert not fires(occ, type="bot")
    assert not fires(occ, frozenset({"other-bot"}), type="bot")
    assert fires(occ, frozenset({"smith@example.com"}), type="bot")
    (status,) = occurrences("3.6", CASES["routing_status_set"][0])
    assert fires(status, frozenset({"smith@example.com"}), type="bot")
    assert not fires(status, frozenset({"other-bot"}), type="bot")


def test_filters_author_type_presence_and_my_bots() -> None:
    (occ,) = occurrences("3.6", CASES["incoming_event"][0])  # the customer wrote it
    assert fires(occ, filters={"author_type": "customer"})
    assert not fires(occ, filters={"author_type": "agent"})
    here = {"chat_presence": {"user_ids": {"values": ["smith@example.com", "x"]}}}
    assert fires(occ, filters=here)
    away = {"chat_presence": {"user_ids": {"values": ["x"]}}}
    assert not fires(occ, filters=away)
    excluded = {"chat_presence": {"user_ids": {"exclude_values": ["smith@example.com"]}}}
    assert not fires(occ, filters=excluded)
    # Customers count as present users too.
    customer = {"chat_presence": {"user_ids": {"values": ["b7eff798-f8df-4364-8059-649c35c9ed0c"]}}}
    assert fires(occ, filters=customer)
    my_bots = {"chat_presence": {"my_bots": True}}
    assert not fires(occ, filters=my_bots)
    assert fires(occ, frozenset({"smith@example.com"}), filters=my_bots)


def test_filters_only_my_chats_source_type_and_agent_ids() -> None:
    (occ,) = occurrences("3.6", CASES["incoming_event"][0])
    assert not fires(occ, filters={"only_my_chats": True})
    assert occ.chat is not None
    occ.chat.properties = {"source": {"client_id": "my-client"}}
    assert fires(occ, filters={"only_my_chats": True})
    assert fires(occ, filters={"source_type": ["my_client"]})
    assert not fires(occ, filters={"source_type": ["system"]})
    system = ch.ThreadClosed(1, o.chat(), "K600PKZON8", None)  # closed by the router
    (closed,) = occurrences("3.6", system)
    assert fires(closed, filters={"source_type": ["system"]})
    assert not fires(closed, filters={"source_type": ["my_client", "other_clients"]})
    (status,) = occurrences("3.6", CASES["routing_status_set"][0])
    assert fires(status, filters={"agent_ids": {"values": ["smith@example.com"]}})
    assert not fires(status, filters={"agent_ids": {"exclude_values": ["smith@example.com"]}})


# -- the official SDK reads every body ---------------------------------------------------


def test_every_body_passes_the_sdks_own_webhook_parser(tmp_path: Path) -> None:
    sdk_python = sdk_venv.sdk_python()
    given = {version: bodies(version) for version in FORMATS}
    path = tmp_path / "bodies.json"
    path.write_text(json.dumps(given))
    script = (
        "import json, sys\n"
        "from livechat.webhooks.parser import parse_webhook\n"
        "failed = []\n"
        "for version, bodies in json.load(open(sys.argv[1])).items():\n"
        "    for body in bodies:\n"
        "        try:\n"
        "            parse_webhook(body, version)\n"
        "        except Exception as exc:\n"
        "            failed.append([version, body['action'], str(exc)])\n"
        "print(json.dumps(failed))\n"
    )
    proc = subprocess.run(
        [str(sdk_python), "-c", script, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    failed = json.loads(proc.stdout.strip().splitlines()[-1])
    # lc-sdk-python 0.4.2 predates v3.6's `event_deleted` and v3.5's
    # `auto_accesses_updated` (it knows v3.4's `auto_access_added`, ... of one rule each):
    # it refuses the actions, whatever the body. Every other body passes.
    assert sorted((v, a) for v, a, _why in failed) == [
        ("3.5", "auto_accesses_updated"),
        ("3.6", "auto_accesses_updated"),
        ("3.6", "event_deleted"),
    ], failed
    assert all("invalid webhook action" in why for _v, _a, why in failed)
    assert {b["action"] for b in given["3.6"]} == set(CASES)
    assert {b["action"] for b in given["3.5"]} == set(CASES) - {"event_deleted"} | {
        "incoming_customer"
    }


# -- configuration webhooks --------------------------------------------------------------


def test_configuration_webhooks_fire_for_license_webhooks_only() -> None:
    (created,) = occurrences("3.6", CASES["agent_created"][0])
    assert created.chat is None and created.data["id"] == "smith@example.com"
    assert fires(created)
    # Not for a bot webhook, whatever its application's bots.
    assert not fires(created, frozenset({"smith@example.com"}), type="bot")
    (deleted,) = occurrences("3.6", CASES["agent_deleted"][0])
    assert not fires(deleted, frozenset({"smith@example.com"}), type="bot")


def test_source_type_of_a_configuration_webhook_is_the_requesting_application() -> None:
    change = CASES["tag_created"][0]
    assert isinstance(change, ch.TagConfigured)
    (occ,) = occurrences("3.6", change)
    mine = target("tag_created", "3.6", owner_client_id=o.APP)
    theirs = target("tag_created", "3.6")  # owned by "my-client"
    for filters, by_me, by_others in (
        ({"source_type": ["my_client"]}, True, False),
        ({"source_type": ["other_clients"]}, False, True),
        ({"source_type": ["system"]}, False, False),
    ):
        mine.filters = theirs.filters = filters
        assert WEBHOOKS.matches(mine, occ, frozenset) is by_me
        assert WEBHOOKS.matches(theirs, occ, frozenset) is by_others
    # Made by the command line (no requester): `system`.
    by_cli = ch.TagConfigured(1, "vip", "deleted")
    (cli,) = occurrences("3.6", by_cli)
    theirs.filters = {"source_type": ["system"]}
    assert WEBHOOKS.matches(theirs, cli, frozenset)


def test_pushes_without_a_webhook_have_none() -> None:
    """License and group property values and groups' statuses are pushed, not webhooks
    (the webhooks reference has none of them); neither is a configuration change that
    changed nothing its push shows."""
    for name in ("license_properties_updated", "group_properties_updated"):
        change = CONFIGURATION_PUSHES[name][0]
        for version in FORMATS:
            assert FORMATS[version].occurrence(change, o.configuration_view()) is None
    status = ch.GroupsStatusUpdated(1, 0, "offline")
    unchanged = ch.AgentConfigured(1, o.configured_agent(), updated=["login_status"])
    for version in FORMATS:
        assert occurrences(version, status) == [] and occurrences(version, unchanged) == []


def test_v3_5_has_the_same_configuration_webhooks() -> None:
    for action in CONFIGURATION_ACTIONS:
        change = CASES[action][0]
        assert [x.data for x in occurrences("3.5", change)] == [
            x.data for x in occurrences("3.6", change)
        ], action
