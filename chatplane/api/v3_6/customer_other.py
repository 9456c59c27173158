"""Customer Chat API v3.6, other methods: check_goals (Web API), get_form,
get_predicted_agent, get_url_info, request_welcome_message, and the methods of what
Chatplane does not have: greetings (accept_greeting, cancel_greeting,
send_greeting_button_clicked answer `greeting_not_found`, as no greeting is ever sent) and
e-mail verification (request_email_verification answers `service_unavailable` with HTTP
501, as the Agent Chat API's hosted-only methods do: Chatplane sends no e-mail).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from chatplane.api.customer_sessions import login_group
from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.v3_0.url_details import GetUrlDetails, get_url_details
from chatplane.api.v3_6 import customer_structs as cst
from chatplane.api.v3_6 import structs as st
from chatplane.api.v3_6.agent_customers import session_fields
from chatplane.api.v3_6.agent_other import NOT_IMPLEMENTED
from chatplane.api.v3_6.localization import phrase
from chatplane.domain import availability, changes, customers, forms
from chatplane.domain.models import Agent
from chatplane.errors import ApiError
from chatplane.storage import Tx

actions = Actions()

CUSTOMER = "customer"


@actions(CUSTOMER, "check_goals", cst.CheckGoals, rtm=False)
async def check_goals(ctx: Context, p: cst.CheckGoals) -> None:
    caller = ctx.caller
    fields = session_fields(p.session_fields)

    def run(tx: Tx) -> None:
        # The session fields describe the customer as the goals are checked: kept with it.
        if fields:
            customers.update(tx, caller.license_id, caller.user_id, fields=fields)
        forms.check_goals(tx, caller.license_id, caller.user_id, p.group_id, p.page_url)

    await ctx.commit(run)


@actions(CUSTOMER, "get_form", cst.GetForm)
async def get_form(ctx: Context, p: cst.GetForm) -> dict[str, Any]:
    caller = ctx.caller
    return await ctx.services.read(
        lambda tx: forms.get_form(tx, caller.license_id, p.group_id, p.type)
    )


def predicted_agent(agent: Agent) -> dict[str, Any]:
    out: dict[str, Any] = {"id": agent.id, "name": agent.name}
    if agent.avatar is not None:
        out["avatar"] = agent.avatar
    out["is_bot"] = agent.is_bot
    if agent.job_title is not None:
        out["job_title"] = agent.job_title
    out["type"] = "agent"
    return out


async def _predict(ctx: Context, group_id: int) -> availability.Prediction:
    lic = ctx.caller.license_id

    def run(tx: Tx) -> availability.Prediction:
        if not availability.group_exists(tx, lic, group_id):
            raise ApiError("group_not_found", f"Group {group_id} not found", status=404)
        return availability.predict(tx, lic, group_id)

    return await ctx.services.read(run)


@actions(CUSTOMER, "get_predicted_agent", st.Empty)
async def get_predicted_agent(ctx: Context, _p: st.Empty) -> dict[str, Any]:
    # The customer's group: the one its connection logged in to, else group 0.
    found = await _predict(ctx, login_group(ctx) or 0)
    return {"agent": predicted_agent(found.agent), "queue": found.queue}


@actions(CUSTOMER, "request_welcome_message", cst.RequestWelcomeMessage)
async def request_welcome_message(ctx: Context, p: cst.RequestWelcomeMessage) -> dict[str, Any]:
    caller = ctx.caller
    group_id = p.group_id if p.group_id is not None else (login_group(ctx) or 0)
    found = await _predict(ctx, group_id)
    message_id = p.id or str(uuid.uuid4())
    # The message itself follows as the `incoming_welcome_message` push, in the name of
    # the agent the customer would chat with (api/v3_6/localization.py has its text).
    await ctx.publish(
        [
            changes.WelcomeMessageSent(
                caller.license_id,
                caller.user_id,
                message_id,
                found.agent.id,
                phrase("Welcome_message"),
                time.time(),
            )
        ]
    )
    return {
        "id": message_id,
        "predicted_agent": predicted_agent(found.agent),
        "queue": found.queue,
    }


@actions(CUSTOMER, "get_url_info", cst.GetUrlInfo)
async def get_url_info(ctx: Context, p: cst.GetUrlInfo) -> dict[str, Any]:
    found = await get_url_details(ctx, GetUrlDetails(url=p.url))
    assert isinstance(found, dict)  # v3.0's get_url_details answers an object
    out = dict(found)
    if "image_url" in out:
        # Chatplane serves no resized copy of a page's image: it is the original.
        out["image_original_url"] = out["image_url"]
    return out


def _no_greetings(unique_id: str) -> ApiError:
    return ApiError(
        "greeting_not_found",
        f"Greeting {unique_id!r} not found: Chatplane sends no greetings",
        status=404,
    )


@actions(CUSTOMER, "accept_greeting", cst.AcceptGreeting)
async def accept_greeting(ctx: Context, p: cst.AcceptGreeting) -> None:
    raise _no_greetings(p.unique_id)


@actions(CUSTOMER, "cancel_greeting", cst.CancelGreeting)
async def cancel_greeting(ctx: Context, p: cst.CancelGreeting) -> None:
    raise _no_greetings(p.unique_id)


@actions(CUSTOMER, "send_greeting_button_clicked", cst.SendGreetingButtonClicked)
async def send_greeting_button_clicked(ctx: Context, p: cst.SendGreetingButtonClicked) -> None:
    raise _no_greetings(p.greeting_unique_id)


@actions(CUSTOMER, "request_email_verification", cst.RequestEmailVerification, rtm=False)
async def request_email_verification(ctx: Context, p: cst.RequestEmailVerification) -> None:
    raise ApiError(
        "service_unavailable",
        "Chatplane sends no e-mail, so it cannot verify a customer's e-mail address",
        status=NOT_IMPLEMENTED,
    )
