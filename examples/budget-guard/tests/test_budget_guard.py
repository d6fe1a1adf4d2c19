"""The budget guard: a spawn above the price per hour fails with QUOTA_EXCEEDED before the provider runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provider_core import ErrorCode, ProviderError, ProviderHandle, ProviderRegistry, SpawnOptions
from provider_core.testing import memory
from provider_core_budget import ENV_VAR, Budget, BudgetGuard

PRICES = {"memory": {"mem.large": 0.08}, "*": {"mem.small": 0.01, "mem.large": 5.0}}


def _handle(guard: BudgetGuard) -> tuple[ProviderHandle, memory.MemoryProvider]:
    registry = ProviderRegistry()
    registry.add(memory.registration())
    registry.plugin_manager.register(guard)
    handle = registry.get("memory")
    handle.list_instances()  # builds the provider
    provider = handle.provider
    assert isinstance(provider, memory.MemoryProvider)
    return handle, provider


def test_a_spawn_above_the_table_price_is_vetoed_before_the_provider() -> None:
    handle, provider = _handle(BudgetGuard(Budget(max_price_per_hour=0.05, prices=PRICES)))
    with pytest.raises(ProviderError) as raised:
        handle.spawn(SpawnOptions(name="big", instance_type="mem.large"))
    assert raised.value.code is ErrorCode.QUOTA_EXCEEDED
    assert "mem.large at $0.08/h is above the budget of $0.05/h" in raised.value.message
    assert "spawn" not in provider.calls
    assert handle.list_instances() == []
    assert handle.spawn(SpawnOptions(name="small", instance_type="mem.small")).instance_type == "mem.small"


def test_a_spot_spawn_is_priced_at_its_cap() -> None:
    handle, provider = _handle(BudgetGuard(Budget(max_price_per_hour=0.02)))
    over = SpawnOptions(name="s", instance_type="mem.small", spot=True, max_price_per_hour=0.5)
    with pytest.raises(ProviderError, match="QUOTA_EXCEEDED"):
        handle.spawn(over)
    assert handle.spot is not None
    with pytest.raises(ProviderError, match="QUOTA_EXCEEDED"):
        handle.spot.request(SpawnOptions(name="r", instance_type="mem.small", spot=True), 0.03)
    assert provider.spot_requests == {}
    assert "spawn" not in provider.calls
    handle.spot.request(SpawnOptions(name="r", instance_type="mem.small", spot=True), 0.01)
    assert len(provider.spot_requests) == 1


def test_unpriced_spawns_pass_unless_denied() -> None:
    handle, _ = _handle(BudgetGuard(Budget(max_price_per_hour=1.0)))
    handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
    strict, provider = _handle(BudgetGuard(Budget(max_price_per_hour=1.0, deny_unpriced=True)))
    with pytest.raises(ProviderError, match=r"no price known for mem\.small"):
        strict.spawn(SpawnOptions(name="a", instance_type="mem.small"))
    assert "spawn" not in provider.calls


def test_the_entry_point_plugin_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle, _ = _handle(BudgetGuard())
    monkeypatch.delenv(ENV_VAR, raising=False)
    handle.spawn(SpawnOptions(name="free", instance_type="mem.large"))  # no budget: allowed
    budget = tmp_path / "budget.json"
    budget.write_text(json.dumps({"max_price_per_hour": 1.0, "prices": {"*": {"mem.large": 5.0}}}))
    monkeypatch.setenv(ENV_VAR, f"@{budget}")
    with pytest.raises(ProviderError, match=r"\$5/h is above the budget of \$1/h"):
        handle.spawn(SpawnOptions(name="big", instance_type="mem.large", region="mem-west"))
    handle.spawn(SpawnOptions(name="ok", instance_type="mem.small"))


@pytest.mark.parametrize("value", ["{not json", '{"max_price_per_hour": -1}', '{"prices": {}}', "@/no/such"])
def test_an_unreadable_budget_blocks_spawns(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    handle, provider = _handle(BudgetGuard())
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(ProviderError) as raised:
        handle.spawn(SpawnOptions(name="a", instance_type="mem.small"))
    assert raised.value.code is ErrorCode.INVALID_SPEC
    assert ENV_VAR in raised.value.message
    assert "spawn" not in provider.calls
