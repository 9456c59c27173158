"""The domain never builds SQL (DESIGN.md): its modules call storage repositories, and
import neither SQLAlchemy nor the table definitions in chatplane.storage.schema."""

from __future__ import annotations

import ast
from pathlib import Path

import chatplane.domain

DOMAIN = Path(chatplane.domain.__file__).parent

# Domain modules still allowed to build SQL, by path relative to chatplane/domain/.
# Keep it empty: an entry is debt, to be moved into chatplane/storage/ and removed here.
ALLOWED: frozenset[str] = frozenset()

FORBIDDEN_MODULES = ("sqlalchemy", "chatplane.storage.schema")
# Running a statement: what only storage does with a connection.
FORBIDDEN_CALLS = {"execute", "exec_driver_sql", "scalar", "scalars"}


def _modules() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(DOMAIN).as_posix()


def _package_of(path: Path) -> list[str]:
    return ["chatplane", "domain", *path.relative_to(DOMAIN).parent.parts]


def _imported(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it (deferred imports included)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path)
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            out.add(module)
            # `from chatplane.storage import schema` imports a module too.
            out.update(f"{module}.{alias.name}" for alias in node.names)
    return out


def _forbidden_imports(path: Path) -> list[str]:
    return sorted(
        module
        for module in _imported(path)
        if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN_MODULES)
    )


def _statement_calls(path: Path) -> list[int]:
    return sorted(
        {
            node.lineno
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in FORBIDDEN_CALLS
        }
    )


def test_domain_modules_import_neither_sqlalchemy_nor_the_schema() -> None:
    offenders = {
        _name(path): found
        for path in _modules()
        if _name(path) not in ALLOWED and (found := _forbidden_imports(path))
    }
    assert not offenders, (
        f"domain modules building SQL: {offenders}; move the queries into a repository "
        "in chatplane/storage/ and call it from the domain"
    )


def test_domain_modules_run_no_statements() -> None:
    offenders = {
        _name(path): lines
        for path in _modules()
        if _name(path) not in ALLOWED and (lines := _statement_calls(path))
    }
    assert not offenders, (
        f"domain modules running statements on a connection (file: lines): {offenders}; "
        "call a repository in chatplane/storage/ instead"
    )


def test_the_allow_list_names_only_modules_that_still_need_it() -> None:
    names = {_name(path) for path in _modules()}
    stale = {
        name
        for name in ALLOWED
        if name not in names
        or not (_forbidden_imports(DOMAIN / name) or _statement_calls(DOMAIN / name))
    }
    assert not stale, f"remove {sorted(stale)} from ALLOWED: they build no SQL any more"


def test_the_check_sees_a_deferred_schema_import(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text(
        "def f(tx):\n"
        "    import sqlalchemy as sa\n"
        "    from chatplane.storage import schema as s\n"
        "    return tx.conn.execute(sa.select(s.chats)).scalar()\n"
    )
    assert _forbidden_imports(module) == ["chatplane.storage.schema", "sqlalchemy"]
    assert _statement_calls(module) == [4]
