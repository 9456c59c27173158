"""Personal access tokens (authorization/personal-access-tokens): `Basic base64(<account
id>:<token>)`, stored hashed, scopes a subset of what the agent holds, revoked at once in
the process that revokes them."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from chatplane.accounts import tokens
from chatplane.config import Settings
from chatplane.domain import users
from chatplane.domain.access import role_scopes
from chatplane.errors import ApiError
from chatplane.services import Services
from chatplane.storage import Tx, schema
from chatplane.storage import accounts as repo
from tests.unit.support import World, make_world, sqlite_url


def basic(account: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{account}:{secret}".encode()).decode()


# -- the Authorization header -----------------------------------------------------------


def test_bearer_and_bare_tokens_are_access_tokens() -> None:
    assert tokens.parse_authorization("Bearer abc") == tokens.Credentials("abc")
    assert tokens.parse_authorization("bearer  abc ") == tokens.Credentials("abc")
    assert tokens.parse_authorization("abc") == tokens.Credentials("abc")
    assert not tokens.parse_authorization("Bearer abc").personal


def test_basic_is_an_account_id_and_a_personal_token() -> None:
    creds = tokens.parse_authorization(basic("ann@example.com", "s3cret"))
    assert creds == tokens.Credentials("s3cret", "ann@example.com")
    assert creds.personal
    assert tokens.parse_authorization("basic " + basic("a", "b")[6:]).account_id == "a"


def test_basic_splits_at_the_last_colon() -> None:
    creds = tokens.parse_authorization(basic("urn:agent:42", "tok"))
    assert (creds.account_id, creds.secret) == ("urn:agent:42", "tok")


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":secret-without-account").decode(),
        "Basic " + base64.b64encode(b"account-without-secret:").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
    ],
)
def test_malformed_basic_credentials_are_refused(header: str) -> None:
    with pytest.raises(tokens.MalformedCredentials):
        tokens.parse_authorization(header)


def test_the_basic_value_round_trips() -> None:
    value = tokens.basic_value("ann@example.com", "tok")
    assert tokens.parse_authorization(f"Basic {value}") == tokens.Credentials(
        "tok", "ann@example.com"
    )


def test_a_personal_tokens_cache_key_never_equals_an_access_tokens() -> None:
    assert tokens.Credentials("same").cache_key != tokens.Credentials("same", "ann").cache_key
    assert tokens.Credentials("same", "ann").cache_key == tokens.personal_cache_key(
        tokens.token_hash("same")
    )


# -- issuing, listing, revoking ---------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(sqlite_url(tmp_path))
    yield w
    w.store.close()


def issue(
    world: World, agent_id: str, scopes: set[str], ceiling: frozenset[str] | None = None
) -> tokens.IssuedPersonalToken:
    def run(tx: Tx) -> tokens.IssuedPersonalToken:
        agent = repo.get_agent(tx.conn, world.license_id, agent_id)
        assert agent is not None
        return tokens.issue_personal(tx.conn, agent, "script", frozenset(scopes), ceiling)

    return world.store.write_sync(run).result


def test_only_the_hash_of_the_secret_is_stored(world: World) -> None:
    issued = issue(world, world.owner.user_id, {"chats--all:ro"})
    with world.store.engine.connect() as conn:
        row = conn.execute(sa.select(schema.personal_access_tokens)).one()
    assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in [str(v) for v in row]
    assert issued.token.account_id == world.owner.user_id
    assert (
        issued.base64
        == base64.b64encode(f"{world.owner.user_id}:{issued.secret}".encode()).decode()
    )
    shown = issued.as_json()
    assert shown["authorization"] == f"Basic {issued.base64}"
    assert shown["scopes"] == ["chats--all:ro"] and shown["last_used_at"] is None
    listed = world.store.read_sync(
        lambda tx: tokens.list_personal(tx.conn, world.license_id, world.owner.user_id)
    )
    assert [t.as_json() for t in listed] == [issued.token.as_json()]
    assert "token" not in listed[0].as_json()


def test_scopes_are_a_subset_of_what_the_role_holds(world: World) -> None:
    normal = world.agent("norma@example.com")
    with pytest.raises(ApiError, match="Unknown scopes: nope"):
        issue(world, normal.user_id, {"nope"})
    with pytest.raises(ApiError, match="cannot grant: chats--all:rw"):
        issue(world, normal.user_id, {"chats--all:rw"})
    with pytest.raises(ApiError, match="at least one scope"):
        issue(world, normal.user_id, set())
    issued = issue(world, normal.user_id, {"chats--my:ro"})
    assert issued.token.scopes == {"chats--my:ro"}


def test_a_narrow_access_token_cannot_make_a_wider_personal_token(world: World) -> None:
    with pytest.raises(ApiError, match="cannot grant: customers:own"):
        issue(
            world,
            world.owner.user_id,
            {"chats--all:ro", "customers:own"},
            ceiling=frozenset({"chats--all:ro"}),
        )


def test_a_name_is_required_and_a_bot_has_no_personal_tokens(world: World) -> None:
    def run(name: str, agent_id: str) -> None:
        def fn(tx: Tx) -> None:
            agent = repo.get_agent(tx.conn, world.license_id, agent_id)
            assert agent is not None
            tokens.issue_personal(tx.conn, agent, name, frozenset({"chats--my:ro"}))

        world.store.write_sync(fn)

    with pytest.raises(ApiError, match="name is required"):
        run("  ", world.owner.user_id)
    world.store.write_sync(
        lambda tx: repo.insert_agent(
            tx.conn,
            users.new_agent(world.license_id, "bot-1", "Bot", "normal", is_bot=True),
            None,
        )
    )
    with pytest.raises(ApiError, match="bot agent"):
        run("bot token", "bot-1")


def test_lookup_checks_the_account_and_narrows_to_the_current_role(world: World) -> None:
    admin = world.agent("adam@example.com", "administrator")
    issued = issue(world, admin.user_id, {"chats--all:rw", "chats--all:ro"})
    right = tokens.Credentials(issued.secret, admin.user_id)
    found = world.store.read_sync(lambda tx: tokens.lookup_personal(tx.conn, right))
    assert found is not None
    p = found.principal
    assert (p.user_type, p.user_id, p.license_id, p.role) == (
        "agent",
        admin.user_id,
        world.license_id,
        "administrator",
    )
    assert p.personal and p.scopes == {"chats--all:rw", "chats--all:ro"}
    assert p.client_id == world.client_id  # the license's default application

    wrong = tokens.Credentials(issued.secret, world.owner.user_id)
    assert world.store.read_sync(lambda tx: tokens.lookup_personal(tx.conn, wrong)) is None

    # Demoted: the token keeps only what the role still holds.
    world.store.write_sync(
        lambda tx: repo.update_agent(tx.conn, world.license_id, admin.user_id, role="normal")
    )
    found = world.store.read_sync(lambda tx: tokens.lookup_personal(tx.conn, right))
    assert found is not None
    assert found.principal.scopes == {"chats--all:ro"}
    assert "chats--all:rw" not in role_scopes("normal")


def test_revoking_deletes_only_the_owners_token(world: World) -> None:
    issued = issue(world, world.owner.user_id, {"chats--all:ro"})
    other = world.agent("norma@example.com")
    assert (
        world.store.write_sync(
            lambda tx: tokens.revoke_personal(
                tx.conn, world.license_id, issued.token.id, other.user_id
            )
        ).result
        is None
    )
    hashed = world.store.write_sync(
        lambda tx: tokens.revoke_personal(
            tx.conn, world.license_id, issued.token.id, world.owner.user_id
        )
    ).result
    assert hashed == tokens.token_hash(issued.secret)
    creds = tokens.Credentials(issued.secret, world.owner.user_id)
    assert world.store.read_sync(lambda tx: tokens.lookup_personal(tx.conn, creds)) is None


# -- Services.authenticate -------------------------------------------------------------


@pytest.fixture
async def services(world: World, tmp_path: Path) -> AsyncIterator[Services]:
    world.store.start()
    yield Services(Settings(data_dir=tmp_path, redis_url=""), world.store)


async def test_authenticate_takes_basic_and_bearer(world: World, services: Services) -> None:
    issued = issue(world, world.owner.user_id, {"chats--all:ro"})
    principal = await services.authenticate(basic(world.owner.user_id, issued.secret))
    assert principal.personal and principal.scopes == {"chats--all:ro"}
    # From the cache, the account id is still checked.
    again = await services.authenticate(basic(world.owner.user_id, issued.secret))
    assert again == principal
    with pytest.raises(ApiError) as err:
        await services.authenticate(basic("someone@example.com", issued.secret))
    assert err.value.type == "authentication"
    with pytest.raises(ApiError) as err:
        await services.authenticate(f"Bearer {issued.secret}")  # not an access token
    assert err.value.type == "authentication"
    with pytest.raises(ApiError) as err:
        await services.authenticate("Basic %%%")
    assert err.value.type == "authentication"


async def test_a_use_is_recorded_and_a_revocation_is_immediate_here(
    world: World, services: Services
) -> None:
    issued = issue(world, world.owner.user_id, {"chats--all:ro"})
    header = basic(world.owner.user_id, issued.secret)
    await services.authenticate(header)
    listed = world.store.read_sync(lambda tx: tokens.list_personal(tx.conn, world.license_id, None))
    assert listed[0].last_used_at is not None

    hashed = world.store.write_sync(
        lambda tx: tokens.revoke_personal(tx.conn, world.license_id, issued.token.id, None)
    ).result
    assert hashed is not None
    services.forget_personal_token(hashed)
    with pytest.raises(ApiError) as err:
        await services.authenticate(header)
    assert err.value.type == "authentication"
