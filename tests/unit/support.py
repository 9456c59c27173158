"""A real store on a temporary database, with one license, for domain and storage tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chatplane.app import wire_domain
from chatplane.domain import users
from chatplane.domain.access import CUSTOMER_SCOPES, role_scopes
from chatplane.domain.models import Principal
from chatplane.storage.migrate import upgrade
from chatplane.storage.store import Store


@dataclass
class World:
    store: Store
    license_id: int
    client_id: str
    owner: Principal

    def agent(self, email: str, role: str = "normal") -> Principal:
        agent = self.store.write_sync(
            lambda tx: users.create_agent(
                tx, self.license_id, email, email.split("@")[0], role, None
            )
        ).result
        return Principal(
            self.license_id, "agent", agent.id, self.client_id, role_scopes(role), role
        )

    def customer(self) -> Principal:
        c = self.store.write_sync(lambda tx: users.create_customer(tx, self.license_id)).result
        return Principal(self.license_id, "customer", c.id, self.client_id, CUSTOMER_SCOPES)


def make_world(url: str) -> World:
    store = Store(url)
    upgrade(store.engine)
    wire_domain(store)
    created = store.write_sync(users.create_license).result
    owner = Principal(
        created.license_id,
        "agent",
        created.owner_id,
        created.client_id,
        role_scopes("owner"),
        "owner",
    )
    return World(store, created.license_id, created.client_id, owner)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"
