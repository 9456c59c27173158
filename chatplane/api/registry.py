"""The actions of every API version, keyed by (API, version, action).

A module of handlers collects its actions in an `Actions` list with a decorator; nothing is
registered by importing it. The app puts the lists of each version into one `Registry`
(chatplane/app.py, `build_registry`), and both transports look actions up there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import msgspec

from chatplane.domain.access import Wider
from chatplane.errors import ApiError, validation

if TYPE_CHECKING:
    from chatplane.api.dispatch import Context

# A response payload is an object, or (v3.x list_routing_statuses,
# list_agents_for_transfer and some Configuration API methods) an array; None answers `{}`.
Handler = Callable[["Context", Any], Awaitable[dict[str, Any] | list[Any] | None]]

CONFIGURATION = "configuration"


@dataclass(frozen=True)
class Action:
    api: str  # agent | customer | configuration
    name: str
    handler: Handler
    payload_type: type | None
    web: bool = True
    rtm: bool = True
    # False for actions a logged-out RTM connection may call (login, ping).
    needs_login: bool = True
    # The Web API body is multipart/form-data (send_file, upload_image).
    multipart: bool = False
    # An agent needs one of these scopes (agent-chat-api/scopes.md); empty: none needed.
    # Access to a particular chat is checked by the domain on top of this.
    scopes: tuple[str, ...] = ()
    # What some requests of the action reach beyond those scopes, and the scopes that takes
    # (the handler calls `ctx.require_wider()` when a request does; with several, it names
    # the one). Scopes are declared here only: no handler or domain function names one.
    wider: Wider | tuple[Wider, ...] | None = None
    # The API version this action is served in ("3.0", "3.6", ...), set by the Registry.
    version: str = ""
    # The Web API's HTTP method: POST with a JSON body, or (the v3.x customer widget's
    # configuration and public properties) GET with the payload in the query string.
    method: str = "POST"
    # True for the one action a suspended agent (or one awaiting approval) may still call
    # with its token: request_agent_unsuspension.
    blocked_ok: bool = False
    # One of these as well as one of `scopes`, where the reference lists two scopes
    # together (unsuspend_agent: `agents--all:rw` and `accounts--all:rw`).
    also: tuple[str, ...] = ()

    @property
    def widers(self) -> tuple[Wider, ...]:
        if self.wider is None:
            return ()
        return self.wider if isinstance(self.wider, tuple) else (self.wider,)

    def decode(self, payload: Any) -> Any:
        return decode_payload(payload, self.payload_type)


def decode_payload(payload: Any, payload_type: type | None) -> Any:
    """A payload decoded into its struct; `validation` naming what is wrong."""
    if payload_type is None:
        return payload
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise validation("payload must be a JSON object")
    try:
        return msgspec.convert(payload, payload_type, strict=True)
    except msgspec.ValidationError as exc:
        raise validation(describe(exc)) from None


def describe(exc: msgspec.ValidationError | msgspec.DecodeError) -> str:
    """msgspec's message with paths from the payload (`$.chat.id` -> `chat.id`)."""
    text = str(exc)
    text = text.replace("`$.", "`").replace("at `$`", "in the payload")
    text = text.replace("$[", "[")
    return text


class Actions:
    """The actions of one module, in the order declared.

    `@actions("agent", "send_event", SendEvent, scopes=...)` above a handler, or
    `actions("agent", "close_thread", ChatOnly)(shared_handler)` for a handler written
    elsewhere.
    """

    def __init__(self) -> None:
        self._items: list[Action] = []

    def __call__(
        self,
        api: str | tuple[str, ...],
        name: str,
        payload: type | None = None,
        *,
        web: bool = True,
        rtm: bool = True,
        needs_login: bool = True,
        multipart: bool = False,
        scopes: tuple[str, ...] = (),
        wider: Wider | tuple[Wider, ...] | None = None,
        method: str = "POST",
        blocked_ok: bool = False,
        also: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        apis = (api,) if isinstance(api, str) else api
        if apis == (CONFIGURATION,):
            rtm = False  # the Configuration API is served over HTTP only

        def collect(fn: Handler) -> Handler:
            for a in apis:
                self._items.append(
                    Action(
                        a,
                        name,
                        fn,
                        payload,
                        web,
                        rtm,
                        needs_login,
                        multipart,
                        scopes,
                        wider,
                        method=method,
                        blocked_ok=blocked_ok,
                        also=also,
                    )
                )
            return fn

        return collect

    def __iter__(self) -> Iterator[Action]:
        return iter(self._items)


class Registry:
    def __init__(self) -> None:
        self._actions: dict[tuple[str, str, str], Action] = {}

    def add(self, version: str, *lists: Iterable[Action]) -> None:
        """Serve these actions in `version`; an action given twice is a wiring mistake."""
        for actions in lists:
            for act in actions:
                key = (act.api, version, act.name)
                if key in self._actions:
                    raise RuntimeError(f"action {act.api}/{act.name} registered twice in {version}")
                self._actions[key] = replace(act, version=version)

    def derive(
        self,
        version: str,
        base: str,
        *,
        replaced: Iterable[Iterable[Action]] = (),
        removed: Iterable[tuple[str, str]] = (),
    ) -> None:
        """`version` as a delta on `base`: the base's actions, with these replaced (or
        added) and these (api, name) pairs taken away."""
        gone = set(removed)
        for (api, v, name), act in list(self._actions.items()):
            if v == base and (api, name) not in gone:
                self._actions[(api, version, name)] = replace(act, version=version)
        for actions in replaced:
            for act in actions:
                if (act.api, act.name) in gone:
                    raise RuntimeError(
                        f"{version} both removes and serves {act.api}/{act.name}: a wiring mistake"
                    )
                self._actions[(act.api, version, act.name)] = replace(act, version=version)
        for api, name in gone:
            if (api, base, name) not in self._actions:
                raise RuntimeError(f"{version} removes {api}/{name}, which {base} does not have")

    def lookup(
        self, api: str, version: str, name: str, transport: str, method: str = "POST"
    ) -> Action:
        act = self._actions.get((api, version, name))
        if act is None:
            raise ApiError(
                "validation", f"Unknown action {name!r} in the {api} API v{version}", status=404
            )
        if transport == "web" and act.method != method:
            raise ApiError(
                "validation",
                f"Action {name!r} is called with {act.method} in the Web API, not {method}",
                status=405,
            )
        if transport == "web" and not act.web:
            raise validation(f"Action {name!r} is available over RTM only")
        if transport == "rtm" and not act.rtm:
            raise validation(f"Action {name!r} is available over the Web API only")
        return act

    def actions(self, version: str | None = None) -> list[Action]:
        """Every action (of one version), ordered by API, version and name."""
        return sorted(
            (a for a in self._actions.values() if version is None or a.version == version),
            key=lambda a: (a.api, a.version, a.name),
        )

    def versions(self) -> list[str]:
        return sorted({a.version for a in self._actions.values()})
