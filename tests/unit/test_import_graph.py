"""The package's shape, checked from its source: no import cycle, and each layer imports only
what docs/architecture.md says it may (the record package: pydantic and the standard library)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.paths import ROOT

PACKAGE = ROOT / "repro"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(name: str) -> Iterator[str]:
    """Every module ``name`` imports, at the top or inside a function (not TYPE_CHECKING)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                # `from a import b` imports the module a.b when there is one, else a
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def graph() -> dict[str, set[str]]:
    return {
        name: {target for target in imports_of(name) if target in MODULES and target != name}
        for name in MODULES
    }


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_sees_lazy_imports() -> None:
    edges = graph()
    assert "repro.rendering.builtin" in edges["repro.rendering.registry"]  # inside a method
    assert "repro.tracking.load" in edges["repro.files.sources"]  # inside a function
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle() -> None:
    assert find_cycle(graph()) is None


def top_level_imports(prefix: str) -> dict[str, set[str]]:
    return {
        name: {target.split(".")[0] for target in imports_of(name)}
        | {t for t in imports_of(name) if t.startswith("repro.")}
        for name in MODULES
        if name == prefix or name.startswith(prefix + ".")
    }


def test_the_record_package_imports_only_pydantic_and_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"pydantic", "repro"}
    for name, targets in top_level_imports("repro.record").items():
        outside = {t for t in targets if t not in allowed and not t.startswith("repro.record")}
        outside |= {
            t for t in targets if t.startswith("repro.") and not t.startswith("repro.record")
        }
        assert not outside, f"{name} imports {sorted(outside)}"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        # documents are pure: records in, typed documents out
        (
            "repro.documents",
            {
                "jinja2",
                "matplotlib",
                "mlflow",
                "torch",
                "yaml",
                "repro.rendering",
                "repro.cli",
                "repro.tracking",
                "repro.files",
                "repro.capture",
            },
        ),
        ("repro.checks", {"jinja2", "mlflow", "torch", "repro.rendering", "repro.cli"}),
        ("repro.rendering", {"mlflow", "torch", "repro.cli", "repro.tracking", "repro.files"}),
        # report may use the rendering package's escapers (Markdown diffs), nothing more
        ("repro.report", {"jinja2", "mlflow", "torch", "repro.cli", "repro.rendering.api"}),
        # the paper bundle: records in, a folder out (MLflow histories come in as data)
        ("repro.paper", {"mlflow", "torch", "repro.cli", "repro.tracking", "repro.capture"}),
    ],
)
def test_layers_import_only_downwards(package: str, forbidden: set[str]) -> None:
    for name, targets in top_level_imports(package).items():
        bad = {t for t in targets for f in forbidden if t == f or t.startswith(f + ".")}
        assert not bad, f"{name} imports {sorted(bad)}"
