"""Meta-tests: every hook specification is documented, and the core really dispatches through each one."""

from __future__ import annotations

import inspect
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pluggy

from provider_core import BootstrapConfig, ProviderRegistry, SpawnOptions, _hooks
from tests.provider_core.memory import registration

HOOKS = sorted(
    name
    for name, fn in vars(_hooks).items()
    if inspect.isfunction(fn) and hasattr(fn, f"{_hooks.PROJECT}_spec")
)
README = Path(__file__).resolve().parents[2] / "core" / "README.md"


def test_there_are_fifteen_hooks() -> None:
    assert len(HOOKS) == 15, HOOKS
    assert set(_hooks.PROVIDER_METHODS) <= set(HOOKS)


def test_every_hook_is_documented_with_its_arguments() -> None:
    text = README.read_text()
    for name in HOOKS:
        arguments = ", ".join(inspect.signature(getattr(_hooks, name)).parameters)
        assert f"`{name}({arguments})`" in text, f"hook {name} is not documented in core/README.md"


def test_every_hook_has_a_one_line_docstring() -> None:
    for name in HOOKS:
        doc = inspect.getdoc(getattr(_hooks, name)) or ""
        assert doc, f"hook {name} needs a docstring"
        assert "\n" not in doc, f"hook {name} needs a one-line docstring"


class Recorder:
    """A wrapper on every hook, built from the specifications themselves."""

    def __init__(self) -> None:
        self.called: set[str] = set()
        marker = pluggy.HookimplMarker(_hooks.PROJECT)
        for name in HOOKS:
            setattr(self, name, marker(wrapper=True)(self._wrapper(name)))

    def _wrapper(self, name: str) -> Any:
        parameters = list(inspect.signature(getattr(_hooks, name)).parameters)

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
