"""The engine stays pure: what each consensus module may import, and no floats."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "consensus"
ALLOWED = {
    "__future__",
    "argparse",
    "collections",
    "dataclasses",
    "enum",
    "heapq",
    "typing",
    "consensus",
    "primitives",
}
ONLY_IN = {"time": {"bench.py"}}  # the benchmark measures wall-clock time; nothing else


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_module_imports_only_pure_dependencies(path: Path) -> None:
    for name in imports(path):
        assert name in ALLOWED or path.name in ONLY_IN.get(name, set()), name


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_float_literals_and_no_builtin_hash(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        assert not (isinstance(node, ast.Constant) and type(node.value) is float)
        assert not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hash")
