"""Compiled statements store and read exactly what SQLAlchemy Core would, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from chatplane.storage.compiled import Compiled
from chatplane.storage.schema import JSON
from chatplane.storage.store import make_engine

metadata = sa.MetaData()
things = sa.Table(
    "compiled_things",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("doc", JSON, nullable=False),
    sa.Column("order", sa.BigInteger, nullable=True),  # a reserved word as a column name
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("at", sa.Float, nullable=True),  # PostgreSQL's numeric result processors
)

INSERT = Compiled(things.insert(), column_keys=["id", "n", "flag", "doc", "order", "note", "at"])
BUMP = Compiled(
    things.update()
    .where(things.c.id == sa.bindparam("b_id"))
    .values(n=things.c.n + sa.bindparam("b_by"))
    .returning(things.c.n, things.c.doc)
)
SELECT = Compiled(sa.select(things).where(things.c.id == sa.bindparam("b_id")))
DELETE = Compiled(things.delete().where(things.c.id == sa.bindparam("b_id")))

DOC = {"text": 'zażółć 😁 "quoted" 100%', "list": [1, 2.5, None, True], "nested": {"a": {}}}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'compiled.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    eng = make_engine(url)
    metadata.create_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def test_a_compiled_insert_reads_back_through_core_unchanged(engine: Engine) -> None:
    with engine.begin() as conn:
        INSERT.execute(
            conn,
            {"id": "a", "n": 2**62, "flag": True, "doc": DOC, "order": 7, "note": None, "at": 1.5},
        )
        row = conn.execute(sa.select(things)).one()
    assert tuple(row) == ("a", 2**62, True, DOC, 7, None, 1.5)


def test_compiled_select_gives_named_rows_with_json_and_booleans_decoded(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            things.insert().values(id="b", n=1, flag=False, doc=DOC, order=None, note="x", at=2.25)
        )
        row = SELECT.first(conn, {"b_id": "b"})
        missing = SELECT.first(conn, {"b_id": "nobody"})
    assert row is not None
    fields = (row.id, row.n, row.flag, row.doc, row.order, row.note, row.at)
    assert fields == ("b", 1, False, DOC, None, "x", 2.25)
    assert missing is None


def test_update_returning_and_rowcount(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(things.insert().values(id="c", n=10, flag=True, doc={}, order=1))
        assert BUMP.all(conn, {"b_id": "c", "b_by": 5})[0].n == 15
        assert BUMP.scalar(conn, {"b_id": "c", "b_by": 1}) == 16
        assert BUMP.scalar(conn, {"b_id": "nobody", "b_by": 1}) is None
        assert DELETE.execute(conn, {"b_id": "c"}) == 1
        assert DELETE.execute(conn, {"b_id": "c"}) == 0


def test_compiled_statements_join_the_connections_transaction(engine: Engine) -> None:
    with engine.connect() as conn:
        with conn.begin() as tx:
            INSERT.execute(
                conn,
                {"id": "d", "n": 1, "flag": True, "doc": {}, "order": 1, "note": None, "at": 0.0},
            )
            tx.rollback()
        assert conn.execute(sa.select(sa.func.count()).select_from(things)).scalar() == 0


def test_a_missing_parameter_is_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(KeyError):
        SELECT.first(conn, {})


@pytest.mark.parametrize("doc", [{}, [], {"a": []}, [{}]])
def test_json_is_stored_as_the_same_text_as_core_stores(engine: Engine, doc: object) -> None:
    """Empty objects and lists skip the encoder on SQLite: the stored text must not change."""
    with engine.begin() as conn:
        conn.execute(things.insert().values(id="core", n=1, flag=True, doc=doc, order=1))
        INSERT.execute(
            conn,
            {"id": "compiled", "n": 1, "flag": True, "doc": doc, "order": 1, "note": None, "at": 0},
        )
        text = sa.cast(things.c.doc, sa.Text)
        rows = dict(conn.execute(sa.select(things.c.id, text)).all())
    assert rows["compiled"] == rows["core"]
