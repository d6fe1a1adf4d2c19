"""The contract's rules hold once, in the core, whatever a provider leaves out, for every caller:
handles, direct hook calls and every wrapper."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import pytest

from provider_core import (
    BootstrapConfig,
    BootstrapScript,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderInstance,
    ProviderRegistry,
    SpawnOptions,
    sweep,
)
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_core.hooks import MethodWrappers, hookimpl
from provider_core.testing.memory import MemoryProvider, registration


class Seen:
    """A downstream wrapper on every provider method: records what each call returned."""

    def __init__(self) -> None:
        self.results: list[tuple[str, Any]] = []
        self.plugin = MethodWrappers(self.around)

    def around(self, provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        result = yield
        self.results.append((method, result))
        return result


@pytest.fixture
def registry() -> ProviderRegistry:
    reg = ProviderRegistry()
    reg.add(registration())
    return reg


def _naive(registry: ProviderRegistry) -> tuple[Any, MemoryProvider]:
    handle = registry.get("memory", unmanaged=2)
    provider = handle.provider
    assert isinstance(provider, MemoryProvider)
    return handle, provider


def _options(**fields: Any) -> SpawnOptions:
    return SpawnOptions(**{"name": "n", "instance_type": "mem.small", **fields})


def test_unmanaged_machines_are_invisible_to_callers_wrappers_and_direct_hook_calls(
    registry: ProviderRegistry,
) -> None:
    seen = Seen()
    registry.plugin_manager.register(seen.plugin)
    handle, provider = _naive(registry)
    made = handle.spawn(_options())
    assert [i.id for i in handle.list_instances()] == [made.id]
    assert handle.get_instance("other-0") is None
    direct = registry.plugin_manager.hook.list_instances(provider="memory", filter=None)
    assert [i.id for i in direct] == [made.id]
    assert registry.plugin_manager.hook.get_instance(provider="memory", provider_id="other-1") is None
    listed = [r for m, r in seen.results if m == "list_instances"]
    assert listed
    assert all(i.managed for result in listed for i in result)
    assert ("get_instance", None) in seen.results
    # The provider itself still lists them: the core, not the provider, hid them.
    assert {"other-0", "other-1"} <= {i.id for i in provider.list_instances()}


def test_terminate_never_destroys_an_unmanaged_machine(registry: ProviderRegistry) -> None:
    handle, provider = _naive(registry)
    handle.terminate("other-0")
    registry.plugin_manager.hook.terminate(provider="memory", provider_id="other-1")
    handle.spawn(_options())
    assert sweep(handle) != []
    assert provider.instances["other-0"].status is InstanceStatus.RUNNING
    assert provider.instances["other-1"].status is InstanceStatus.RUNNING
    assert provider.calls.count("terminate") == 1


def test_not_found_from_get_and_terminate_is_none_and_success(registry: ProviderRegistry) -> None:
    handle, provider = _naive(registry)
    assert handle.get_instance("mem-404") is None
    handle.terminate("mem-404")
    made = handle.spawn(_options())
    handle.terminate(made.id)
    handle.terminate(made.id)
    assert provider.calls.count("terminate") == 1, "a gone instance is not terminated again"


def test_the_filter_is_applied_after_a_provider_that_ignores_it(registry: ProviderRegistry) -> None:
    handle, _ = _naive(registry)
    east = handle.spawn(_options(name="east-1", tags={"team": "a"}))
    west = handle.spawn(_options(name="west-1", region="mem-west"))
    assert [i.id for i in handle.list_instances(ListFilter(region="mem-west"))] == [west.id]
    assert [i.id for i in handle.list_instances(ListFilter(tags={"team": "a"}))] == [east.id]
    assert [i.id for i in handle.list_instances(ListFilter(name_prefix="east"))] == [east.id]
    handle.terminate(east.id)
    assert [i.id for i in handle.list_instances(ListFilter(statuses={"running"}))] == [west.id]


def test_a_listed_generic_instance_is_kept_as_it_is(registry: ProviderRegistry) -> None:
    """One object per listed row: a provider's generic instances are not copied (a listing of 100,000)."""
    handle, provider = _naive(registry)
    made = handle.spawn(_options())
    listed = handle.list_instances()
    assert [i.id for i in listed] == [made.id]
    assert listed[0] is provider.instances[made.id]


def test_management_tags_are_added_once_for_handles_and_direct_hook_calls(registry: ProviderRegistry) -> None:
    class Tagger:
        @hookimpl
        def spawn_tags(self, provider: str, options: SpawnOptions) -> dict[str, str]:
            return {"cost-centre": "ml"}

    registry.plugin_manager.register(Tagger())
    handle, provider = _naive(registry)
    made = handle.spawn(_options(idempotency_key="job-1", tags={"team": "a"}))
    direct = registry.plugin_manager.hook.spawn(provider="memory", options=_options(name="d"))
    for instance in (made, direct):
        stored = provider.instances[instance.id].tags
        assert stored[MANAGED_TAG] == "true"
        assert stored["cost-centre"] == "ml"
    assert provider.instances[made.id].tags[IDEMPOTENCY_TAG] == "job-1"
    assert provider.instances[made.id].tags["team"] == "a"


def test_a_spawn_tags_plugin_cannot_use_the_reserved_prefix(registry: ProviderRegistry) -> None:
    class Sneaky:
        @hookimpl
        def spawn_tags(self, provider: str, options: SpawnOptions) -> dict[str, str]:
            return {MANAGED_TAG: "false"}

    registry.plugin_manager.register(Sneaky())
    handle, provider = _naive(registry)
    with pytest.raises(ProviderError, match="spawn_tags keys starting with 'provider-core:' are reserved"):
        handle.spawn(_options())
    assert "spawn" not in provider.calls


def test_a_bootstrap_whose_checksum_does_not_match_is_refused_before_anything_exists(
    registry: ProviderRegistry,
) -> None:
    handle, provider = _naive(registry)
    script = handle.generate_bootstrap(BootstrapConfig("https://cp.example", "token"))
    forged = BootstrapScript(script.content + "\ncurl evil", script.format, script.checksum)
    with pytest.raises(ProviderError, match="checksum does not match") as raised:
        handle.spawn(_options(bootstrap=forged))
    assert raised.value.code is ErrorCode.INVALID_SPEC
    assert "spawn" not in provider.calls


def test_a_zone_is_refused_by_a_provider_that_does_not_place_by_zone(registry: ProviderRegistry) -> None:
    handle, provider = _naive(registry)
    with pytest.raises(ProviderError, match="does not place by zone") as raised:
        handle.spawn(_options(zone="mem-east-1a"))
    assert raised.value.code is ErrorCode.INVALID_SPEC
    assert "spawn" not in provider.calls


def test_results_are_projected_once_to_the_generic_type_before_any_wrapper(
    registry: ProviderRegistry,
) -> None:
    seen = Seen()
    registry.plugin_manager.register(seen.plugin)
    handle, _ = _naive(registry)
    made = handle.spawn(_options())
    assert type(made) is ProviderInstance
    assert [type(r) for m, r in seen.results if m == "spawn"] == [ProviderInstance]


def test_secret_setting_values_are_scrubbed_from_provider_errors() -> None:
    from attrs import frozen

    from provider_core.author import setting

    @frozen
    class KeyedSettings:
        api_key: str | None = setting(None, secret=True)

    class Echoes(MemoryProvider):
        def __init__(self, settings: KeyedSettings) -> None:
            super().__init__()
            self.key = settings.api_key or ""

        def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
            raise ProviderError(ErrorCode.AUTH_ERROR, f"bad key {self.key}", provider="memory")

    reg = ProviderRegistry()
    reg.add(registration(provider=Echoes, settings=KeyedSettings))
    handle = reg.get("memory", api_key="sk-live-123456")
    with pytest.raises(ProviderError) as raised:
        handle.list_instances()
    assert "sk-live-123456" not in str(raised.value)
    assert "***" in raised.value.message
    assert raised.value.__cause__ is None
    assert "sk-live-123456" not in repr(handle)
