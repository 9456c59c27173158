"""The tables, in SQLAlchemy Core, shared by every engine.

Times are UNIX seconds as floats (the wire shows whole seconds or ISO 8601 strings);
JSON columns hold the spec's open-ended maps (properties, fields, access).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

licenses = sa.Table(
    "licenses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan", sa.String(32), nullable=False, default="enterprise"),
    sa.Column("settings", JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.Float, nullable=False),
    # The v3.x APIs' name for the license (a UUID).
    sa.Column("organization_id", sa.String(36), nullable=False, default=lambda: str(uuid.uuid4())),
    sa.Index("uq_licenses_organization_id", "organization_id", unique=True),
)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("license_id", sa.Integer, sa.ForeignKey("licenses.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("license_id", sa.Integer, sa.ForeignKey("licenses.id"), primary_key=True),
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("email", sa.String(255), nullable=True),
    # owner | administrator | normal
    sa.Column("role", sa.String(32), nullable=False, default="normal"),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("is_bot", sa.Boolean, nullable=False, default=False),
    # The application that owns a bot agent.
    sa.Column("client_id", sa.String(64), nullable=True),
    sa.Column("avatar", sa.String(1024), nullable=True),
    sa.Column("job_title", sa.String(255), nullable=True),
    sa.Column("max_chats_count", sa.Integer, nullable=False, default=6),
    # The last routing status the agent chose (restored by `login` with `reconnect`).
    sa.Column("routing_status", sa.String(32), nullable=False, default="accepting_chats"),
    sa.Column("webhooks", JSON, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    # -- the Configuration API v3.x (migration 0013) --
    # A suspended agent cannot log in or use a token, and is routed nothing; one awaiting
    # approval likewise until approved.
    sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("awaiting_approval", sa.Boolean, nullable=False, server_default=sa.false()),
    # The status an RTM login starts with (`accepting_chats`, `not_accepting_chats`);
    # NULL: accepting chats, as before the v3.x Configuration API.
    sa.Column("login_status", sa.String(32), nullable=True),
    sa.Column("last_logout_at", sa.Float, nullable=True),
    # A bot's priority in a group that names none for it (group 0): first | normal | last
    # | supervisor; NULL is normal.
    sa.Column("default_group_priority", sa.String(16), nullable=True),
    # SHA-256 of a bot's secret (issue_bot_token), and the template a bot was made from.
    sa.Column("secret_hash", sa.String(64), nullable=True),
    sa.Column("template_id", sa.String(64), nullable=True),
    # What the Configuration API stores and shows but no rule reads: mobile, notifications,
    # email_subscriptions, work_scheduler, timezone, a bot's type, unsuspension requests.
    sa.Column("profile", JSON, nullable=True),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("license_id", sa.Integer, sa.ForeignKey("licenses.id"), primary_key=True),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    # The group's language (Configuration API v3.x `language_code`); NULL: `en`.
    sa.Column("language_code", sa.String(16), nullable=True),
)

group_agents = sa.Table(
    "group_agents",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("group_id", sa.Integer, primary_key=True),
    sa.Column("agent_id", sa.String(255), primary_key=True),
    # first | normal | last
    sa.Column("priority", sa.String(16), nullable=False, default="normal"),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("license_id", sa.Integer, sa.ForeignKey("licenses.id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=True),
    sa.Column("email", sa.String(255), nullable=True),
    sa.Column("avatar", sa.String(1024), nullable=True),
    sa.Column("fields", JSON, nullable=False, default=dict),
    sa.Column("last_visit", JSON, nullable=True),
    sa.Column("chats_count", sa.Integer, nullable=False, default=0),
    sa.Column("threads_count", sa.Integer, nullable=False, default=0),
    sa.Column("visits_count", sa.Integer, nullable=False, default=0),
    sa.Column("agent_last_event_created_at", sa.Float, nullable=True),
    sa.Column("customer_last_event_created_at", sa.Float, nullable=True),
    sa.Column("banned_until", sa.Float, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_customers_license_created", "license_id", "created_at"),
)

# A browser's cookie secret (hashed) that brings an anonymous customer back.
customer_cookies = sa.Table(
    "customer_cookies",
    metadata,
    sa.Column("secret_hash", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    # access | refresh
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("license_id", sa.Integer, nullable=False),
    # agent | customer
    sa.Column("entity_type", sa.String(16), nullable=False),
    sa.Column("entity_id", sa.String(255), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    # The refresh token an access token was issued with (revoked together).
    sa.Column("refresh_hash", sa.String(64), nullable=True),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_tokens_entity", "license_id", "entity_id"),
)

chats = sa.Table(
    "chats",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("license_id", sa.Integer, sa.ForeignKey("licenses.id"), nullable=False),
    sa.Column("customer_id", sa.String(64), nullable=True),
    sa.Column("access", JSON, nullable=False),
    sa.Column("properties", JSON, nullable=False, default=dict),
    # The last `order` handed to an event or thread of this chat (strictly increasing).
    sa.Column("last_order", sa.BigInteger, nullable=False, default=0),
    sa.Column("last_thread_id", sa.String(32), nullable=True),
    sa.Column("active_thread_id", sa.String(32), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    # Agents following the chat (follow_chat), cleared when a new thread starts (0008).
    sa.Column("follower_ids", JSON, nullable=False, default=list),
    sa.Index("ix_chats_license_updated", "license_id", "updated_at"),
    sa.Index("ix_chats_customer", "customer_id", "updated_at"),
)

# The groups in a chat's access, one row each, so that access filters use an index.
chat_access = sa.Table(
    "chat_access",
    metadata,
    sa.Column("chat_id", sa.String(32), primary_key=True),
    sa.Column("group_id", sa.Integer, primary_key=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Index("ix_chat_access_group", "license_id", "group_id"),
)

chat_users = sa.Table(
    "chat_users",
    metadata,
    sa.Column("chat_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(255), primary_key=True),
    # agent | customer
    sa.Column("user_type", sa.String(16), nullable=False),
    sa.Column("present", sa.Boolean, nullable=False, default=True),
    sa.Column("last_seen_timestamp", sa.Integer, nullable=True),
    # The same moment to the microsecond (v3.x `events_seen_up_to`), migration 0012.
    sa.Column("events_seen_up_to", sa.Float, nullable=True),
    sa.Column("joined_at", sa.Float, nullable=False),
    sa.Index("ix_chat_users_user", "user_id", "present"),
)

threads = sa.Table(
    "threads",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("chat_id", sa.String(32), nullable=False),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("order", sa.BigInteger, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("user_ids", JSON, nullable=False),
    sa.Column("properties", JSON, nullable=False, default=dict),
    sa.Column("access", JSON, nullable=False),
    sa.Column("total_events", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("closed_at", sa.Float, nullable=True),
    # The thread's tags, as shown (tag_thread); thread_tags indexes them for filters (0008).
    sa.Column("tags", JSON, nullable=False, default=list),
    # A chat's threads in order; the archives' filters on a thread's chat (chat property
    # filters, chat_ids, customers) read license, start and id from the index alone (0014).
    sa.Index("ix_threads_chat_order", "chat_id", "order", "license_id", "created_at", "id"),
    # The archives' newest-first walk and count, from the index alone (0006).
    sa.Index("ix_threads_license_created_id", "license_id", "created_at", "id", "chat_id"),
)

# Agents who took part in a thread, for the archives' `agent_ids` filter.
thread_agents = sa.Table(
    "thread_agents",
    metadata,
    sa.Column("thread_id", sa.String(32), primary_key=True),
    sa.Column("agent_id", sa.String(255), primary_key=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Index("ix_thread_agents_agent_thread", "license_id", "agent_id", "thread_id"),
)

# A thread's tags, one row each, so that the archives' `tags` filter is an index lookup
# (0008). `threads.tags` stays the source the objects are read from; these rows are
# written in the same transaction.
thread_tags = sa.Table(
    "thread_tags",
    metadata,
    sa.Column("thread_id", sa.String(32), primary_key=True),
    sa.Column("tag", sa.String(255), primary_key=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Index("ix_thread_tags_license_tag", "license_id", "tag", "thread_id"),
)

events = sa.Table(
    "events",
    metadata,
    # An integer key so that full-text indexes can point at rows.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("chat_id", sa.String(32), nullable=False),
    sa.Column("thread_id", sa.String(32), nullable=False),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("order", sa.BigInteger, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("author_id", sa.String(255), nullable=True),
    sa.Column("recipients", sa.String(16), nullable=False),
    sa.Column("custom_id", sa.String(255), nullable=True),
    sa.Column("text", sa.Text, nullable=True),
    # Type-specific fields (annotation_type, fields, content, elements, url, ...).
    sa.Column("body", JSON, nullable=False),
    sa.Column("properties", JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.Float, nullable=False),
    # delete_event: the row stays (v3.6 agents see it marked deleted); the full-text
    # index forgets it (0008).
    sa.Column("deleted_at", sa.Float, nullable=True),
    sa.Index("ix_events_thread_order", "thread_id", "order"),
    sa.Index("ix_events_chat_order", "chat_id", "order"),
)


# -- customers' visits, goals, agents' push notification devices (revision 0002_visits) --

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("customer_id", sa.String(64), primary_key=True),
    # 1, 2, 3, ... per customer (the customer's visits_count when it started)
    sa.Column("visit_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(1024), nullable=True),
    sa.Column("referrer", sa.String(2048), nullable=True),
    # [{"opened_at", "url", "title"}], newest last, at most 20 kept
    sa.Column("pages", JSON, nullable=False),
)

goal_hits = sa.Table(
    "goal_hits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("goal_id", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.String(64), nullable=False),
    sa.Column("group_id", sa.Integer, nullable=False),
    sa.Column("page_url", sa.String(2048), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_goal_hits_goal", "license_id", "goal_id"),
)

push_devices = sa.Table(
    "push_devices",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("agent_id", sa.String(255), primary_key=True),
    sa.Column("firebase_token", sa.String(512), primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# -- routing (issue 5) -----------------------------------------------------------------

# An agent's routing status as it is now: `agents.routing_status` keeps the last status the
# agent chose (restored by `login` with `reconnect`), this row what routing obeys, which is
# `offline` while the agent has no connection. No row means offline.
agent_statuses = sa.Table(
    "agent_statuses",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("agent_id", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# Chats with an active thread and no agent, waiting for one, served by `queued_at` (the
# moment the thread arrived), then `id`.
routing_queue = sa.Table(
    "routing_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("chat_id", sa.String(32), nullable=False, unique=True),
    sa.Column("queued_at", sa.Float, nullable=False),
    sa.Index("ix_routing_queue_license", "license_id", "queued_at"),
)

# Stored deadlines (idle, archive) of active threads, polled and claimed by one task.
routing_timers = sa.Table(
    "routing_timers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("chat_id", sa.String(32), nullable=False),
    sa.Column("thread_id", sa.String(32), nullable=False),
    # idle | archive
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("due_at", sa.Float, nullable=False),
    sa.UniqueConstraint("thread_id", "kind", name="uq_routing_timers_thread_kind"),
    sa.Index("ix_routing_timers_due", "due_at"),
)

# -- properties (migration 0002_properties) ---------------------------------------------

# Property configurations created through the Configuration API, per license and
# namespace (the creating application's client_id). The built-in `test` and `routing`
# namespaces live in code (domain/properties.py), not here.
property_configs = sa.Table(
    "property_configs",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("namespace", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    # int | bool | string | tokenized_string
    sa.Column("type", sa.String(32), nullable=False),
    # {location: {"access": {user_type: {"read": bool, "write": bool}}}}
    sa.Column("locations", JSON, nullable=False),
    sa.Column("domain", JSON, nullable=True),
    sa.Column("range", JSON, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    # -- register_property (Configuration API v3.x, migration 0013) --
    # The value a license or group property reads as while none is set.
    sa.Column("default_value", JSON, nullable=True),
    # NULL: created through v3.0's create_properties (public, as v3.0 has it); a list:
    # registered through v3.x, private to its namespace's application while empty, then
    # the access (`read`, `write`) publish_property gave every other application.
    sa.Column("public_access", JSON, nullable=True),
)

# An index of chat and thread property values, so that `filters.properties` is a lookup,
# not a scan of JSON. The JSON columns stay the source the objects are read from; these
# rows are written in the same transaction (domain/property_index.py). A chat's own
# properties have location 'chat' and thread_id ''.
property_values = sa.Table(
    "property_values",
    metadata,
    sa.Column("chat_id", sa.String(32), primary_key=True),
    sa.Column("thread_id", sa.String(32), primary_key=True),
    sa.Column("namespace", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    # chat | thread
    sa.Column("location", sa.String(8), nullable=False),
    # The value as text ('true', '42', the string; a digest for long strings).
    sa.Column("value_key", sa.String(255), nullable=False),
    sa.Index(
        "ix_property_values_lookup",
        "license_id",
        "namespace",
        "name",
        "location",
        "value_key",
        "chat_id",
        "thread_id",
    ),
)

# The words of `tokenized_string` values (lower-cased), one row each, so that a filter
# finds values that contain a word.
property_tokens = sa.Table(
    "property_tokens",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("namespace", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("location", sa.String(8), primary_key=True),
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("chat_id", sa.String(32), primary_key=True),
    sa.Column("thread_id", sa.String(32), primary_key=True),
    sa.Index("ix_property_tokens_object", "chat_id", "thread_id", "namespace", "name"),
)

# -- webhooks (chatplane/webhooks, docs/webhooks.md) -------------------------------------

# Global webhooks registered with the Configuration API's `register_webhook`; a bot
# agent's own webhooks live in `agents.webhooks`.
webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    # The application that registered it ("my" webhooks).
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("description", sa.String(1024), nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("secret_key", sa.String(512), nullable=False),
    sa.Column("filters", JSON, nullable=True),
    sa.Column("additional_data", JSON, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    # The API version it was registered through: its deliveries take that version's shape.
    sa.Column("version", sa.String(8), nullable=False, server_default="3.0"),
    # v3.x `type`: license (the license's webhooks, switched per application by
    # enable/disable_license_webhooks) or bot. v3.0 registrations are license webhooks.
    sa.Column("type", sa.String(16), nullable=False, server_default="license"),
    sa.Index("ix_webhooks_license_action", "license_id", "action"),
)

# Applications whose license webhooks are disabled on a license (disable_license_webhooks);
# no row: enabled. The outbox skips their `license` webhooks.
webhook_disabled_clients = sa.Table(
    "webhook_disabled_clients",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("disabled_at", sa.Float, nullable=False),
)

# Personal access tokens (authorization/personal-access-tokens): an agent's long-lived
# token with the scopes chosen, sent as `Basic base64(<agent id>:<token>)`.
personal_access_tokens = sa.Table(
    "personal_access_tokens",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("agent_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_used_at", sa.Float, nullable=True),
    sa.UniqueConstraint("token_hash", name="uq_personal_access_tokens_hash"),
    sa.Index("ix_personal_access_tokens_agent", "license_id", "agent_id"),
)

# The outbox: one row per webhook to send, written in the transaction of the change that
# caused it. Workers claim rows with a lease (and SKIP LOCKED on PostgreSQL).
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    # Stable across retries: the receiver's key for dropping duplicates.
    sa.Column("delivery_id", sa.String(64), nullable=False, unique=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    # A registered webhook's id, or the bot agent's id for a bot's own webhooks.
    sa.Column("webhook_id", sa.String(255), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # webhook | bot
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("secret_key", sa.String(512), nullable=False),
    # The exact bytes sent on every attempt.
    sa.Column("body", sa.Text, nullable=False),
    # Deliveries with the same key (receiver URL + chat) go out one at a time, in `seq` order.
    sa.Column("ordering_key", sa.String(64), nullable=False),
    sa.Column("chat_id", sa.String(32), nullable=True),
    # pending | delivered | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    # Retries stop after this time; `redeliver` moves it.
    sa.Column("retry_until", sa.Float, nullable=False),
    sa.Column("lease_token", sa.String(64), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(1024), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    # Leads with status: a claim walks the pending part key by key (webhooks.claim_due).
    sa.Index("ix_webhook_deliveries_pending_order", "status", "ordering_key", "seq"),
    sa.Index("ix_webhook_deliveries_license", "license_id", "status", "seq"),
)

# Every attempt to deliver, for operators.
webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("delivery_seq", sa.BigInteger, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.String(1024), nullable=True),
    # delivered | retry | failed
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Index("ix_webhook_attempts_delivery", "delivery_seq", "attempt"),
    sa.Index("ix_webhook_attempts_outcome", "outcome"),
)

# Retry-safe writes (docs/idempotency.md): a caller's idempotency key, written in the
# transaction of the request's first write with what that write returned, then the answer.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    # "<user type>:<user id>" of the caller (after acting as a bot).
    sa.Column("owner", sa.String(300), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    # SHA-256 of the API, version, action and payload: a reused key must mean the same.
    sa.Column("fingerprint", sa.String(64), nullable=False),
    # What each write of the request returned, encoded (api/idempotency.py).
    sa.Column("results", sa.Text, nullable=True),
    # The answer, once it was given.
    sa.Column("response", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_idempotency_keys_created", "created_at"),
)

# Keys the server keeps for itself (the key that signs v3.x page ids), made on first use
# and shared by every process of an installation (migration 0012).
server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

# -- the Configuration API v3.x (migration 0013) ----------------------------------------

# Bot templates (create_bot_template): owned by an application; a bot made from one has
# the template's id and secret.
bot_templates = sa.Table(
    "bot_templates",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("avatar", sa.String(1024), nullable=True),
    sa.Column("max_chats_count", sa.Integer, nullable=False),
    sa.Column("default_group_priority", sa.String(16), nullable=True),
    sa.Column("job_title", sa.String(255), nullable=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_bot_templates_client", "license_id", "client_id"),
)

# Tags (create_tag): per license, unique by name ignoring letter case (`name_key`).
tags = sa.Table(
    "tags",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("name_key", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("group_ids", JSON, nullable=False),
    sa.Column("author_id", sa.String(255), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

# Auto access rules (add_auto_access), in the order they are tried (`position`).
auto_access_rules = sa.Table(
    "auto_access_rules",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("license_id", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("description", sa.String(1024), nullable=True),
    # {"groups": [int, ...]}
    sa.Column("access", JSON, nullable=False),
    # {"url": {...}, "domain": {...}, "geolocation": {...}}
    sa.Column("conditions", JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_auto_access_rules_license", "license_id", "position"),
)

# License and group property values (update_license_properties, update_group_properties):
# `group_id` is -1 for a license value.
configured_property_values = sa.Table(
    "configured_property_values",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("group_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("namespace", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", JSON, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

# Customer bans with who banned, when, from which address and in which thread
# (list_customer_bans); `customers.banned_until` stays what refuses a banned customer.
customer_bans = sa.Table(
    "customer_bans",
    metadata,
    sa.Column("license_id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("agent_id", sa.String(255), nullable=True),
    sa.Column("thread_id", sa.String(32), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Index("ix_customer_bans_ip", "license_id", "ip"),
)
