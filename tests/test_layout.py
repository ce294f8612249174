"""The package layout holds: module size, family-private helpers, no import cycle.

Everything is read with :mod:`ast` from the source tree (nothing is imported), so the test
sees function-level imports too and cannot be fooled by import order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "zonemap"
MAX_LINES = 400

#: Modules allowed over MAX_LINES, each with the reason and the ceiling it may not grow past;
#: a module that drops under the limit must leave the list (see the test), so it only shrinks.
OVERSIZED = {
    # the one place every concept is named (layers, properties, units, qualifiers, statuses, town
    # fields, figure columns): one table per concept, all in one file so that no other module spells
    # one; the layer table also carries how each layer is drawn (so a new layer is one entry) and the
    # status words are an enum (FigureStatus): under 475 lines, the excess being the tables' documentation
    "zonemap.schema": 475,
}

#: Top-level private modules and the module (or the modules of one family) allowed to use them.
OWNERS = {
    "zonemap._chinacoords": "zonemap.crs",
    "zonemap._shenzhen_source": "zonemap.shenzhen",
    "zonemap._options": (
        "zonemap.cli",
        "zonemap._cli_print",
        "zonemap._cli_parcels",
        "zonemap._cli_reconcile",
        "zonemap._cli_map",
    ),
    "zonemap._cli_group": "zonemap.cli",
    "zonemap._cli_print": "zonemap.cli",
    "zonemap._cli_parcels": ("zonemap.cli", "zonemap._cli_reconcile", "zonemap._cli_map"),
    "zonemap._cli_map": "zonemap.cli",
    "zonemap._method_areas": "zonemap.methods",
    "zonemap._cli_reconcile": "zonemap.cli",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _package_of(module: str) -> str:
    """The package a module's relative imports start from."""
    return module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = _package_of(module).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, *, top_level_only: bool) -> list[tuple[str, str | None, int]]:
    """``(target module, imported name or None, line)`` for every import of zonemap code."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes: list[ast.AST] = []
    if top_level_only:
        stack = list(tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                stack.extend(node.orelse)
            elif isinstance(node, ast.If | ast.Try):
                stack.extend(node.body + node.orelse + getattr(node, "finalbody", []))
                for handler in getattr(node, "handlers", []):
                    stack.extend(handler.body)
            else:
                nodes.append(node)
    else:
        nodes = list(ast.walk(tree))
    out: list[tuple[str, str | None, int]] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "zonemap"]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if target.split(".")[0] != "zonemap":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub, None, node.lineno) if sub in MODULES else (target, alias.name, node.lineno))
    return out


def _private_package(target: str) -> str | None:
    """The package that owns a private module (``zonemap.rings`` for ``zonemap.rings._data``)."""
    parts = target.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_"):
            return ".".join(parts[:i])
    return None


def _family(module: str) -> str:
    family = ".".join(module.split(".")[:2])
    return OWNERS.get(family, family)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_walk_sees_the_tree() -> None:
    # the layout this test guards: families are packages, ground modules are flat
    for family in ("maps", "rings", "ingest", "reconcile", "figures", "io"):
        assert f"zonemap.{family}" in MODULES and MODULES[f"zonemap.{family}"].name == "__init__.py"
    assert "zonemap.rings._data" in MODULES and "zonemap.crs" in MODULES
    # the resolver spells relative imports as Python does
    fake = ast.parse("from ..io import write_text").body[0]
    assert isinstance(fake, ast.ImportFrom)
    assert _resolve("zonemap.rings._table", fake) == "zonemap.io"
    assert _private_package("zonemap.rings._data") == "zonemap.rings"
    assert _private_package("zonemap.rings") is None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_the_limit(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    ceiling = OVERSIZED.get(module, MAX_LINES)
    assert lines <= ceiling, f"{module} has {lines} lines (limit {ceiling}): split it along its seams"
    if module in OVERSIZED:
        assert lines > MAX_LINES, f"{module} is now {lines} lines: remove it from OVERSIZED"


def test_no_private_import_across_families() -> None:
    wrong = []
    for module in MODULES:
        for target, name, line in _imports(module, top_level_only=False):
            where = f"{MODULES[module].relative_to(SRC)}:{line}"
            owner = _private_package(target)
            if owner == "zonemap":
                allowed = OWNERS.get(".".join(target.split(".")[:2]))
                owners = (allowed,) if isinstance(allowed, str) else allowed or ()
                if not any(_within(module, o) for o in owners):
                    wrong.append(f"{where} imports private module {target} (owned by {allowed})")
            elif owner is not None and not _within(module, owner):
                wrong.append(f"{where} imports {target}, private to {owner}")
            if name and name.startswith("_") and not name.startswith("__") and _family(module) != _family(target):
                wrong.append(f"{where} imports private name {name} from {target}")
    assert not wrong, "\n".join(wrong)


def _graph(top_level_only: bool = True) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for target, _name, _line in _imports(module, top_level_only=top_level_only):
            parts = target.split(".")
            # importing zonemap.a.b first runs zonemap.a's __init__, unless we are inside it already
            for i in range(2, len(parts) + 1):
                step = ".".join(parts[:i])
                if step not in MODULES or step == module:
                    continue
                if step == target or not _within(module, step):
                    graph[module].add(step)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    graph = _graph()
    assert {"zonemap.io", "zonemap.project"} <= graph["zonemap.maps._page"]  # the graph has the edges
    assert not _cycles(graph), _cycles(graph)


#: Imports on use (inside a function) that close a cycle, each with its reason; nothing else may.
ON_USE = {
    # rings' project-level jobs (build_rings, proximity_table...) accept a Config and load the project on use;
    # the project family reads rings.json with the rings family's parsers, so it sits below them
    ("zonemap.rings._table", "zonemap.project"),
}


def test_no_cycle_through_imports_on_use() -> None:
    graph = _graph(top_level_only=False)
    for module, target in ON_USE:
        assert target in graph[module], f"{module} no longer imports {target}: remove it from ON_USE"
        graph[module].discard(target)
    assert not _cycles(graph), _cycles(graph)
