"""The record of customer bans: who banned whom, from where, until when; lifting a ban by
customer or by address lets the customer chat again."""

from __future__ import annotations

import pytest

from chatplane.domain import bans, chats, customers
from chatplane.domain.chats import ChatRequest, NewEvent, NewThread
from chatplane.errors import ApiError
from tests.unit.support import World


def _write(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.write_sync(fn).result


def test_bans_are_listed_and_lifted_by_customer_or_address(world: World) -> None:
    first, second, third = world.customer(), world.customer(), world.customer()
    for who, ip in ((first, "10.0.0.1"), (second, "10.0.0.2"), (third, "10.0.0.2")):
        _write(
            world,
            lambda tx, who=who, ip=ip: customers.start_visit(
                tx, who, ip=ip, user_agent=None, referrer=None, page=None
            ),
        )
    req = ChatRequest(thread=NewThread(events=[NewEvent(type="message", text="hi")]))
    _chat, thread = _write(world, lambda tx: chats.start_chat(tx, first, req))
    for who in (first, second, third):
        _write(world, lambda tx, who=who: bans.ban_customer(tx, world.owner, who.user_id, 2))

    listed = {
        b.customer_id: b
        for b in world.store.read_sync(lambda tx: bans.active_bans(tx, world.license_id))
    }
    assert set(listed) == {first.user_id, second.user_id, third.user_id}
    ban = listed[first.user_id]
    assert (ban.ip, ban.agent_id, ban.thread_id) == ("10.0.0.1", world.owner.user_id, thread.id)
    assert 2 * 86400 - 5 < ban.expires_at - ban.created_at <= 2 * 86400

    assert (
        _write(world, lambda tx: bans.unban(tx, world.owner, customer_id=None, ip="10.0.0.2")) == 2
    )
    _write(world, lambda tx: bans.unban(tx, world.owner, customer_id=first.user_id, ip=None))
    assert world.store.read_sync(lambda tx: bans.active_bans(tx, world.license_id)) == []
    # Unbanned, the customer starts chats again.
    _write(world, lambda tx: chats.start_chat(tx, first, req))
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: bans.unban(tx, world.owner, customer_id=first.user_id, ip=None))
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:
        _write(
            world, lambda tx: bans.unban(tx, world.owner, customer_id=first.user_id, ip="1.2.3.4")
        )
    assert err.value.type == "validation"
