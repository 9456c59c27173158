"""Fixtures shared by every test folder: real PostgreSQL and Redis when configured.

Tests that need them read CHATPLANE_TEST_DATABASE_URL / CHATPLANE_TEST_REDIS_URL. Without
those they skip with a message saying how to enable them; with
CHATPLANE_REQUIRE_SERVICES=1 (CI) a missing service fails the run instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


def _need(var: str, what: str) -> str:
    url = os.environ.get(var, "")
    if url:
        return url
    message = f"{what} tests need {var} (e.g. set it as .ci/run does)"
    if os.environ.get("CHATPLANE_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


def _admin_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = _need("CHATPLANE_TEST_DATABASE_URL", "PostgreSQL")
    name = f"chatplane_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_admin_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        if os.environ.get("CHATPLANE_REQUIRE_SERVICES"):
            raise
        pytest.skip(f"PostgreSQL at CHATPLANE_TEST_DATABASE_URL unreachable: {exc}")
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    url = _need("CHATPLANE_TEST_REDIS_URL", "Redis")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except Exception as exc:
        if os.environ.get("CHATPLANE_REQUIRE_SERVICES"):
            raise
        pytest.skip(f"Redis at CHATPLANE_TEST_REDIS_URL unreachable: {exc}")
    return url
