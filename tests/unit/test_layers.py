"""Who may import whom (../shared/DESIGN.md, "Who may import whom"), and no import cycles.

Every import counts, at module level or inside a function, except those under
`if TYPE_CHECKING:` (annotations only, never executed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "chatplane"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, skipping the bodies of `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                stack.extend(node.orelse)
                continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The chatplane modules `path` imports (a `from pkg import name` of a submodule
    counts as importing the submodule)."""
    me = module_name(path)
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("chatplane"):
                    out.add(_known(alias.name, modules))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("chatplane"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in modules else _known(target, modules))
    out.discard(me)
    return out


def _known(name: str, modules: set[str]) -> str:
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# (importer package, forbidden package): the lower layers never reach up.
FORBIDDEN = [
    (low, high)
    for low in (
        "chatplane.domain",
        "chatplane.storage",
        "chatplane.bus",
        "chatplane.realtime",
        "chatplane.webhooks",
    )
    for high in ("chatplane.api", "chatplane.app", "chatplane.cli")
] + [
    ("chatplane.domain", "chatplane.services"),
    ("chatplane.storage", "chatplane.services"),
    ("chatplane.bus", "chatplane.services"),
    ("chatplane.realtime", "chatplane.services"),
    ("chatplane.webhooks", "chatplane.services"),
    ("chatplane.storage", "chatplane.realtime"),
    ("chatplane.storage", "chatplane.webhooks"),
    ("chatplane.storage", "chatplane.bus"),
    ("chatplane.domain", "chatplane.realtime"),
    ("chatplane.domain", "chatplane.webhooks"),
    ("chatplane.domain", "chatplane.bus"),
]


def test_lower_layers_do_not_import_upper_ones() -> None:
    wrong = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in graph().items()
        for imported in imported_set
        for low, high in FORBIDDEN
        if _under(importer, low) and _under(imported, high)
    )
    assert not wrong, "\n".join(wrong)


def test_storage_knows_only_domain_models() -> None:
    """Repositories return domain objects (`domain.models`) and nothing else of the domain."""
    wrong = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in graph().items()
        if _under(importer, "chatplane.storage")
        for imported in imported_set
        if _under(imported, "chatplane.domain")
        and imported != "chatplane.domain.models"
        and imported != "chatplane.domain"
    )
    assert not wrong, "\n".join(wrong)


def test_bus_knows_only_domain_changes() -> None:
    allowed = {"chatplane.domain.changes", "chatplane.domain.models", "chatplane.domain"}
    wrong = sorted(
        f"{importer} imports {imported}"
        for importer, imported_set in graph().items()
        if _under(importer, "chatplane.bus")
        for imported in imported_set
        if _under(imported, "chatplane.domain") and imported not in allowed
    )
    assert not wrong, "\n".join(wrong)


def strongly_connected(g: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module are cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in g:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(g.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in g:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(g[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_import_cycles() -> None:
    g = graph()
    # A package's __init__ importing its own submodules is how packages re-export; the
    # submodules importing the package back is what would make a cycle, and counts.
    cycles = strongly_connected(g)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_graph_sees_imports() -> None:
    """The checker itself: it finds a known import, relative and absolute."""
    g = graph()
    assert "chatplane.domain.models" in g["chatplane.domain.changes"]
    assert "chatplane.storage.store" in g["chatplane.app"]
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
