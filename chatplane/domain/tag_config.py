"""Tags (Configuration API v3.5+): labels agents put on threads, each assigned to groups.

A tag exists once per license whatever its letter case (`create_tag` of "Sales" when
"sales" exists is `already_exists`); `update_tag` and `delete_tag` match the name exactly.
Any tag of any group may be managed with the wider scope (the API declares it: `tags--all`);
otherwise only in groups the caller is a member of. A thread may carry a tag only if they
share a group (`tags_configured`), and only once the license has any tag at all: a license
that never configured tags accepts any tag, as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chatplane.domain import changes, groups
from chatplane.domain.access import RequireWider
from chatplane.domain.models import Principal
from chatplane.errors import already_exists, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import tags as repo

MAX_NAME = 255
# A tag created without `group_ids` is the General group's (group 0).
DEFAULT_GROUPS = [0]


@dataclass
class Tag:
    name: str
    group_ids: list[int]
    author_id: str | None
    created_at: float


def _tag(row: Any) -> Tag:
    return Tag(row.name, sorted(int(g) for g in row.group_ids or []), row.author_id, row.created_at)


def _key(name: str) -> str:
    return name.casefold()


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise validation("name must not be empty")
    if len(name) > MAX_NAME:
        raise validation(f"name must be at most {MAX_NAME} characters")
    return name


def _may_write(
    tx: Tx, caller: Principal, group_ids: list[int], require_wider: RequireWider
) -> None:
    """Tags of groups the caller is not a member of take the wider scope."""
    mine = set(accounts_repo.agent_group_ids(tx.conn, caller.license_id, caller.user_id))
    others = sorted(set(group_ids) - mine)
    if others:
        require_wider(f"group {others[0]} is not one of yours")


def _exact(tx: Tx, license_id: int, name: str) -> Tag:
    row = repo.by_key(tx.conn, license_id, _key(name))
    if row is None or row.name != name:
        raise not_found("Tag", name)
    return _tag(row)


def _group_ids(tx: Tx, license_id: int, group_ids: list[int]) -> list[int]:
    unique = sorted(set(group_ids))
    groups.check_exist(tx, license_id, unique)
    return unique


def create_tag(
    tx: Tx,
    caller: Principal,
    name: str,
    group_ids: list[int] | None,
    require_wider: RequireWider,
) -> Tag:
    name = _check_name(name)
    wanted = _group_ids(
        tx, caller.license_id, DEFAULT_GROUPS if group_ids is None else list(group_ids)
    )
    _may_write(tx, caller, wanted, require_wider)
    existing = repo.by_key(tx.conn, caller.license_id, _key(name))
    if existing is not None:
        raise already_exists("Tag", existing.name)
    now = time.time()
    repo.insert(
        tx.conn,
        license_id=caller.license_id,
        name_key=_key(name),
        name=name,
        group_ids=wanted,
        author_id=caller.user_id,
        created_at=now,
    )
    tag = Tag(name, wanted, caller.user_id, now)
    _emit(tx, caller, tag, "created")
    return tag


def update_tag(
    tx: Tx,
    caller: Principal,
    name: str,
    group_ids: list[int] | None,
    require_wider: RequireWider,
) -> Tag:
    tag = _exact(tx, caller.license_id, name)
    if group_ids is None:
        return tag  # nothing else of a tag can change
    wanted = _group_ids(tx, caller.license_id, list(group_ids))
    # Both the groups it leaves and those it joins must be the caller's to manage.
    _may_write(tx, caller, sorted(set(tag.group_ids) ^ set(wanted)), require_wider)
    repo.set_groups(tx.conn, caller.license_id, _key(name), wanted)
    before = list(tag.group_ids)
    tag.group_ids = wanted
    _emit(tx, caller, tag, "updated", before)
    return tag


def delete_tag(tx: Tx, caller: Principal, name: str, require_wider: RequireWider) -> None:
    tag = _exact(tx, caller.license_id, name)
    _may_write(tx, caller, tag.group_ids, require_wider)
    repo.delete(tx.conn, caller.license_id, _key(name))
    _emit(tx, caller, tag, "deleted")


def list_tags(
    tx: Tx, caller: Principal, group_ids: list[int] | None, *, every_group: bool
) -> list[Tag]:
    """Tags of any of `group_ids` (all tags when None); without `every_group` (the wider
    scope), only the tags of the caller's groups."""
    found = [_tag(r) for r in repo.all_of(tx.conn, caller.license_id)]
    if group_ids is not None:
        wanted = set(group_ids)
        found = [t for t in found if wanted.intersection(t.group_ids)]
    if not every_group:
        mine = set(accounts_repo.agent_group_ids(tx.conn, caller.license_id, caller.user_id))
        found = [t for t in found if mine.intersection(t.group_ids)]
    return found


def tags_configured(tx: Tx, license_id: int, group_ids: list[int]) -> set[str] | None:
    """The tags a thread of these groups may carry: those sharing a group with it. None
    when the license has no tag configured (then any tag is accepted, as before tags
    could be configured). The names are as created; a tag is matched exactly."""
    rows = repo.all_of(tx.conn, license_id)
    if not rows:
        return None
    wanted = set(group_ids)
    return {r.name for r in rows if wanted.intersection(int(g) for g in r.group_ids or [])}


def tag_exists(tx: Tx, license_id: int, name: str) -> bool:
    """Whether a tag of exactly this name is configured."""
    row = repo.by_key(tx.conn, license_id, _key(name))
    return row is not None and row.name == name


def _emit(
    tx: Tx, caller: Principal, tag: Tag, how: str, previous_group_ids: list[int] | None = None
) -> None:
    tx.emit(
        changes.TagConfigured(
            caller.license_id,
            tag.name,
            how,
            list(tag.group_ids),
            author_id=tag.author_id,
            created_at=tag.created_at,
            previous_group_ids=list(previous_group_ids or []),
            requester_id=caller.user_id,
            requester_client_id=caller.client_id,
        )
    )
