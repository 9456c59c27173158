"""Property configurations, and the index of property values that filters look up.

The values themselves live in the JSON `properties` columns of chats, threads and events;
this module keeps `property_values` (one row per chat or thread property) and
`property_tokens` (one row per word of a `tokenized_string` value) in step with them,
and builds the sub-selects that `filters.properties` turn into.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chatplane.storage import chat_cache
from chatplane.storage import schema as s

# Longer strings are indexed by a digest: a B-tree entry must stay small on every engine
# (PostgreSQL refuses entries over ~2.7 kB), and equality is all a filter needs.
VALUE_KEY_MAX = 200
TOKEN_MAX = 64
_WORD = re.compile(r"\w+", re.UNICODE)

PropertyKey = tuple[str, str]  # (namespace, name)


def value_key(value: Any) -> str:
    """The text a value is indexed (and looked up) by."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if len(text) > VALUE_KEY_MAX:
        return "#sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def tokens(text: str) -> list[str]:
    """The distinct lower-cased words of a text, as `tokenized_string` indexes them."""
    return list(dict.fromkeys(w[:TOKEN_MAX] for w in _WORD.findall(text.lower())))


def location_of(thread_id: str) -> str:
    return "thread" if thread_id else "chat"


# -- configurations --------------------------------------------------------------------


def load_configs(conn: Connection, license_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(s.property_configs).where(s.property_configs.c.license_id == license_id)
        )
    )


def insert_config(conn: Connection, **values: Any) -> None:
    conn.execute(s.property_configs.insert().values(**values))


def update_config(
    conn: Connection, license_id: int, namespace: str, name: str, **values: Any
) -> None:
    pc = s.property_configs
    conn.execute(
        pc.update()
        .where(pc.c.license_id == license_id, pc.c.namespace == namespace, pc.c.name == name)
        .values(**values)
    )


def delete_config(conn: Connection, license_id: int, namespace: str, name: str) -> None:
    pc, cv = s.property_configs, s.configured_property_values
    conn.execute(
        pc.delete().where(
            pc.c.license_id == license_id, pc.c.namespace == namespace, pc.c.name == name
        )
    )
    conn.execute(
        cv.delete().where(
            cv.c.license_id == license_id, cv.c.namespace == namespace, cv.c.name == name
        )
    )


# -- license and group values (group_id -1: the license's own) ---------------------------

LICENSE_VALUES = -1


def configured_values(conn: Connection, license_id: int, group_ids: list[int] | None) -> list[Any]:
    """Stored license values (`group_ids` None) or the values of those groups
    (an empty list: every group's)."""
    cv = s.configured_property_values
    q = sa.select(cv).where(cv.c.license_id == license_id)
    if group_ids is None:
        q = q.where(cv.c.group_id == LICENSE_VALUES)
    elif group_ids:
        q = q.where(cv.c.group_id.in_(group_ids))
    else:
        q = q.where(cv.c.group_id != LICENSE_VALUES)
    return list(conn.execute(q.order_by(cv.c.group_id, cv.c.namespace, cv.c.name)))


def set_configured_value(
    conn: Connection,
    license_id: int,
    group_id: int,
    namespace: str,
    name: str,
    value: Any,
    now: float,
) -> None:
    cv = s.configured_property_values
    key = (
        (cv.c.license_id == license_id)
        & (cv.c.group_id == group_id)
        & (cv.c.namespace == namespace)
        & (cv.c.name == name)
    )
    if not conn.execute(cv.update().where(key).values(value=value, updated_at=now)).rowcount:
        conn.execute(
            cv.insert().values(
                license_id=license_id,
                group_id=group_id,
                namespace=namespace,
                name=name,
                value=value,
                updated_at=now,
            )
        )


def delete_configured_value(
    conn: Connection, license_id: int, group_id: int, namespace: str, name: str
) -> bool:
    cv = s.configured_property_values
    return bool(
        conn.execute(
            cv.delete().where(
                cv.c.license_id == license_id,
                cv.c.group_id == group_id,
                cv.c.namespace == namespace,
                cv.c.name == name,
            )
        ).rowcount
    )


def delete_group_values(conn: Connection, license_id: int, group_id: int) -> None:
    cv = s.configured_property_values
    conn.execute(cv.delete().where(cv.c.license_id == license_id, cv.c.group_id == group_id))


# -- the value index -------------------------------------------------------------------


def indexed_keys(conn: Connection, chat_id: str, thread_id: str) -> dict[PropertyKey, str]:
    """(namespace, name) -> value_key of what is indexed for one chat or thread."""
    v = s.property_values
    rows = conn.execute(
        sa.select(v.c.namespace, v.c.name, v.c.value_key).where(
            v.c.chat_id == chat_id, v.c.thread_id == thread_id
        )
    )
    return {(r.namespace, r.name): r.value_key for r in rows}


def set_values(
    conn: Connection,
    license_id: int,
    chat_id: str,
    thread_id: str,
    values: Mapping[PropertyKey, Any],
    tokenized: Iterable[PropertyKey] = (),
) -> None:
    """Index these properties of one chat (thread_id '') or thread, replacing old values."""
    if not values:
        return
    location = location_of(thread_id)
    remove(conn, chat_id, thread_id, list(values))
    conn.execute(
        s.property_values.insert(),
        [
            {
                "chat_id": chat_id,
                "thread_id": thread_id,
                "namespace": ns,
                "name": name,
                "license_id": license_id,
                "location": location,
                "value_key": value_key(value),
            }
            for (ns, name), value in values.items()
        ],
    )
    words = [
        {
            "license_id": license_id,
            "namespace": ns,
            "name": name,
            "location": location,
            "token": token,
            "chat_id": chat_id,
            "thread_id": thread_id,
        }
        for key in set(tokenized)
        if isinstance(values.get(key), str)
        for ns, name in (key,)
        for token in tokens(values[key])
    ]
    if words:
        conn.execute(s.property_tokens.insert(), words)


def remove(
    conn: Connection, chat_id: str, thread_id: str, keys: list[PropertyKey] | None = None
) -> None:
    """Drop index rows of one chat or thread: of these properties, or all of them."""
    for table in (s.property_values, s.property_tokens):
        where: list[Any] = [table.c.chat_id == chat_id, table.c.thread_id == thread_id]
        if keys is not None:
            if not keys:
                continue
            where.append(
                sa.or_(*(sa.and_(table.c.namespace == ns, table.c.name == n) for ns, n in keys))
            )
        conn.execute(table.delete().where(*where))


def sync(
    conn: Connection,
    license_id: int,
    chat_id: str,
    thread_id: str,
    values: Mapping[PropertyKey, Any],
    tokenized: Iterable[PropertyKey] = (),
) -> None:
    """Make the index of one chat or thread hold exactly `values`, writing only what differs."""
    have = indexed_keys(conn, chat_id, thread_id)
    stale = [k for k in have if k not in values]
    changed = {k: v for k, v in values.items() if have.get(k) != value_key(v)}
    if stale:
        remove(conn, chat_id, thread_id, stale)
    if changed:
        set_values(conn, license_id, chat_id, thread_id, changed, tokenized)


# -- look-ups for filters --------------------------------------------------------------


def holders(
    license_id: int, key: PropertyKey, location: str, keys: list[str] | None = None
) -> sa.Select[Any]:
    """Ids of the chats (location 'chat') or threads ('thread') that have the property,
    with one of `keys` as value when given. Served by ix_property_values_lookup."""
    v = s.property_values
    column = v.c.chat_id if location == "chat" else v.c.thread_id
    where: list[Any] = [
        v.c.license_id == license_id,
        v.c.namespace == key[0],
        v.c.name == key[1],
        v.c.location == location,
    ]
    if keys is not None:
        where.append(v.c.value_key.in_(keys))
    return sa.select(column).where(*where)


def word_holders(
    license_id: int, key: PropertyKey, location: str, phrases: list[list[str]]
) -> sa.Select[Any] | sa.CompoundSelect:
    """Ids of the chats or threads whose tokenized value contains every word of at least
    one of `phrases`. Served by the primary key of property_tokens."""
    t = s.property_tokens
    column = t.c.chat_id if location == "chat" else t.c.thread_id
    base = [
        t.c.license_id == license_id,
        t.c.namespace == key[0],
        t.c.name == key[1],
        t.c.location == location,
    ]
    selects: list[sa.Select[Any]] = []
    for words in phrases:
        if len(words) == 1:
            selects.append(sa.select(column).where(*base, t.c.token == words[0]))
        else:
            selects.append(
                sa.select(column)
                .where(*base, t.c.token.in_(words))
                .group_by(column)
                .having(sa.func.count(sa.distinct(t.c.token)) == len(words))
            )
    return selects[0] if len(selects) == 1 else sa.union(*selects)


# -- filters ---------------------------------------------------------------------------


@dataclass
class PropertyMatch:
    """One `filters.properties.<namespace>.<name>` filter, checked and ready to look up.

    An object matches when the property is set at one of `locations` (with one of
    `keys`, or containing every word of one of `phrases`, when given); `negate` turns
    that into "does not" (`exists: false`, `exclude_values`).
    """

    key: PropertyKey
    locations: tuple[str, ...]
    negate: bool = False
    keys: list[str] | None = None
    phrases: list[list[str]] | None = None


def match_clause(license_id: int, match: PropertyMatch, *, on_threads: bool) -> Any:
    """A WHERE clause on `threads` (get_archives) or on `chats` (get_filtered_chats)."""
    hits: list[Any] = []
    for location in match.locations:
        sub: Any = (
            word_holders(license_id, match.key, location, match.phrases)
            if match.phrases is not None
            else holders(license_id, match.key, location, match.keys)
        )
        if location == "chat":
            column = s.threads.c.chat_id if on_threads else s.chats.c.id
        elif on_threads:
            column = s.threads.c.id
        else:
            continue
        hits.append(column.in_(sub))
    if not hits:
        return sa.false() if not match.negate else sa.true()
    hit = sa.or_(*hits)
    return sa.not_(hit) if match.negate else hit


# -- the stored values -----------------------------------------------------------------

_TABLES = {"chat": s.chats, "thread": s.threads, "event": s.events}


def current(conn: Connection, location: str, object_id: str) -> dict[str, dict[str, Any]]:
    """The stored properties of a chat, thread or event, locked for update where the
    engine has row locks, so that concurrent updates merge rather than overwrite."""
    table = _TABLES[location]
    row = conn.execute(
        sa.select(table.c.properties).where(table.c.id == object_id).with_for_update()
    ).first()
    return dict(row.properties or {}) if row is not None else {}


def store(conn: Connection, location: str, object_id: str, values: dict[str, Any]) -> None:
    table = _TABLES[location]
    # A chat's properties change that chat only (the writer's chat cache forgets it).
    with chat_cache.scope(conn, chat_id=object_id if location == "chat" else None):
        conn.execute(table.update().where(table.c.id == object_id).values(properties=values))
