"""Agents as the Configuration API v3.x manages them: approval, suspension (no token, no
login, no chats), deletion, the login status, and the supervisor priority."""

from __future__ import annotations

import pytest

from chatplane.accounts import tokens
from chatplane.domain import agent_status, agents, groups, routing, users
from chatplane.domain.access import role_scopes
from chatplane.domain.models import Principal
from chatplane.errors import ApiError
from chatplane.storage import accounts as repo
from chatplane.storage import routing as rrepo
from tests.unit.support import World


def _write(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.write_sync(fn).result


def _read(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.read_sync(fn)


def _create(world: World, agent_id: str, caller: Principal | None = None, **kw) -> None:  # type: ignore[no-untyped-def]
    require_role = kw.pop("require_role", None)
    spec = agents.AgentSpec(id=agent_id, name=agent_id.split("@")[0], **kw)
    _write(
        world,
        lambda tx: agents.create_agent(
            tx, caller or world.owner, world.license_id, spec, require_role
        ),
    )


def refuse(detail: str) -> None:
    """A caller without the wider scope (the API's `ctx.require_wider`)."""
    raise ApiError("authorization", f"refused: {detail}")


def test_an_agent_awaiting_approval_is_approved(world: World) -> None:
    """Whether a new agent awaits approval is the API's to decide by the requester's
    scopes (tests/unit/api/v3_6/test_configuration_scopes.py); the domain keeps it."""
    _create(world, "ok@example.com")
    _create(world, "waits@example.com", awaiting_approval=True)
    found = {a.id: a for a in _read(world, lambda tx: agents.list_agents(tx, world.license_id))}
    assert not found["ok@example.com"].awaiting_approval
    assert found["waits@example.com"].awaiting_approval
    _write(
        world,
        lambda tx: agents.approve_agent(tx, world.owner, world.license_id, "waits@example.com"),
    )
    assert not _read(
        world, lambda tx: agents.load(tx, world.license_id, "waits@example.com")
    ).awaiting_approval


def test_an_agent_exists_once_and_roles_above_normal_are_asked_for(world: World) -> None:
    _create(world, "ann@example.com")
    with pytest.raises(ApiError) as err:
        _create(world, "ann@example.com")
    assert err.value.type == "already_exists"
    with pytest.raises(ApiError) as err:
        _create(world, "vice@example.com", role="viceowner", require_role=refuse)
    assert err.value.type == "authorization" and "role 'viceowner'" in err.value.message
    _create(world, "plain@example.com", require_role=refuse)  # normal needs nothing more
    with pytest.raises(ApiError) as err:
        _create(world, "boss@example.com", role="owner")
    assert err.value.type == "validation"


def test_groups_named_for_an_agent_must_exist(world: World) -> None:
    with pytest.raises(ApiError) as err:
        _create(world, "ann@example.com", groups=[(7, "normal")])
    assert err.value.type == "group_not_found"


def test_a_suspended_agents_token_is_refused_and_it_gets_no_chats(world: World) -> None:
    _create(world, "ann@example.com", login_status="accepting_chats")
    ann = _read(world, lambda tx: agents.load(tx, world.license_id, "ann@example.com"))
    token = _write(world, lambda tx: users.issue_agent_token(tx, ann, world.client_id, 3600))
    principal = Principal(world.license_id, "agent", ann.id, world.client_id, role_scopes("normal"))
    _write(world, lambda tx: agent_status.login(tx, principal, False))
    assert "ann@example.com" in _read(world, lambda tx: rrepo.candidates(tx.conn, world.license_id))

    _write(world, lambda tx: agents.suspend_agent(tx, world.owner, world.license_id, ann.id))

    looked_up = _read(world, lambda tx: tokens.lookup(tx.conn, token))
    assert looked_up is not None and looked_up.blocked == "suspended"
    assert "ann@example.com" not in _read(
        world, lambda tx: rrepo.candidates(tx.conn, world.license_id)
    )
    assert (
        _read(world, lambda tx: rrepo.current_status(tx.conn, world.license_id, ann.id))
        == "offline"
    )
    # Even accepting chats again, a suspended agent is never a candidate.
    _write(
        world,
        lambda tx: rrepo.set_current_status(
            tx.conn, world.license_id, ann.id, "accepting_chats", 0
        ),
    )
    assert "ann@example.com" not in _read(
        world, lambda tx: rrepo.candidates(tx.conn, world.license_id)
    )

    _write(world, lambda tx: agents.unsuspend_agent(tx, world.owner, world.license_id, ann.id))
    assert _read(world, lambda tx: tokens.lookup(tx.conn, token)).blocked is None
    assert "ann@example.com" in _read(world, lambda tx: rrepo.candidates(tx.conn, world.license_id))


def test_the_owner_cannot_be_suspended_or_deleted_and_nobody_suspends_itself(world: World) -> None:
    _create(world, "ann@example.com")
    for fn in (agents.suspend_agent, agents.delete_agent):
        with pytest.raises(ApiError):
            _write(
                world, lambda tx, fn=fn: fn(tx, world.owner, world.license_id, world.owner.user_id)
            )
    ann = Principal(
        world.license_id, "agent", "ann@example.com", world.client_id, role_scopes("owner")
    )
    with pytest.raises(ApiError):
        _write(world, lambda tx: agents.suspend_agent(tx, ann, world.license_id, "ann@example.com"))


def test_a_suspended_agent_may_ask_to_be_unsuspended(world: World) -> None:
    _create(world, "ann@example.com")
    ann = Principal(world.license_id, "agent", "ann@example.com", world.client_id, frozenset())
    with pytest.raises(ApiError):
        _write(world, lambda tx: agents.request_unsuspension(tx, ann))
    _write(world, lambda tx: agents.suspend_agent(tx, world.owner, world.license_id, ann.user_id))
    _write(world, lambda tx: agents.request_unsuspension(tx, ann))
    found = _read(world, lambda tx: agents.load(tx, world.license_id, ann.user_id))
    assert "unsuspension_requested_at" in found.profile


def test_deleting_an_agent_takes_its_groups_and_tokens(world: World) -> None:
    _create(world, "ann@example.com")
    gid = _write(
        world,
        lambda tx: groups.create_group(tx, world.license_id, "G", {"ann@example.com": "first"}),
    )
    ann = _read(world, lambda tx: agents.load(tx, world.license_id, "ann@example.com"))
    token = _write(world, lambda tx: users.issue_agent_token(tx, ann, world.client_id, 3600))
    _write(world, lambda tx: agents.delete_agent(tx, world.owner, world.license_id, ann.id))
    assert _read(world, lambda tx: tokens.lookup(tx.conn, token)) is None
    assert (
        _read(world, lambda tx: groups.get_group(tx, world.license_id, gid)).agent_priorities == {}
    )
    with pytest.raises(ApiError) as err:
        _read(world, lambda tx: agents.load(tx, world.license_id, ann.id))
    assert err.value.status == 404


def test_an_rtm_login_starts_with_the_agents_login_status(world: World) -> None:
    _create(world, "ann@example.com")  # v3.x default: not accepting chats
    ann = Principal(
        world.license_id, "agent", "ann@example.com", world.client_id, role_scopes("normal")
    )
    assert _write(world, lambda tx: agent_status.login(tx, ann, False)) == "not_accepting_chats"
    update = agents.AgentUpdate(login_status="accepting_chats")
    _write(
        world,
        lambda tx: agents.update_agent(tx, world.owner, world.license_id, ann.user_id, update),
    )
    assert _write(world, lambda tx: agent_status.login(tx, ann, False)) == "accepting_chats"
    _write(
        world,
        lambda tx: agent_status.set_status(
            tx, world.license_id, ann.user_id, "offline", chosen=False
        ),
    )
    assert _read(
        world, lambda tx: repo.get_agent(tx.conn, world.license_id, ann.user_id)
    ).last_logout_at


def test_supervisors_are_routed_no_chats_of_their_group() -> None:
    pool = [
        rrepo.Candidate("sup", "sup", 6, 0, {0: "normal", 1: "supervisor"}),
        rrepo.Candidate("boss", "boss", 6, 0, {0: "supervisor"}),
    ]
    assert routing.pick(pool, [1]) is None
    assert routing.pick(pool, [0]).agent_id == "sup"
    assert not routing.serves(pool[1], 0) and routing.serves(pool[0], 0)


def test_group_routing_statuses_follow_members_who_may_get_chats(world: World) -> None:
    _create(world, "ann@example.com")
    _create(world, "sup@example.com")
    gid = _write(
        world,
        lambda tx: groups.create_group(
            tx,
            world.license_id,
            "G",
            {"ann@example.com": "normal", "sup@example.com": "supervisor"},
        ),
    )

    def statuses():
        return _read(world, lambda tx: groups.routing_statuses(tx, world.license_id, [gid]))[gid]

    assert statuses() == "offline"
    _write(
        world,
        lambda tx: rrepo.set_current_status(
            tx.conn, world.license_id, "sup@example.com", "accepting_chats", 0
        ),
    )
    assert statuses() == "offline"  # a supervisor gets no chats
    _write(
        world,
        lambda tx: rrepo.set_current_status(
            tx.conn, world.license_id, "ann@example.com", "not_accepting_chats", 0
        ),
    )
    assert statuses() == "not_accepting_chats"
    _write(
        world,
        lambda tx: rrepo.set_current_status(
            tx.conn, world.license_id, "ann@example.com", "accepting_chats", 0
        ),
    )
    assert statuses() == "accepting_chats"
