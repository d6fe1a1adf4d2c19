"""The method table drives every layer, and the core's modules depend on one another in one direction."""

from __future__ import annotations

import ast
from pathlib import Path

import pluggy

from provider_core._handle import OPTIONAL_GROUPS
from provider_core._hookspecs import add_specs
from provider_core._methods import group_mismatches
from provider_core.hooks import METHODS, OPTIONAL_METHODS, PROJECT, PROVIDER_METHODS, MethodWrappers

CORE = Path(__file__).resolve().parents[2] / "core" / "src" / "provider_core"


def test_hookspecs_are_the_method_table() -> None:
    manager = pluggy.PluginManager(PROJECT)
    add_specs(manager)
    for method in METHODS:
        spec = getattr(manager.hook, method.name).spec
        assert spec is not None
        assert spec.opts["firstresult"]
        assert spec.argnames == ("provider", *method.argnames)


def test_optional_groups_and_flags_come_from_the_table() -> None:
    assert OPTIONAL_METHODS == {
        "snapshots": ("create_snapshot", "get_snapshot_status", "delete_snapshot"),
        "spot": ("request_spot_instance", "cancel_spot_request", "get_spot_prices"),
    }
    assert set(OPTIONAL_GROUPS) == set(OPTIONAL_METHODS)
    for flag, group in OPTIONAL_GROUPS.items():
        assert group_mismatches(flag, group) == []

    class Partial:
        def create(self) -> None: ...

        def rename(self) -> None: ...

    assert group_mismatches("snapshots", Partial) == [
        "Partial lacks delete",
        "Partial lacks status",
        "Partial.rename is not in the method table",
    ]


def test_method_wrappers_cover_every_method() -> None:
    wrappers = MethodWrappers(lambda provider, method, arguments: (yield))
    manager = pluggy.PluginManager(PROJECT)
    add_specs(manager)
    manager.register(wrappers)
    wrapped = {c.name for c in manager.get_hookcallers(wrappers) or []}
    assert wrapped == set(PROVIDER_METHODS)


def _imports(path: Path) -> set[str]:
    """Core modules a module imports, type-checking imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("provider_core."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "provider_core":
            found.update(alias.name for alias in node.names if alias.name.startswith("_"))
    return found


def test_core_modules_depend_on_one_another_in_one_direction() -> None:
    graph = {p.stem: _imports(p) & {q.stem for q in CORE.glob("_*.py")} for p in CORE.glob("_*.py")}
    graph = {name: deps - {name} for name, deps in graph.items() if name != "__init__"}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for dep in graph.get(name, ()):
            visit(dep, (*path, name))
        done.add(name)

    for name in graph:
        visit(name, ())
