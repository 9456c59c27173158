"""Configuration API, properties: `properties/create_properties`, `properties/get_property_configs`.

The request body is the request object itself. A property's namespace is the `client_id`
of the application whose token creates it (about-apis.md: "Your namespace is always named
after your application id").
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from msgspec import Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.domain import properties
from chatplane.domain.access import Wider
from chatplane.errors import validation

actions = Actions()

CONFIGURATION = "configuration"


class AccessIn(Struct, kw_only=True):
    read: bool
    write: bool


class LocationIn(Struct, kw_only=True):
    # Decoded key by key (see _decode) so that messages name the location and user type.
    access: dict[str, Any]


class RangeIn(Struct, kw_only=True):
    from_: int | None = msgspec.field(name="from", default=None)
    to: int | None = None


class PropertyConfigIn(Struct, kw_only=True):
    type: str
    locations: dict[str, Any]
    description: str | None = None
    domain: list[Any] | None = None
    range: RangeIn | None = None


class GetPropertyConfigs(Struct, kw_only=True):
    all: bool = False


T = TypeVar("T")


def _convert(value: Any, into: type[T], path: str) -> T:
    """msgspec.convert, with the error's location given from the property name down
    (msgspec shows map keys as `[...]`, which would not say which property is wrong)."""
    try:
        return msgspec.convert(value, into, strict=True)
    except msgspec.ValidationError as exc:
        text = str(exc)
        nested = " - at `$" in text
        raise validation(
            text.replace("`$", f"`{path}", 1) if nested else f"{text} - at `{path}`"
        ) from None


def _decode(payload: Any) -> dict[str, PropertyConfigIn]:
    if not isinstance(payload, dict):
        raise validation("The request must be an object of property configurations by name")
    out: dict[str, PropertyConfigIn] = {}
    for name, raw in payload.items():
        given = _convert(raw, PropertyConfigIn, name)
        for location, spec in given.locations.items():
            path = f"{name}.locations.{location}"
            loc = _convert(spec, LocationIn, path)
            loc.access = {
                user_type: _convert(rights, AccessIn, f"{path}.access.{user_type}")
                for user_type, rights in loc.access.items()
            }
            given.locations[location] = loc
        out[name] = given
    return out


def _config(namespace: str, name: str, given: PropertyConfigIn) -> properties.PropertyConfig:
    locations = {
        location: {
            "access": {
                user_type: {"read": rights.read, "write": rights.write}
                for user_type, rights in spec.access.items()
            }
        }
        for location, spec in given.locations.items()
    }
    range_: dict[str, int] | None = None
    if given.range is not None:
        range_ = {}
        if given.range.from_ is not None:
            range_["from"] = given.range.from_
        if given.range.to is not None:
            range_["to"] = given.range.to
    return properties.PropertyConfig(
        namespace=namespace,
        name=name,
        type=given.type,
        locations=locations,
        domain=given.domain,
        range=range_,
        description=given.description,
    )


@actions(CONFIGURATION, "properties/create_properties", scopes=("properties--my:rw",))
async def create_properties(ctx: Context, payload: Any) -> None:
    caller = ctx.caller
    namespace = caller.client_id
    configs = [_config(namespace, name, given) for name, given in _decode(payload).items()]
    await ctx.commit(
        lambda tx: properties.create_properties(tx, caller.license_id, namespace, configs)
    )
    # This process shows the new properties at once; others within the cache's lifetime.
    await ctx.services.reload_configs(caller.license_id)
    return None


@actions(
    CONFIGURATION,
    "properties/get_property_configs",
    GetPropertyConfigs,
    scopes=("properties--my:ro", "properties--all:ro"),
    wider=Wider("reading every namespace's properties (`all: true`)", ("properties--all:ro",)),
)
async def get_property_configs(ctx: Context, p: GetPropertyConfigs) -> dict[str, Any]:
    caller = ctx.caller
    if p.all:
        ctx.require_wider()
    configs = await ctx.services.read(lambda tx: properties.load_configs(tx, caller.license_id))
    out: dict[str, dict[str, Any]] = {}
    for (namespace, name), config in sorted(configs.items()):
        if p.all or namespace == caller.client_id:
            out.setdefault(namespace, {})[name] = config.to_wire()
    return out
