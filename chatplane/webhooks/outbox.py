"""The transactional outbox: domain changes become webhook deliveries in the same
transaction (`Store.add_tx_hook`), so a webhook is durable exactly when its change is.

Who gets a webhook:
- global webhooks (`register_webhook`) of the change's action, always;
- a bot agent's own webhooks, for chats the bot is in (or was just removed from), and
  only while the bot is not `offline` (configuration-api/readme.md, Bot Agent);
then each webhook's filters (`author_type`, `chat_member_ids`, a bot's `chat_properties`)
decide, and its `additional_data` is attached. The body is the readme's webhook format
with the Agent Chat API push payload as `data`.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from chatplane.api.v3_0 import pushes
from chatplane.api.v3_0 import serialize as ser
from chatplane.domain import changes as ch
from chatplane.domain.models import AGENT, CUSTOMER, Chat
from chatplane.storage import Tx
from chatplane.storage import webhooks as repo
from chatplane.webhooks.actions import AGENT_ACTIONS, CHAT_ACTIONS
from chatplane.webhooks.status import to_configuration

_encode = msgspec.json.Encoder().encode


@dataclass
class Target:
    """One webhook that may fire: a registered one or one action of a bot's config."""

    webhook_id: str
    source: str  # webhook | bot
    url: str
    secret_key: str
    action: str
    filters: dict[str, Any] = field(default_factory=dict)
    additional_data: list[str] = field(default_factory=list)


@dataclass
class Occurrence:
    """A change as a webhook action: its `data`, and what filters look at."""

    action: str
    data: dict[str, Any]
    chat: Chat | None = None
    thread_id: str | None = None
    # Agents "in the chat" for chat_member_ids (for agent actions: the agent itself).
    member_ids: set[str] = field(default_factory=set)
    author_type: str | None = None
    ordering: str = ""


def occurrence(change: ch.Change, view: ser.View) -> Occurrence | None:
    """The webhook action a change is, with its push-shaped data; None if it is none."""
    if isinstance(change, ch.AgentStatusChanged):
        data = {"agent_id": change.agent_id, "status": to_configuration(change.routing_status)}
        return Occurrence(
            "agent_status_changed",
            data,
            member_ids={change.agent_id},
            ordering=f"agent:{change.agent_id}",
        )
    if isinstance(change, ch.AgentDeleted):
        return Occurrence(
            "agent_deleted",
            {"agent_id": change.agent_id},
            member_ids={change.agent_id},
            ordering=f"agent:{change.agent_id}",
        )
    if not isinstance(change, ch.ChatChange):
        return None
    push = pushes.render(change, view)
    if push is None or push[0] not in CHAT_ACTIONS:
        return None
    chat = change.chat
    members = {u.id for u in chat.users if u.type == AGENT and u.present}
    if isinstance(change, ch.UserRemoved) and change.user_type == AGENT:
        members.add(change.user_id)  # it was in the chat when this happened
    author_type = None
    if isinstance(change, ch.EventAppended) and change.event.author_id is not None:
        author_type = _author_type(chat, change.event.author_id)
    thread_id = getattr(change, "thread_id", None)
    if isinstance(change, ch.ThreadStarted):
        thread_id = change.thread.id
    return Occurrence(
        push[0],
        push[1],
        chat=chat,
        thread_id=thread_id,
        member_ids=members,
        author_type=author_type,
        ordering=f"chat:{chat.id}",
    )


def _author_type(chat: Chat, author_id: str) -> str:
    user = chat.user(author_id)
    if user is not None:
        return user.type
    return CUSTOMER if author_id == chat.customer_id else AGENT


def matches(target: Target, occ: Occurrence) -> bool:
    f = target.filters or {}
    author_type = f.get("author_type")
    if author_type is not None and occ.author_type != author_type:
        return False
    members = f.get("chat_member_ids")
    if members:
        if "agents_any" in members and not occ.member_ids.intersection(members["agents_any"]):
            return False
        if "agents_exclude" in members and occ.member_ids.intersection(members["agents_exclude"]):
            return False
    wanted = f.get("chat_properties")
    if wanted:
        if occ.chat is None:
            return False
        for ns, names in wanted.items():
            for name, rule in names.items():
                if not _property_matches(occ.chat.properties.get(ns, {}), name, rule):
                    return False
    return True


def _property_matches(values: dict[str, Any], name: str, rule: dict[str, Any]) -> bool:
    present = name in values
    if "exists" in rule and bool(rule["exists"]) != present:
        return False
    value = values.get(name)
    if "values" in rule and (not present or not _among(value, rule["values"])):
        return False
    return not ("exclude_values" in rule and present and _among(value, rule["exclude_values"]))


def _among(value: Any, options: Iterable[Any]) -> bool:
    # True == 1 in Python; a bool property must match bools only and vice versa.
    return any(type(value) is type(o) and value == o for o in options)


def additional_data(target: Target, occ: Occurrence, view: ser.View) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in target.additional_data:
        if name == "chat_properties" and occ.chat is not None:
            out["chat_properties"] = ser.properties(view, "chat", occ.chat.properties)
        elif name == "access" and occ.chat is not None:
            out["access"] = dict(occ.chat.access)
        elif name == "thread_id":
            out["thread_id"] = occ.thread_id
    return out


def ordering_key(url: str, ordering: str) -> str:
    return hashlib.sha256(f"{url}\n{ordering}".encode()).hexdigest()[:48]


# Whether a license has any webhook at all (registered, or a bot's), per process, kept
# briefly: most changes of most licenses fire none, and then the hook does no work.
# This process forgets a license as soon as its webhooks change here (`forget`); other
# processes learn within HAS_WEBHOOKS_SECONDS, well inside the Configuration API's stated
# propagation delay ("max 2 minutes").
HAS_WEBHOOKS_SECONDS = 2.0
_has_webhooks: dict[int, tuple[bool, float]] = {}


def forget(license_id: int) -> None:
    _has_webhooks.pop(license_id, None)


def _license_has_webhooks(tx: Tx, license_id: int) -> bool:
    now = time.monotonic()
    cached = _has_webhooks.get(license_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    has = repo.license_has_webhooks(tx.conn, license_id)
    _has_webhooks[license_id] = (has, now + HAS_WEBHOOKS_SECONDS)
    return has


class Outbox:
    """The tx hook. `view_for(license_id, "agent")` gives the agent-side shape of data."""

    def __init__(
        self,
        view_for: Callable[[int, str], ser.View],
        retry_for: Callable[[], float],
    ) -> None:
        self.view_for = view_for
        self.retry_for = retry_for
        # Deliveries written so far by this process (counted in the writer; read by the
        # delivery worker, which looks for work only when this moved).
        self.written = 0

    def __call__(self, tx: Tx) -> None:
        now = time.time()
        rows: list[dict[str, Any]] = []
        global_targets: dict[int, list[Target]] = {}
        for change in tx.events:
            if not isinstance(change, ch.Change):
                continue
            if not _license_has_webhooks(tx, change.license_id):
                continue
            view = self.view_for(change.license_id, AGENT)
            occ = occurrence(change, view)
            if occ is None:
                continue
            lic = change.license_id
            if lic not in global_targets:
                global_targets[lic] = _registered(tx, lic)
            targets = [t for t in global_targets[lic] if t.action == occ.action]
            targets.extend(_bot_targets(tx, lic, occ))
            for target in targets:
                if matches(target, occ):
                    rows.append(self._row(lic, target, occ, view, now))
        if rows:
            repo.insert_deliveries(tx.conn, rows)
            self.written += len(rows)

    def _row(
        self, license_id: int, target: Target, occ: Occurrence, view: ser.View, now: float
    ) -> dict[str, Any]:
        body = {
            "webhook_id": target.webhook_id,
            "secret_key": target.secret_key,
            "action": occ.action,
            "data": occ.data,
            "additional_data": additional_data(target, occ, view),
        }
        return {
            "delivery_id": str(uuid.uuid4()),
            "license_id": license_id,
            "webhook_id": target.webhook_id,
            "source": target.source,
            "action": occ.action,
            "url": target.url,
            "secret_key": target.secret_key,
            "body": _encode(body).decode(),
            "ordering_key": ordering_key(target.url, occ.ordering),
            "chat_id": occ.chat.id if occ.chat is not None else None,
            "status": repo.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "retry_until": now + self.retry_for(),
            "created_at": now,
        }


def _registered(tx: Tx, license_id: int) -> list[Target]:
    rows = repo.webhooks_for_actions(tx.conn, license_id, CHAT_ACTIONS + AGENT_ACTIONS)
    return [
        Target(
            webhook_id=r.id,
            source="webhook",
            url=r.url,
            secret_key=r.secret_key,
            action=r.action,
            filters=dict(r.filters or {}),
            additional_data=list(r.additional_data or []),
        )
        for r in rows
    ]


def _bot_targets(tx: Tx, license_id: int, occ: Occurrence) -> list[Target]:
    # A bot's own webhooks: for chats it is in; for agent actions, every bot of the license.
    ids = sorted(occ.member_ids) if occ.chat is not None else None
    out: list[Target] = []
    for bot in repo.bots_with_webhooks(tx.conn, license_id, ids):
        if bot.routing_status == "offline":
            continue
        config = bot.webhooks
        for a in config.get("actions", []):
            if a.get("name") == occ.action:
                out.append(
                    Target(
                        webhook_id=bot.id,
                        source="bot",
                        url=config["url"],
                        secret_key=config["secret_key"],
                        action=occ.action,
                        filters=dict(a.get("filters") or {}),
                        additional_data=list(a.get("additional_data") or []),
                    )
                )
    return out
