"""The suite's hooks and fixtures; pytest loads this only when the suite itself is collected."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from provider_core import Capabilities
from provider_core.testing._fixtures import (
    built,
    compliance_target,
    compliance_timeout,
    handle,
    profile,
    provider_session,
    registration,
    resolved_targets,
    run_id,
    spawn,
    targets,
    track,
    unique_name,
    wait,
)
from provider_core.testing._targets import load_contract

__all__ = [
    "built",
    "compliance_target",
    "compliance_timeout",
    "handle",
    "profile",
    "provider_session",
    "registration",
    "spawn",
    "track",
    "unique_name",
    "wait",
]

CONTRACTS_MODULE = Path(__file__).with_name("test_contracts.py")
TARGET_MARK = "provider_core_target"


class ContractClass(pytest.Class):
    """A contract class collected from a registration rather than found in the module."""

    def __init__(self, *args: Any, contract: type, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._contract = contract

    def _getobj(self) -> type:
        return self._contract


class ContractsModule(pytest.Module):
    """test_contracts.py: collects each provider's ProviderRegistration.contracts for that provider only."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        yield from super().collect()
        for key, target in targets(self.config).items():
            for spec in target.registration.contracts:
                try:
                    contract = load_contract(spec)
                except ValueError as exc:
                    raise self.CollectError(f"provider '{key}': {exc}") from exc
                node = ContractClass.from_parent(self, name=f"{contract.__name__}[{key}]", contract=contract)
                node.add_marker(getattr(pytest.mark, TARGET_MARK)(key))
                yield node


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> None:
    """Resolves the selection before any suite module: a bad one is a single, clean collection error."""
    try:
        targets(parent.config)
    except pytest.UsageError as exc:
        raise parent.CollectError(str(exc)) from None


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    if module_path == CONTRACTS_MODULE:
        return ContractsModule.from_parent(parent, path=module_path)
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "compliance_target" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker(TARGET_MARK)
    keys = [str(k) for k in marker.args] if marker else list(targets(metafunc.config))
    metafunc.parametrize("compliance_target", keys, indirect=True, scope="session", ids=keys)


def required_flags(item: pytest.Item) -> list[str]:
    """Flags from @requires markers (function, class, module) and `__requires__` on the class or module."""
    flags = [str(flag) for marker in item.iter_markers("requires") for flag in marker.args]
    for holder in (getattr(item, "cls", None), getattr(item, "module", None)):
        flags.extend(getattr(holder, "__requires__", ()))
    return list(dict.fromkeys(flags))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    known = set(Capabilities.flag_names())
    for item in items:
        callspec = getattr(item, "callspec", None)
        key = callspec.params.get("compliance_target") if callspec is not None else None
        if key is None:
            continue
        flags = required_flags(item)
        unknown = [flag for flag in flags if flag not in known]
        if unknown:
            raise pytest.UsageError(
                f"{item.nodeid} requires unknown capability flag(s): {', '.join(unknown)}"
            )
        registration = targets(config)[key].registration
        missing = [flag for flag in flags if not getattr(registration.capabilities, flag)]
        if missing:
            names = ", ".join(f"'{flag}'" for flag in missing)
            item.add_marker(
                pytest.mark.skip(
                    reason=f"requires capability {names}, which provider '{key}' does not declare"
                )
            )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    checked = resolved_targets(config)
    if not checked:
        return
    live = config.getoption("live")
    terminalreporter.write_sep("-", f"provider-core compliance, run id {run_id(config)}")
    for key, target in checked.items():
        compliance = target.registration.compliance
        double = compliance is not None and compliance.test_double is not None
        how = "live" if live else ("test double" if double else "no test double")
        terminalreporter.write_line(f"{key}: {target.source}, {how}")
