"""Hot statements compiled once per dialect and run on the driver's own cursor.

SQLAlchemy Core builds, caches and processes every `Connection.execute`: about 30-50 µs of
Python per statement, more than SQLite takes to run a primary-key update. The few statements
every message runs (load the chat, take the next order, insert the event) are written in
Core like the rest and compiled here once per dialect; each call then binds its parameters
(with the column types' own bind processors, so JSON and booleans are stored as Core would)
and runs the SQL text on the DBAPI cursor of the same connection, inside the same
transaction. Rows come back as named tuples with the result processors applied.

Only plain statements qualify: no expanding `IN` parameters, every bound parameter named
and passed by the caller (or given a value in the statement).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from chatplane.storage import chat_cache

Processor = Callable[[Any], Any] | None


class _Plan:
    """A statement compiled for one dialect."""

    def __init__(self, stmt: Any, dialect: Dialect, column_keys: list[str] | None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        binds = compiled.binds
        self.positional = compiled.positiontup is not None
        self.names: list[str] = list(compiled.positiontup or binds.keys())
        self.fixed: dict[str, Any] = {}
        self.processors: list[tuple[str, Processor]] = []
        for name in self.names:
            bind = binds[name]
            if bind.callable is not None or bind.expanding:
                raise ValueError(f"{name!r}: only plain bound parameters can be compiled")
            if bind.value is not None:
                self.fixed[name] = bind.value
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None and isinstance(bind.type, sa.JSON) and dialect.name == "sqlite":
                proc = _empty_json_first(proc)
            self.processors.append((name, proc))
        # The escaped names SQLAlchemy put in the SQL text (pyformat), by bind name.
        escaped = getattr(compiled, "escaped_bind_names", None) or {}
        self.escaped = {name: escaped.get(name, name) for name in self.names}
        if isinstance(stmt, sa.Select):
            columns = list(stmt.selected_columns)
        else:  # INSERT / UPDATE / DELETE: the RETURNING columns, if any
            columns = list(stmt.exported_columns) if stmt._returning else []
        self.dialect = dialect
        self.types = [c.type for c in columns]
        self.row: Any = None
        if columns:
            self.row = namedtuple("Row", [c.key for c in columns], rename=True)  # type: ignore[misc]
        # Result processors depend on the driver's column type codes (PostgreSQL numerics),
        # so they are chosen from the first result's cursor description.
        self.results: list[Processor] | None = None
        self.plain = True  # every column comes back as the driver gives it

    def bind(self, params: Mapping[str, Any]) -> Any:
        if self.fixed:
            params = {**self.fixed, **params}
        values = []
        for name, proc in self.processors:
            value = params[name]
            values.append(value if proc is None or value is None else proc(value))
        if self.positional:
            return values
        return {self.escaped[name]: v for name, v in zip(self.names, values, strict=True)}

    def rows(self, cursor: Any) -> list[Any]:
        make = self.row._make
        if self.results is None:
            codes = [d[1] for d in cursor.description]
            self.results = [
                _result_processor(t, self.dialect, code)
                for t, code in zip(self.types, codes, strict=True)
            ]
            self.plain = all(p is None for p in self.results)
        if self.plain:
            return [make(raw) for raw in cursor.fetchall()]
        procs = self.results
        return [
            make([v if p is None or v is None else p(v) for p, v in zip(procs, raw, strict=True)])
            for raw in cursor.fetchall()
        ]


def _empty_json_first(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The JSON column's bind processor, with the text of an empty object or list given
    at once: the same text `json.dumps` writes ('{}', '[]'), for the most common values
    (an event's body and properties) without a trip through the encoder."""

    def bind(value: Any) -> Any:
        if not value and type(value) in (dict, list):
            return "{}" if type(value) is dict else "[]"
        return proc(value)

    return bind


def _result_processor(type_: Any, dialect: Dialect, type_code: Any) -> Processor:
    """The column type's own result processor; JSON text is decoded with msgspec, which
    reads what the standard library wrote several times faster."""
    if isinstance(type_, sa.JSON) and dialect.name == "sqlite":
        return msgspec.json.decode
    return type_.dialect_impl(dialect).result_processor(dialect, type_code)


class Compiled:
    """A Core statement run without Core's per-call work (see the module's note).

    `column_keys` pins the columns of an INSERT (all its values come from the caller).
    A statement that writes a table the writer's chat cache is made of empties that cache
    (storage/chat_cache.py) unless `cache_aware`: its repository function updates the
    cache itself."""

    def __init__(
        self,
        stmt: sa.Executable,
        column_keys: list[str] | None = None,
        *,
        cache_aware: bool = False,
    ) -> None:
        self.stmt = stmt
        self.column_keys = column_keys
        self._plans: dict[str, _Plan] = {}
        table = None if isinstance(stmt, sa.Select) else getattr(stmt, "table", None)
        self.table_name: str = table.name if table is not None else ""
        # cache_aware statements write quiet tables only (see chat_cache.QUIET_TABLES).
        assert not cache_aware or self.table_name in chat_cache.QUIET_TABLES
        self.empties_cache = self.table_name in chat_cache.TABLES and not cache_aware
        # A write the writer's cache must hear of: it empties the cache or moves its
        # generation on (the hot writes to quiet tables, like an event's insert, do neither).
        self.reports_write = bool(self.table_name) and (
            self.empties_cache or self.table_name not in chat_cache.QUIET_TABLES
        )

    def _plan(self, conn: Connection) -> _Plan:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.stmt, dialect, self.column_keys)
        return plan

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Plan, Any]:
        plan = self._plan(conn)
        if self.reports_write:
            cache = chat_cache.of(conn)
            if cache is not None:
                cache.wrote(self.table_name)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(plan.sql, plan.bind(params))
        return plan, cursor

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The rows of a SELECT (or of a RETURNING clause)."""
        plan, cursor = self._run(conn, params)
        try:
            return plan.rows(cursor)
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any | None:
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(conn, params)
        return row[0] if row is not None else None

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run a statement without rows; the number of rows it changed."""
        _plan, cursor = self._run(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()
