"""Acting as a bot agent: an application's token plus the request's `author_id`."""

from __future__ import annotations

from dataclasses import replace

from chatplane.domain.models import Principal
from chatplane.errors import authorization
from chatplane.services import Services
from chatplane.storage import accounts as repo


async def act_as(services: Services, principal: Principal, author_id: str) -> Principal:
    if author_id == principal.user_id:
        return principal
    if not principal.is_agent:
        raise authorization("Only an agent's token may act as a bot agent")
    bot = await services.read(lambda tx: repo.get_agent(tx.conn, principal.license_id, author_id))
    if bot is None or not bot.is_bot:
        raise authorization(f"author_id {author_id!r} is not a bot agent of this license")
    if bot.client_id != principal.client_id:
        raise authorization(f"Bot agent {author_id!r} belongs to another application")
    return replace(principal, user_id=bot.id, is_bot=True)
