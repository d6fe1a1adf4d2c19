"""Meta-tests: every hook specification is documented, and the core really dispatches through each one."""

from __future__ import annotations

import inspect
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pluggy

from provider_core import BootstrapConfig, ProviderRegistry, SpawnOptions
from provider_core._hookspecs import add_specs
from provider_core.hooks import LIFECYCLE_HOOKS, PROJECT, PROVIDER_METHODS
from provider_core.testing.memory import registration

_MANAGER = pluggy.PluginManager(PROJECT)
add_specs(_MANAGER)
SPECS = {name: caller.spec for name, caller in vars(_MANAGER.hook).items() if getattr(caller, "spec", None)}
HOOKS = sorted(SPECS)


def _spec_function(name: str) -> Any:
    spec = SPECS[name]
    assert spec is not None
    return spec.function


README = Path(__file__).resolve().parents[2] / "core" / "README.md"


def test_there_are_fifteen_hooks() -> None:
    assert len(HOOKS) == 15, HOOKS
    assert set(HOOKS) == set(PROVIDER_METHODS) | set(LIFECYCLE_HOOKS)


def test_every_hook_is_documented_with_its_arguments() -> None:
    text = README.read_text()
    for name in HOOKS:
        arguments = ", ".join(inspect.signature(_spec_function(name)).parameters)
        assert f"`{name}({arguments})`" in text, f"hook {name} is not documented in core/README.md"


def test_every_hook_has_a_one_line_docstring() -> None:
    for name in HOOKS:
        doc = inspect.getdoc(_spec_function(name)) or ""
        assert doc, f"hook {name} needs a docstring"
        assert "\n" not in doc, f"hook {name} needs a one-line docstring"


class Recorder:
    """A wrapper on every hook, built from the specifications themselves."""

    def __init__(self) -> None:
        self.called: set[str] = set()
        marker = pluggy.HookimplMarker(PROJECT)
        for name in HOOKS:
            setattr(self, name, marker(wrapper=True)(self._wrapper(name)))

    def _wrapper(self, name: str) -> Any:
        parameters = list(inspect.signature(_spec_function(name)).parameters)

        def record(*args: Any) -> Generator[None, Any, Any]:
            self.called.add(name)
            return (yield)

        record.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in parameters]
        )
        return record


def test_the_core_dispatches_through_every_hook() -> None:
    registry = ProviderRegistry()
    registry.add(registration())
    recorder = Recorder()
    registry.plugin_manager.register(recorder)
    handle = registry.get("memory")
    made = handle.spawn(SpawnOptions(name="n", instance_type="mem.small"))
    handle.get_instance(made.id)
    handle.list_instances()
    handle.generate_bootstrap(BootstrapConfig("https://cp.example", "t"))
    assert handle.snapshots is not None
    assert handle.spot is not None
    snapshot = handle.snapshots.create(made.id, "s")
    handle.snapshots.status(snapshot.id)
    handle.snapshots.delete(snapshot.id)
    request = handle.spot.request(SpawnOptions(name="s", instance_type="mem.small", spot=True), 1.0)
    handle.spot.cancel(request.id)
    handle.spot.prices("mem.small")
    handle.health_check()
    handle.terminate(made.id)
    registry.close()
    assert recorder.called == set(HOOKS)
