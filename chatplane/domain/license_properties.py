"""Properties as the Configuration API v3.x configures them: registered by an application
(its `owner_client_id` is the namespace), private to it until published, and values kept
on the license and on groups (`update_license_properties`, `update_group_properties`).

Who may touch a value: the application whose namespace it is, with the `--my` scope; any
other, with the `--all` scope, only a property published with that access (`read`,
`write`; properties made by v3.0's `create_properties` count as published for both). On
top, the property's own access rules at the location (`license` or `group`) for agents.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chatplane.domain import applications, changes
from chatplane.domain.access import RequireWider
from chatplane.domain.group_refs import check_exist
from chatplane.domain.models import AGENT, CUSTOMER, Principal
from chatplane.domain.properties import (
    BUILTIN_NAMESPACES,
    USER_TYPES,
    V3_LOCATIONS,
    Configs,
    PropertyConfig,
    check_config,
    check_value,
    load_configs,
)
from chatplane.errors import ApiError, already_exists, authorization, not_found, validation
from chatplane.storage import Tx
from chatplane.storage import accounts as accounts_repo
from chatplane.storage import groups as groups_repo
from chatplane.storage import properties as repo

RIGHTS = ("read", "write")
LICENSE, GROUP = "license", "group"


@dataclass
class Registration:
    name: str
    type: str
    # location -> user type -> ["read", "write"]
    access: dict[str, dict[str, list[str]]]
    description: str | None = None
    domain: list[Any] | None = None
    range: dict[str, int] | None = None
    default_value: Any = None


def access_lists(config: PropertyConfig) -> dict[str, dict[str, list[str]]]:
    """A configuration's access as v3.x shows it: {location: {user type: [rights]}}."""
    out: dict[str, dict[str, list[str]]] = {}
    for location, spec in config.locations.items():
        users = spec.get("access", spec)
        out[location] = {
            user_type: [r for r in RIGHTS if rights.get(r)] for user_type, rights in users.items()
        }
    return out


def register(tx: Tx, caller: Principal, owner_client_id: str, reg: Registration) -> None:
    namespace = applications.owner_application(tx, caller, owner_client_id)
    if namespace in BUILTIN_NAMESPACES:
        raise authorization(f"Namespace {namespace!r} is reserved")
    locations: dict[str, Any] = {}
    for location, users in reg.access.items():
        rights: dict[str, dict[str, bool]] = {}
        for user_type, given in users.items():
            if user_type not in USER_TYPES:
                raise validation(
                    f"access.{location}.{user_type} is not a user type: use agent or customer"
                )
            wrong = [r for r in given if r not in RIGHTS]
            if wrong:
                raise validation(
                    f"access.{location}.{user_type}: {wrong[0]!r} is not one of read, write"
                )
            rights[user_type] = {r: r in given for r in RIGHTS}
        locations[location] = {"access": rights}
    config = PropertyConfig(
        namespace=namespace,
        name=reg.name,
        type=reg.type,
        locations=locations,
        domain=reg.domain,
        range=reg.range,
        description=reg.description,
        default_value=reg.default_value,
        public_access=[],
    )
    check_config(config, V3_LOCATIONS)
    if reg.default_value is not None:
        if not set(locations) & {LICENSE, GROUP}:
            raise validation(
                f"Property {config.ident}: default_value needs the license or group location"
            )
        problem = check_value(config, reg.default_value)
        if problem:
            raise validation(f"default_value: {problem}")
    if (namespace, reg.name) in load_configs(tx, caller.license_id):
        raise already_exists("Property", config.ident)
    repo.insert_config(
        tx.conn,
        license_id=caller.license_id,
        namespace=namespace,
        name=reg.name,
        type=reg.type,
        locations=locations,
        domain=reg.domain,
        range=reg.range,
        description=reg.description,
        default_value=reg.default_value,
        public_access=[],
        created_at=time.time(),
    )


def _owned(tx: Tx, caller: Principal, owner_client_id: str, name: str) -> PropertyConfig:
    namespace = applications.owner_application(tx, caller, owner_client_id)
    config = load_configs(tx, caller.license_id).get((namespace, name))
    if config is None or namespace in BUILTIN_NAMESPACES:
        raise not_found("Property", f"{namespace}.{name}")
    return config


def unregister(tx: Tx, caller: Principal, owner_client_id: str, name: str) -> None:
    """Remove a private property (and the license and group values it had)."""
    config = _owned(tx, caller, owner_client_id, name)
    if config.public_access:
        raise validation(f"Property {config.ident} is published: it cannot be unregistered")
    repo.delete_config(tx.conn, caller.license_id, config.namespace, name)


def publish(
    tx: Tx, caller: Principal, owner_client_id: str, name: str, access_type: list[str]
) -> None:
    """Open a property to other applications. Publishing cannot be undone: publishing
    again only adds access."""
    config = _owned(tx, caller, owner_client_id, name)
    if not access_type:
        raise validation("access_type must list read, write or both")
    wrong = [a for a in access_type if a not in RIGHTS]
    if wrong:
        raise validation(f"access_type: {wrong[0]!r} is not one of read, write")
    opened = [r for r in RIGHTS if r in set(config.public_access or []) | set(access_type)]
    repo.update_config(tx.conn, caller.license_id, config.namespace, name, public_access=opened)


def owned_configs(tx: Tx, caller: Principal, owner_client_id: str) -> list[PropertyConfig]:
    namespace = applications.owner_application(tx, caller, owner_client_id)
    configs = load_configs(tx, caller.license_id)
    return [c for (ns, _), c in sorted(configs.items()) if ns == namespace]


# -- license and group values ----------------------------------------------------------


def _refusal(config: PropertyConfig, location: str, right: str) -> ApiError | None:
    """Why no agent may read or write (`right`) this property's values at the location
    (`validation` when the property has no such location, else `authorization`); None
    when agents may. Another application's property must also be published for it."""
    ident = config.ident
    if location not in config.locations:
        return validation(f"Property {ident} cannot be set on a {location}")
    if not config.can(location, AGENT, right):
        return authorization(f"Property {ident} gives agents no {right} access on a {location}")
    return None


def _unpublished(caller: Principal, config: PropertyConfig, right: str) -> ApiError | None:
    if config.namespace == caller.client_id:
        return None
    if config.public_access is not None and right not in config.public_access:
        return authorization(f"Property {config.ident} is not published for {right} to others")
    return None


def _require_write(
    caller: Principal, config: PropertyConfig, location: str, require_wider: RequireWider
) -> None:
    """The caller may write the property's values at the location: the agents' access,
    and for another application's property the wider scope (`--all`) and publication."""
    refused = _refusal(config, location, "write")
    if refused:
        raise refused
    if config.namespace != caller.client_id:
        require_wider(f"property {config.ident} is another application's")
    refused = _unpublished(caller, config, "write")
    if refused:
        raise refused


def _may_read(caller: Principal, config: PropertyConfig, location: str, others: bool) -> bool:
    """Whether the caller sees the property's values at the location; `others`: it holds
    the wider scope (`--all`) that other applications' properties take."""
    if _refusal(config, location, "read") is not None:
        return False
    if config.namespace != caller.client_id and not others:
        return False
    return _unpublished(caller, config, "read") is None


def _target(tx: Tx, caller: Principal, group_id: int | None) -> tuple[str, int]:
    if group_id is None:
        return LICENSE, repo.LICENSE_VALUES
    check_exist(tx, caller.license_id, [group_id])
    return GROUP, group_id


def _config(configs: Configs, namespace: str, name: str) -> PropertyConfig:
    config = configs.get((namespace, name))
    if config is None:
        raise validation(f"Property {namespace}.{name} is not configured")
    return config


def update_values(
    tx: Tx,
    caller: Principal,
    group_id: int | None,
    values: dict[str, dict[str, Any]],
    require_wider: RequireWider,
) -> None:
    """Set license (`group_id` None) or group values, leaving the others as they are; all
    or nothing. `require_wider` refuses another application's property unless the caller
    holds the `--all` scope."""
    location, key = _target(tx, caller, group_id)
    configs = load_configs(tx, caller.license_id)
    checked: list[tuple[str, str, Any]] = []
    for namespace, props in values.items():
        for name, value in props.items():
            config = _config(configs, namespace, name)
            _require_write(caller, config, location, require_wider)
            problem = check_value(config, value)
            if problem:
                raise validation(problem)
            checked.append((namespace, name, value))
    if not checked:
        raise validation("properties must set at least one value")
    now = time.time()
    for namespace, name, value in checked:
        repo.set_configured_value(tx.conn, caller.license_id, key, namespace, name, value, now)
    updated: dict[str, dict[str, Any]] = {}
    for namespace, name, value in checked:
        updated.setdefault(namespace, {})[name] = value
    tx.emit(
        changes.ConfiguredPropertiesChanged(
            caller.license_id,
            group_id,
            updated=updated,
            requester_id=caller.user_id,
            requester_client_id=caller.client_id,
        )
    )


def delete_values(
    tx: Tx,
    caller: Principal,
    group_id: int | None,
    names: dict[str, list[str]],
    require_wider: RequireWider,
) -> None:
    location, key = _target(tx, caller, group_id)
    configs = load_configs(tx, caller.license_id)
    for namespace, props in names.items():
        for name in props:
            _require_write(caller, _config(configs, namespace, name), location, require_wider)
    deleted: dict[str, list[str]] = {}
    for namespace, props in names.items():
        for name in dict.fromkeys(props):
            if repo.delete_configured_value(tx.conn, caller.license_id, key, namespace, name):
                deleted.setdefault(namespace, []).append(name)
    if deleted:
        tx.emit(
            changes.ConfiguredPropertiesChanged(
                caller.license_id,
                group_id,
                deleted=deleted,
                requester_id=caller.user_id,
                requester_client_id=caller.client_id,
            )
        )


def _visible(
    configs: Configs,
    location: str,
    may_read: Any,
    namespace: str | None,
    name_prefix: str | None,
) -> list[PropertyConfig]:
    return [
        c
        for c in configs.values()
        if location in c.locations
        and (namespace is None or c.namespace == namespace)
        and (name_prefix is None or c.name.startswith(name_prefix))
        and may_read(c)
    ]


def _with_defaults(
    visible: list[PropertyConfig], stored: dict[tuple[str, str], Any]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for c in sorted(visible, key=lambda c: (c.namespace, c.name)):
        value = stored.get((c.namespace, c.name), c.default_value)
        if value is not None:
            out.setdefault(c.namespace, {})[c.name] = value
    return out


def license_values(
    tx: Tx,
    caller: Principal,
    namespace: str | None = None,
    name_prefix: str | None = None,
    *,
    others: bool,
) -> dict[str, dict[str, Any]]:
    """{namespace: {name: value}} of the license values the caller may read (`others`:
    other applications' published properties too), defaults filling what is not set."""
    configs = load_configs(tx, caller.license_id)
    visible = _visible(
        configs, LICENSE, lambda c: _may_read(caller, c, LICENSE, others), namespace, name_prefix
    )
    stored = {
        (r.namespace, r.name): r.value
        for r in repo.configured_values(tx.conn, caller.license_id, None)
    }
    return _with_defaults(visible, stored)


def group_values(
    tx: Tx,
    caller: Principal,
    group_ids: list[int],
    namespace: str | None = None,
    name_prefix: str | None = None,
    *,
    others: bool,
) -> list[tuple[int, dict[str, dict[str, Any]]]]:
    """(group id, values) of each group asked for (every group when `group_ids` is empty),
    defaults filling what is not set; `others` as for license_values."""
    lic = caller.license_id
    if group_ids:
        check_exist(tx, lic, group_ids)
        wanted = list(dict.fromkeys(group_ids))
    else:
        wanted = [int(g.id) for g in groups_repo.list_groups(tx.conn, lic)]
    configs = load_configs(tx, lic)
    visible = _visible(
        configs, GROUP, lambda c: _may_read(caller, c, GROUP, others), namespace, name_prefix
    )
    stored: dict[int, dict[tuple[str, str], Any]] = {}
    for r in repo.configured_values(tx.conn, lic, wanted):
        stored.setdefault(int(r.group_id), {})[(r.namespace, r.name)] = r.value
    return [(g, _with_defaults(visible, stored.get(g, {}))) for g in wanted]


def values_for(
    tx: Tx, license_id: int, user_type: str, client_id: str, group_id: int | None
) -> dict[str, dict[str, Any]]:
    """The license's (or a group's) values a user type may read by the properties' own
    access rules, through an application (`client_id`: its own private properties and
    everyone's published ones), defaults filling what is not set: what a customer's widget
    bootstrap (Customer Chat API `list_license_properties`, `list_group_properties`)
    shows."""
    location = LICENSE if group_id is None else GROUP
    key = repo.LICENSE_VALUES if group_id is None else group_id
    configs = load_configs(tx, license_id)
    visible = _visible(
        configs,
        location,
        lambda c: (
            c.can(location, user_type, "read")
            and (c.namespace == client_id or c.public_access is None or "read" in c.public_access)
        ),
        None,
        None,
    )
    rows = repo.configured_values(tx.conn, license_id, None if group_id is None else [key])
    return _with_defaults(visible, {(r.namespace, r.name): r.value for r in rows})


def widget_values(tx: Tx, license_id: int, group_id: int | None) -> dict[str, dict[str, Any]]:
    """The license's (or a group's) values the chat widget shows a customer (Customer Chat
    API `list_license_properties`, `list_group_properties`, `get_configuration`): what the
    properties' access rules let customers read, as the license's default application
    (the one its widget is) reaches them: its own and everyone's published properties."""
    client_id = accounts_repo.default_client_id(tx.conn, license_id) or ""
    return values_for(tx, license_id, CUSTOMER, client_id, group_id)
