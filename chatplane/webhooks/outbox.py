"""The transactional outbox: domain changes become webhook deliveries in the same
transaction (`Store.add_tx_hook`), so a webhook is durable exactly when its change is.

Who gets a webhook:
- global webhooks (`register_webhook`) of the change's action, always;
- a bot agent's own webhooks, for chats the bot is in (or was just removed from), and
  only while the bot is not `offline` (configuration-api/readme.md, Bot Agent);
then each webhook's filters (`author_type`, `chat_member_ids`, a bot's `chat_properties`)
decide, and its `additional_data` is attached.

A webhook is delivered in the API version it was registered through. What a change is as
a webhook of a version (its action, its data, its body) is that version's `WebhookFormat`,
which the app hands in (api/v3_0/webhooks.py, ...); this module never imports `api/`.
What the formats need inside the transaction (the license's property configurations) is
read in the transaction.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import msgspec

from chatplane.domain import changes as ch
from chatplane.domain import properties
from chatplane.domain.models import AGENT, CUSTOMER, Chat
from chatplane.domain.viewer import View
from chatplane.storage import Tx, chat_cache
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import webhooks as repo

_encode = msgspec.json.Encoder().encode
T = TypeVar("T")


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
    version: str = "3.0"  # the API version it was registered through
    # v3.x `type`: `license` (fires for the whole license) or `bot` (for chats, and
    # agents, of the owner's bots); v3.0 registrations are license webhooks.
    type: str = "license"
    # The application that registered it (v3.x `owner_client_id`).
    owner_client_id: str = ""


@dataclass
class Occurrence:
    """A change as a webhook action: its `data`, and what filters look at."""

    action: str
    # The payload: an object, or an array (v3.x `auto_accesses_updated`).
    data: Any
    chat: Chat | None = None
    thread_id: str | None = None
    # Agents "in the chat" for chat_member_ids (for agent actions: the agent itself).
    member_ids: set[str] = field(default_factory=set)
    author_type: str | None = None
    ordering: str = ""
    # Every user present in the chat (agents and the customer; v3.x `chat_presence`), or
    # for an agent action the agent.
    presence_ids: set[str] = field(default_factory=set)
    # Made by the server itself (routing, timers, system messages), not by a user's
    # request (v3.x `source_type: system`).
    by_system: bool = False
    # The application whose request made it, where that is recorded (configuration
    # changes): v3.x `source_type` tells `my_client` from `other_clients` by it.
    source_client_id: str | None = None


@dataclass
class LicenseInfo:
    """What a webhook body may name of its license."""

    license_id: int
    organization_id: str


class WebhookFormat(Protocol):
    """One API version's webhooks."""

    def occurrence(self, change: ch.Change, view: View) -> Occurrence | list[Occurrence] | None:
        """The webhook action a change is in this version, with its data (a change may be
        several: a transfer that also moved the chat's access); None if none."""
        ...

    def body(
        self, target: Target, occ: Occurrence, view: View, license: LicenseInfo
    ) -> dict[str, Any]:
        """The JSON body delivered to `target`."""
        ...

    def matches(
        self, target: Target, occ: Occurrence, owner_bots: Callable[[], frozenset[str]]
    ) -> bool:
        """Whether `target` fires for `occ`, by its type and filters; `owner_bots()` are
        the ids of the target's owner's bot agents that are not offline (read on demand)."""
        ...


def chat_members(change: ch.ChatChange) -> set[str]:
    """Agents "in the chat" when the change happened (for `chat_member_ids`)."""
    members = {u.id for u in change.chat.users if u.type == AGENT and u.present}
    if isinstance(change, ch.UserRemoved) and change.user_type == AGENT:
        members.add(change.user_id)  # it was in the chat when this happened
    return members


def author_type(change: ch.ChatChange) -> str | None:
    """`customer` or `agent` for an appended event with an author (the `author_type` filter)."""
    if isinstance(change, ch.EventAppended) and change.event.author_id is not None:
        return _author_type(change.chat, change.event.author_id)
    return None


def thread_of(change: ch.ChatChange) -> str | None:
    if isinstance(change, ch.ThreadStarted):
        return change.thread.id
    thread_id = getattr(change, "thread_id", None)
    return thread_id if isinstance(thread_id, str) else None


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
    """The tx hook: `formats` maps each API version to its webhook format."""

    def __init__(
        self, formats: Mapping[str, WebhookFormat], retry_for: Callable[[], float]
    ) -> None:
        self.formats = formats
        self.retry_for = retry_for
        # Deliveries written so far by this process (counted in the writer; read by the
        # delivery worker, which looks for work only when this moved).
        self.written = 0

    def __call__(self, tx: Tx) -> None:
        now = time.time()
        rows: list[dict[str, Any]] = []
        per_license: dict[int, tuple[list[Target], View, LicenseInfo]] = {}
        owner_bots: dict[tuple[int, str], frozenset[str]] = {}
        for change in tx.events:
            if not isinstance(change, ch.Change):
                continue
            lic = change.license_id
            if not _license_has_webhooks(tx, lic):
                continue
            if lic not in per_license:
                per_license[lic] = _remembered(tx, ("license_context", lic), _license_context)
            registered, view, info = per_license[lic]
            occurrences: dict[str, list[Occurrence]] = {}
            # Only the versions something is registered in (v3.0 always: bots' webhooks).
            wanted = {t.version for t in registered} | {"3.0"}
            for version, fmt in self.formats.items():
                if version not in wanted:
                    continue
                found = fmt.occurrence(change, view)
                occurrences[version] = (
                    [] if found is None else found if isinstance(found, list) else [found]
                )
            pairs = [
                (t, occ)
                for t in registered
                for occ in occurrences.get(t.version, [])
                if t.action == occ.action
            ]
            for v30 in occurrences.get("3.0", []):
                pairs.extend((t, v30) for t in _bot_targets(tx, lic, v30))
            for target, occ in pairs:
                fmt = self.formats[target.version]
                bots = partial(_active_bots, tx, lic, target.owner_client_id, owner_bots)
                if fmt.matches(target, occ, bots):
                    body = fmt.body(target, occ, view, info)
                    rows.append(self._row(lic, target, occ, body, now))
        if rows:
            repo.insert_deliveries(tx.conn, rows)
            self.written += len(rows)

    def _row(
        self, license_id: int, target: Target, occ: Occurrence, body: dict[str, Any], now: float
    ) -> dict[str, Any]:
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


def _remembered(tx: Tx, key: tuple[Any, ...], read: Callable[[Tx, int], T]) -> T:
    """What `read(tx, license_id)` gives, read once per unit of work on PostgreSQL; on the
    SQLite writer kept until a write that could change it (storage/chat_cache.py:
    `remember`). Every change of a license with a webhook needs these, and they cost
    several times the change itself; what they give is only read (never changed) here
    and by the formats."""
    cache = chat_cache.of(tx.conn)
    license_id = key[1]
    if cache is None:
        return read(tx, license_id)
    return cache.remember(("outbox", *key), lambda: read(tx, license_id))


def _license_context(tx: Tx, license_id: int) -> tuple[list[Target], View, LicenseInfo]:
    """A license's registered webhooks, the agents' view of it (property configurations
    read in this transaction) and its names, once per unit of work."""
    configs = properties.load_configs(tx, license_id)
    lic = accounts_repo.get_license(tx.conn, license_id)
    organization_id = lic.organization_id if lic is not None else ""
    return (
        _registered(tx, license_id),
        View(user_type=AGENT, configs=configs),
        LicenseInfo(license_id, organization_id),
    )


def _registered(tx: Tx, license_id: int) -> list[Target]:
    rows = repo.webhooks_of_license(tx.conn, license_id)
    return [
        Target(
            webhook_id=r.id,
            source="webhook",
            url=r.url,
            secret_key=r.secret_key,
            action=r.action,
            filters=dict(r.filters or {}),
            additional_data=list(r.additional_data or []),
            version=r.version,
            type=r.type,
            owner_client_id=r.client_id,
        )
        for r in rows
    ]


def _active_bots(
    tx: Tx, license_id: int, client_id: str, known: dict[tuple[int, str], frozenset[str]]
) -> frozenset[str]:
    """The ids of an application's bot agents that are not offline (read once per unit
    of work: `known`)."""
    key = (license_id, client_id)
    if key not in known:
        bots = accounts_repo.bots(tx.conn, license_id, client_id) if client_id else []
        known[key] = frozenset(b.id for b in bots if b.routing_status != "offline")
    return known[key]


def _bot_targets(tx: Tx, license_id: int, occ: Occurrence) -> list[Target]:
    # A bot's own webhooks: for chats it is in; for agent actions, every bot of the license.
    ids = sorted(occ.member_ids) if occ.chat is not None else None
    key = ("bots_with_webhooks", license_id, None if ids is None else tuple(ids))
    out: list[Target] = []
    for bot in _remembered(tx, key, lambda tx, _lic: repo.bots_with_webhooks(tx.conn, _lic, ids)):
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
