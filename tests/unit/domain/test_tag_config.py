"""Tags: one per name whatever its case, matched exactly to change, managed per group, and
what a thread may carry (`tags_configured`, which tag_thread asks)."""

from __future__ import annotations

import pytest

from chatplane.domain import groups, tag_config, tags
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from tests.unit.domain.helpers import start
from tests.unit.support import World


def _write(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.write_sync(fn).result


def _read(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.read_sync(fn)


def refuse(detail: str) -> None:
    """A caller without the wider scope, `tags--all` (the API's `ctx.require_wider`)."""
    raise ApiError("authorization", f"refused: {detail}")


def allow(_detail: str) -> None:
    """A caller with `tags--all`."""


def test_a_tag_exists_once_whatever_its_case_and_is_changed_by_its_exact_name(world: World) -> None:
    _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "Sales", None, allow))
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "sales", None, allow))
    assert err.value.type == "already_exists"
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: tag_config.delete_tag(tx, world.owner, "sales", allow))
    assert err.value.status == 404
    _write(world, lambda tx: tag_config.delete_tag(tx, world.owner, "Sales", allow))
    assert (
        _read(world, lambda tx: tag_config.list_tags(tx, world.owner, None, every_group=True)) == []
    )


def test_tags_configured_is_none_until_a_tag_exists_then_the_tags_sharing_a_group(
    world: World,
) -> None:
    lic = world.license_id
    assert _read(world, lambda tx: tag_config.tags_configured(tx, lic, [0])) is None
    gid = _write(world, lambda tx: groups.create_group(tx, lic, "G", {}))
    _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "general", None, allow))
    _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "vip", [gid], allow))
    _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "nowhere", [], allow))
    assert _read(world, lambda tx: tag_config.tags_configured(tx, lic, [0])) == {"general"}
    assert _read(world, lambda tx: tag_config.tags_configured(tx, lic, [gid])) == {"vip"}
    assert _read(world, lambda tx: tag_config.tags_configured(tx, lic, [0, gid])) == {
        "general",
        "vip",
    }
    _write(world, lambda tx: tag_config.update_tag(tx, world.owner, "vip", [0], allow))
    _write(world, lambda tx: tag_config.delete_tag(tx, world.owner, "general", allow))
    assert _read(world, lambda tx: tag_config.tags_configured(tx, lic, [0])) == {"vip"}


def test_tags_of_groups_need_membership_without_the_wider_scope(world: World) -> None:
    lic = world.license_id
    ann = world.agent("ann@example.com")
    mine = _write(world, lambda tx: groups.create_group(tx, lic, "Mine", {ann.user_id: "normal"}))
    other = _write(world, lambda tx: groups.create_group(tx, lic, "Other", {}))
    narrow = Principal(lic, "agent", ann.user_id, world.client_id, frozenset({"tags--groups:rw"}))
    _write(world, lambda tx: tag_config.create_tag(tx, narrow, "ours", [mine], refuse))
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: tag_config.create_tag(tx, narrow, "theirs", [other], refuse))
    assert err.value.type == "authorization"
    with pytest.raises(ApiError):
        _write(world, lambda tx: tag_config.update_tag(tx, narrow, "ours", [mine, other], refuse))
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "x", [99], allow))
    assert err.value.type == "group_not_found"
    reader = Principal(lic, "agent", ann.user_id, world.client_id, frozenset({"tags--groups:ro"}))
    _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "theirs", [other], allow))
    assert [
        t.name
        for t in _read(world, lambda tx: tag_config.list_tags(tx, reader, None, every_group=False))
    ] == ["ours"]
    assert [
        t.name
        for t in _read(
            world, lambda tx: tag_config.list_tags(tx, world.owner, [other], every_group=True)
        )
    ] == ["theirs"]


def test_once_tags_are_configured_a_thread_takes_only_one_sharing_its_group(
    world: World,
) -> None:
    """tag_thread (the Agent Chat API v3.6) after tags are configured: a deleted or unknown
    tag is `not found`, one of other groups `validation`; untagging stays possible."""
    lic = world.license_id
    chat, thread = start(world, world.customer(), "hello")
    ids = (chat.id, thread.id)
    _write(world, lambda tx: tags.tag_thread(tx, world.owner, *ids, "before_config"))
    other = _write(world, lambda tx: groups.create_group(tx, lic, "Other", {}))
    _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "general", None, allow))
    _write(world, lambda tx: tag_config.create_tag(tx, world.owner, "elsewhere", [other], allow))
    _write(world, lambda tx: tags.tag_thread(tx, world.owner, *ids, "general"))
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: tags.tag_thread(tx, world.owner, *ids, "unknown"))
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: tags.tag_thread(tx, world.owner, *ids, "elsewhere"))
    assert err.value.type == "validation" and "group" in err.value.message
    _write(world, lambda tx: tag_config.delete_tag(tx, world.owner, "general", allow))
    _write(world, lambda tx: tags.untag_thread(tx, world.owner, *ids, "general"))
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: tags.tag_thread(tx, world.owner, *ids, "general"))
    assert err.value.status == 404
    _write(world, lambda tx: tags.untag_thread(tx, world.owner, *ids, "before_config"))
