"""Modules import downward only: no cycle between the modules of an app, nor between apps.

A cycle hides which module owns a rule (services ↔ routing ↔ SLAs once did) and breaks
as soon as one side imports the other at load time. Lazy imports inside functions
count too: they are the same dependency, only postponed.
"""

from __future__ import annotations

import ast
import graphlib
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _product_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(PACKAGE).parts)
        and path.name != "conftest.py"
    }


def _import_graph() -> dict[str, set[str]]:
    modules = _product_modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ponton"):
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    graph[name].add(submodule if submodule in modules else str(node.module))
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name.startswith("ponton"))
        graph[name].discard(name)
    return graph


def _app(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    graph = {
        module: {d for d in deps if not module.startswith(f"{d}.")}  # a package's own __init__
        for module, deps in _import_graph().items()
    }
    assert _cycle(graph) == []


def test_apps_depend_on_each_other_in_one_direction() -> None:
    apps: dict[str, set[str]] = defaultdict(set)
    for module, deps in _import_graph().items():
        apps[_app(module)].update(_app(d) for d in deps if _app(d) != _app(module))
    assert _cycle(apps) == []


@pytest.mark.parametrize("module", ["services", "hours"])
def test_the_conversation_core_has_no_catch_all_module(module: str) -> None:
    """Transitions live in `lifecycle`, access in `access`, presence in `presence`."""
    assert not (PACKAGE / "conversations" / f"{module}.py").exists()
