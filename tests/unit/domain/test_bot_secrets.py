"""v3.x bots: secrets, tokens of their own, and templates."""

from __future__ import annotations

import pytest

from chatplane.accounts import tokens
from chatplane.domain import bot_templates, bots, users
from chatplane.errors import ApiError
from chatplane.storage import accounts as repo
from tests.unit.support import World


def _write(world: World, fn):  # type: ignore[no-untyped-def]
    return world.store.write_sync(fn).result


def _org(world: World) -> str:
    return world.store.read_sync(lambda tx: users.organization_of(tx, world.license_id))


def test_a_bots_secret_issues_a_token_whose_principal_is_the_bot(world: World) -> None:
    config = bots.BotConfig(name="Helper")
    bot, secret = _write(
        world, lambda tx: bots.create_configured_bot(tx, world.owner, world.client_id, config)
    )
    assert bot.routing_status == "offline" and secret
    org = _org(world)
    for wrong in (
        (bot.id, world.client_id, "not-the-secret", org),
        (bot.id, "other-client", secret, org),
        (bot.id, world.client_id, secret, "other-org"),
    ):
        with pytest.raises(ApiError) as err:
            _write(world, lambda tx, w=wrong: bots.issue_token(tx, world.owner, *w))
        assert err.value.type == "authorization"
    issued = _write(
        world, lambda tx: bots.issue_token(tx, world.owner, bot.id, world.client_id, secret, org)
    )
    principal = world.store.read_sync(lambda tx: tokens.lookup(tx.conn, issued.access_token))
    assert principal is not None
    assert (principal.user_id, principal.is_bot) == (bot.id, True)
    assert principal.scopes == bots.BOT_TOKEN_SCOPES
    assert issued.expires_in == 24 * 3600
    # A new secret replaces the old one.
    fresh = _write(world, lambda tx: bots.reset_secret(tx, world.owner, bot.id, None))
    with pytest.raises(ApiError):
        _write(
            world,
            lambda tx: bots.issue_token(tx, world.owner, bot.id, world.client_id, secret, org),
        )
    _write(world, lambda tx: bots.issue_token(tx, world.owner, bot.id, world.client_id, fresh, org))


def test_groups_of_a_v3_bot_must_exist(world: World) -> None:
    config = bots.BotConfig(name="Helper", groups=[(3, "first")])
    with pytest.raises(ApiError) as err:
        _write(
            world, lambda tx: bots.create_configured_bot(tx, world.owner, world.client_id, config)
        )
    assert err.value.type == "group_not_found"


def test_a_template_with_existing_installations_makes_its_bot_with_its_id_and_secret(
    world: World,
) -> None:
    spec = bots.BotConfig(name="Templated", max_chats_count=9)
    template_id, secret = _write(
        world, lambda tx: bot_templates.create(tx, world.owner, world.client_id, spec, True)
    )
    bot = world.store.read_sync(lambda tx: repo.get_agent(tx.conn, world.license_id, template_id))
    assert bot is not None and bot.is_bot and bot.template_id == template_id
    org = _org(world)
    _write(
        world, lambda tx: bots.issue_token(tx, world.owner, bot.id, world.client_id, secret, org)
    )
    change = bot_templates.TemplateChange(name="Renamed")
    _write(
        world,
        lambda tx: bot_templates.update(
            tx, world.owner, template_id, world.client_id, change, True
        ),
    )
    renamed = world.store.read_sync(
        lambda tx: repo.get_agent(tx.conn, world.license_id, template_id)
    )
    assert renamed is not None and renamed.name == "Renamed"
    new_secret = _write(
        world,
        lambda tx: bot_templates.reset_secret(tx, world.owner, template_id, world.client_id, True),
    )
    _write(
        world,
        lambda tx: bots.issue_token(tx, world.owner, bot.id, world.client_id, new_secret, org),
    )
    _write(
        world, lambda tx: bot_templates.delete(tx, world.owner, template_id, world.client_id, True)
    )
    assert (
        world.store.read_sync(lambda tx: repo.get_agent(tx.conn, world.license_id, template_id))
        is None
    )


def test_an_application_has_at_most_five_templates(world: World) -> None:
    spec = bots.BotConfig(name="T")
    for _ in range(bot_templates.MAX_PER_APPLICATION):
        _write(
            world, lambda tx: bot_templates.create(tx, world.owner, world.client_id, spec, False)
        )
    with pytest.raises(ApiError) as err:
        _write(
            world, lambda tx: bot_templates.create(tx, world.owner, world.client_id, spec, False)
        )
    assert err.value.type == "limit_reached"
    with pytest.raises(ApiError) as err:
        _write(world, lambda tx: bot_templates.create(tx, world.owner, "not-an-app", spec, False))
    assert err.value.type == "validation"
