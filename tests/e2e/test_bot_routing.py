"""Bot agents are routed chats like any agent (configuration-api/readme.md "Create Bot
Agent": `status`, `max_chats_count`, `groups` priorities), though they never log in: from
their creation, after their updates, and across a restart of the server, whose presence
recovery takes offline only the people who do not come back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .routing_env import RoutingEnv, Team, eventually, present_agents, serve


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def renv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RoutingEnv]:
    """A routing server on SQLite, and on PostgreSQL with Redis when they are configured
    (CHATPLANE_TEST_DATABASE_URL, CHATPLANE_TEST_REDIS_URL)."""
    if request.param == "sqlite":
        yield from serve(tmp_path_factory)
        return
    database, redis = (
        os.environ.get("CHATPLANE_TEST_DATABASE_URL"),
        os.environ.get("CHATPLANE_TEST_REDIS_URL"),
    )
    if not (database and redis):
        pytest.skip("needs CHATPLANE_TEST_DATABASE_URL and CHATPLANE_TEST_REDIS_URL")
    yield from serve(tmp_path_factory, backend=(database, redis))


def _bot(renv: RoutingEnv, team: Team, **body: Any) -> str:
    request = {"name": "Routed Bot", "status": "accepting chats", **body}
    out = renv.configuration(team.owner.token, "agents/create_bot_agent", request)
    return str(out["bot_agent_id"])


def _new_chat(renv: RoutingEnv, team: Team) -> str:
    _customer_id, token = renv.customer(team)
    return str(renv.start_chat(team, token)["chat"]["id"])


def _agents_of(renv: RoutingEnv, team: Team, chat_id: str) -> list[str]:
    return present_agents(renv.threads(team, chat_id))


async def test_an_accepting_bot_gets_chats_by_priority_up_to_its_limit(renv: RoutingEnv) -> None:
    team = renv.team("Human")
    human = await renv.agent_rtm(team.agents["Human"])  # accepting chats
    bot_id = _bot(renv, team, max_chats_count=2, groups=[{"id": 0, "priority": "first"}])

    chats = [_new_chat(renv, team) for _ in range(3)]

    assert [_agents_of(renv, team, c) for c in chats] == [
        [bot_id],
        [bot_id],
        [team.agents["Human"].id],
    ]
    await human.close()


async def test_a_bot_accepting_after_an_update_serves_the_queue(renv: RoutingEnv) -> None:
    team = renv.team()
    bot_id = _bot(renv, team, status="not accepting chats", max_chats_count=1)
    first, second = _new_chat(renv, team), _new_chat(renv, team)
    assert _agents_of(renv, team, first) == _agents_of(renv, team, second) == []

    renv.configuration(
        team.owner.token, "agents/update_bot_agent", {"id": bot_id, "status": "accepting chats"}
    )
    assert _agents_of(renv, team, first) == [bot_id]  # the oldest waiting chat
    assert _agents_of(renv, team, second) == []  # its one slot is taken

    renv.configuration(
        team.owner.token, "agents/update_bot_agent", {"id": bot_id, "max_chats_count": 2}
    )
    assert _agents_of(renv, team, second) == [bot_id]


async def test_a_bot_keeps_being_routed_across_a_restart(renv: RoutingEnv) -> None:
    """Before the restart a person holds the chat (the bot is `last`); after it the person
    does not come back, presence takes them offline, and their chat goes to the bot."""
    team = renv.team("Human")
    human = await renv.agent_rtm(team.agents["Human"])
    bot_id = _bot(renv, team, groups=[{"id": 0, "priority": "last"}])
    chat_id = _new_chat(renv, team)
    assert _agents_of(renv, team, chat_id) == [team.agents["Human"].id]
    await human.close()

    port = renv.server.port
    renv.server.stop()
    renv.server.start(port=port)

    await eventually(lambda: _agents_of(renv, team, chat_id) == [bot_id], timeout=30)
    assert _agents_of(renv, team, _new_chat(renv, team)) == [bot_id]
