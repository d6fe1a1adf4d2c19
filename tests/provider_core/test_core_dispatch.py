"""Every handle call goes through pluggy: downstream wrappers see it, only the named provider runs it."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import pytest
from attrs import frozen

import provider_core
import provider_core.author
from provider_core import ErrorCode, ProviderError, ProviderInstance, ProviderRegistry, SpawnOptions
from provider_core.author import MANAGED_TAG, parsers, setting
from provider_core.hooks import hookimpl
from provider_core.testing.memory import MemoryProvider, MemorySettings, registration


class AuditLog:
    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str]] = []

    @hookimpl(wrapper=True)
    def spawn(
        self, provider: str, options: SpawnOptions
    ) -> Generator[None, ProviderInstance, ProviderInstance]:
        try:
            instance = yield
        except ProviderError as exc:
            self.entries.append((provider, "spawn", exc.code))
            raise
        self.entries.append((provider, "spawn", instance.id))
        return instance

    @hookimpl(wrapper=True)
    def terminate(self, provider: str, provider_id: str) -> Generator[None, None, None]:
        yield
        self.entries.append((provider, "terminate", provider_id))


class BudgetGuard:
    """Vetoes spawns past a per-provider budget."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent: dict[str, int] = {}

    @hookimpl(wrapper=True)
    def spawn(
        self, provider: str, options: SpawnOptions
    ) -> Generator[None, ProviderInstance, ProviderInstance]:
        if self.spent.get(provider, 0) >= self.limit:
            raise ProviderError(
                ErrorCode.QUOTA_EXCEEDED, f"budget of {self.limit} spawns used", provider=provider
            )
        instance = yield
        self.spent[provider] = self.spent.get(provider, 0) + 1
        return instance


class CostCentreTagger:
    @hookimpl
    def spawn_tags(self, provider: str, options: SpawnOptions) -> Mapping[str, str]:
        return {"cost-centre": f"ml-{provider}"}


def _two_providers() -> ProviderRegistry:
    reg = ProviderRegistry()
    reg.add(registration(name="alpha"))
    reg.add(registration(name="beta"))
    return reg


def _options(name: str = "job") -> SpawnOptions:
    return SpawnOptions(name=name, instance_type="mem.small")


def test_audit_budget_and_tagger_plugins_see_every_spawn() -> None:
    reg = _two_providers()
    audit, budget = AuditLog(), BudgetGuard(limit=1)
    # pluggy runs the last registered wrapper outermost, so the audit log also sees the veto.
    for plugin in (budget, CostCentreTagger(), audit):
        reg.plugin_manager.register(plugin)
    alpha = reg.get("alpha")

    first = alpha.spawn(_options())
    assert first.tags["cost-centre"] == "ml-alpha"
    assert first.tags[MANAGED_TAG] == "true"
    with pytest.raises(ProviderError) as vetoed:
        alpha.spawn(_options())
    assert vetoed.value.code is ErrorCode.QUOTA_EXCEEDED
    assert len(alpha.list_instances()) == 1, "a vetoed spawn never reached the provider"
    alpha.terminate(first.id)
    assert audit.entries == [
        ("alpha", "spawn", first.id),
        ("alpha", "spawn", ErrorCode.QUOTA_EXCEEDED),
        ("alpha", "terminate", first.id),
    ]


def test_a_call_for_one_provider_runs_only_its_implementation() -> None:
    reg = _two_providers()
    alpha, beta = reg.get("alpha"), reg.get("beta")
    beta.list_instances()  # builds beta so its implementation is registered too
    beta_provider = beta.provider
    assert isinstance(beta_provider, MemoryProvider)
    beta_provider.calls.clear()
    alpha.spawn(_options())
    alpha.get_instance("mem-404")
    assert beta_provider.calls == []
    assert beta.list_instances() == []


def test_handles_with_different_settings_dispatch_separately() -> None:
    reg = ProviderRegistry()
    reg.add(registration())
    east, west = reg.get("memory", region="mem-east"), reg.get("memory", region="mem-west")
    assert reg.get("memory", region="mem-east") is east
    made = west.spawn(_options())
    assert made.region == "mem-west"
    assert east.list_instances() == []
    assert [i.id for i in west.list_instances()] == [made.id]


class Exploding(MemoryProvider):
    def get_instance(self, provider_id: str) -> ProviderInstance | None:
        raise KeyError(provider_id)


def test_stray_exceptions_become_internal_errors_with_the_cause_chained() -> None:
    reg = ProviderRegistry()
    reg.add(registration(provider=Exploding))
    seen: list[BaseException] = []

    class Observer:
        @hookimpl(wrapper=True)
        def get_instance(self, provider: str, provider_id: str) -> Generator[None, Any, Any]:
            try:
                return (yield)
            except BaseException as exc:
                seen.append(exc)
                raise

    reg.plugin_manager.register(Observer())
    with pytest.raises(ProviderError) as raised:
        reg.get("memory").get_instance("i-1")
    assert raised.value.code is ErrorCode.INTERNAL
    assert isinstance(raised.value.__cause__, KeyError)
    assert [type(e) for e in seen] == [ProviderError], "wrappers already see the mapped error"


@frozen
class RichInstance(ProviderInstance):
    availability_zone: str = "mem-east-1a"
    volumes: tuple[str, ...] = ()


class Enhancing(MemoryProvider):
    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        generic = super().spawn(options)
        rich = provider_core.author.materialize(generic, RichInstance, volumes=("vol-1",))
        self.instances[rich.id] = rich
        return rich


def test_enhanced_types_never_leave_the_handle() -> None:
    reg = ProviderRegistry()
    reg.add(registration(provider=Enhancing))
    handle = reg.get("memory")
    made = handle.spawn(_options())
    assert isinstance(handle.provider, Enhancing)
    assert isinstance(handle.provider.instances[made.id], RichInstance), "the provider keeps its own type"
    assert type(made) is ProviderInstance
    assert type(handle.get_instance(made.id)) is ProviderInstance
    assert [type(i) for i in handle.list_instances()] == [ProviderInstance]
    assert made == provider_core.author.project(handle.provider.instances[made.id], ProviderInstance)


def test_lifecycle_hooks_fire_once_per_build_and_shutdown() -> None:
    events: list[tuple[str, str]] = []

    class Lifecycle:
        @hookimpl
        def on_startup(self, provider: str) -> None:
            events.append(("startup", provider))

        @hookimpl
        def on_shutdown(self, provider: str) -> None:
            events.append(("shutdown", provider))

    class Closing(MemoryProvider):
        def close(self) -> None:
            events.append(("close", self.name))

    reg = ProviderRegistry()
    reg.add(registration(provider=Closing))
    reg.plugin_manager.register(Lifecycle())
    handle = reg.get("memory")
    assert events == [], "building is lazy"
    handle.list_instances()
    handle.list_instances()
    reg.close()
    assert events == [("startup", "memory"), ("shutdown", "memory"), ("close", "memory")]


def test_provider_hooks_only_see_their_own_provider() -> None:
    seen: list[str] = []

    class AlphaHooks:
        @hookimpl
        def on_startup(self, provider: str) -> None:
            seen.append(provider)

    reg = ProviderRegistry()
    reg.add(registration(name="alpha", hooks=(AlphaHooks(),)))
    reg.add(registration(name="beta"))
    reg.get("beta").list_instances()
    reg.get("alpha").list_instances()
    assert seen == ["alpha"]


def test_reserved_tags_and_wrong_argument_types_are_rejected(handle: provider_core.ProviderHandle) -> None:
    with pytest.raises(ProviderError, match="reserved: provider-core:managed"):
        handle.spawn(SpawnOptions(name="x", instance_type="mem.small", tags={MANAGED_TAG: "false"}))
    with pytest.raises(ValueError, match="options must be SpawnOptions, got dict"):
        handle.spawn({"name": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="provider_id must be a non-empty string"):
        handle.terminate("")
    with pytest.raises(ValueError, match="filter must be a ListFilter"):
        handle.list_instances("running")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "instance_type": "t"}, "SpawnOptions.name must be a non-empty string"),
        ({"name": 3, "instance_type": "t"}, "SpawnOptions.name must be a non-empty string"),
        (
            {"name": "n", "instance_type": "t", "tags": {"k": 1}},
            "SpawnOptions.tags must map strings to strings",
        ),
        (
            {"name": "n", "instance_type": "t", "max_price_per_hour": -1},
            "max_price_per_hour must be a positive",
        ),
        ({"name": "n", "instance_type": "t", "idempotency_key": "has space"}, "idempotency_key must match"),
        ({"name": "n", "instance_type": "t", "spot": "yes"}, "SpawnOptions.spot must be bool"),
        ({"name": "n", "instance_type": "t", "gpu_count": 1.5}, "gpu_count must be a positive whole number"),
        (
            {"name": "n", "instance_type": "t", "max_price_per_hour": 1.0},
            "max_price_per_hour needs spot=True",
        ),
    ],
)
def test_malformed_options_name_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SpawnOptions(**fields)


def test_bad_enum_values_list_the_good_ones() -> None:
    with pytest.raises(ValueError, match=r"'bogus' is not a valid InstanceStatus; expected one of pending"):
        provider_core.ListFilter(statuses={"bogus"})
    bad_format = r"'yaml' is not a valid BootstrapFormat; expected one of cloud-init, shell"
    with pytest.raises(ValueError, match=bad_format):
        provider_core.BootstrapConfig("https://cp.example", "t", format="yaml")


def test_a_factory_returning_the_wrong_thing_is_an_internal_error() -> None:
    reg = ProviderRegistry()
    reg.add(registration(provider=lambda *_: object()))
    with pytest.raises(ProviderError, match="factory returned object, not a Provider") as raised:
        reg.get("memory").list_instances()
    assert raised.value.code is ErrorCode.INTERNAL


def test_startup_hooks_may_use_the_handle_being_built() -> None:
    class Warmup:
        def __init__(self) -> None:
            self.listed: list[int] = []

        @hookimpl
        def on_startup(self, provider: str) -> None:
            self.listed.append(len(reg.get(provider).list_instances()))

    reg = ProviderRegistry()
    reg.add(registration())
    warmup = Warmup()
    reg.plugin_manager.register(warmup)
    reg.get("memory").spawn(_options())
    assert warmup.listed == [0]


def test_shutdown_hooks_see_the_provider_and_do_not_rebuild_it() -> None:
    built: list[MemoryProvider] = []

    class Counting(MemoryProvider):
        def __init__(self, settings: MemorySettings | None = None) -> None:
            super().__init__(settings)
            built.append(self)

    class Farewell:
        def __init__(self) -> None:
            self.seen: list[int] = []

        @hookimpl
        def on_shutdown(self, provider: str) -> None:
            self.seen.append(len(reg.get(provider).list_instances()))

    reg = ProviderRegistry()
    reg.add(registration(provider=Counting))
    farewell = Farewell()
    reg.plugin_manager.register(farewell)
    reg.get("memory").spawn(_options())
    reg.close()
    assert farewell.seen == [1], "the shutdown hook listed the still-built provider"
    assert len(built) == 1
    assert not reg.get("memory").built


def test_concurrent_first_use_builds_the_provider_once() -> None:
    import threading

    built: list[MemoryProvider] = []

    class Counting(MemoryProvider):
        def __init__(self, settings: MemorySettings | None = None) -> None:
            super().__init__(settings)
            built.append(self)

    reg = ProviderRegistry()
    reg.add(registration(provider=Counting))
    handle = reg.get("memory")
    start = threading.Barrier(8)

    def use() -> None:
        start.wait()
        handle.spawn(_options())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert len(handle.list_instances()) == 8


def test_sweep_terminates_only_managed_matching_and_confirmed_instances(
    handle: provider_core.ProviderHandle,
) -> None:
    keep = handle.spawn(SpawnOptions(name="keep", instance_type="mem.small", tags={"team": "a"}))
    first = handle.spawn(SpawnOptions(name="first", instance_type="mem.small", tags={"team": "b"}))
    shown = [
        i.id for i in provider_core.sweep_candidates(handle, provider_core.ListFilter(tags={"team": "b"}))
    ]
    late = handle.spawn(SpawnOptions(name="late", instance_type="mem.small", tags={"team": "b"}))
    assert provider_core.sweep(handle, provider_core.ListFilter(tags={"team": "b"}), only=shown) == [first.id]
    alive = {i.id for i in handle.list_instances() if i.status not in provider_core.author.GONE_STATUSES}
    assert alive == {keep.id, late.id}


def test_capability_flags_must_be_booleans() -> None:
    with pytest.raises(ValueError, match=r"Capabilities\.snapshots must be bool, got 'false'"):
        provider_core.Capabilities(snapshots="false")  # type: ignore[arg-type]


def test_a_failed_startup_leaves_nothing_behind_and_the_next_call_retries() -> None:
    closed: list[MemoryProvider] = []

    class Closing(MemoryProvider):
        def close(self) -> None:
            closed.append(self)

    class FlakyStartup:
        def __init__(self) -> None:
            self.failures = 1

        @hookimpl
        def on_startup(self, provider: str) -> None:
            if self.failures:
                self.failures -= 1
                raise ProviderError(ErrorCode.UNAVAILABLE, "metrics backend down", provider=provider)

    reg = ProviderRegistry()
    reg.add(registration(provider=Closing))
    reg.plugin_manager.register(FlakyStartup())
    handle = reg.get("memory")
    with pytest.raises(ProviderError, match="metrics backend down"):
        handle.spawn(_options())
    assert not handle.built
    assert len(closed) == 1, "the half-started provider was closed"
    made = handle.spawn(_options())
    assert handle.get_instance(made.id) == made


def test_close_waits_for_calls_in_progress() -> None:
    import threading

    entered, release = threading.Event(), threading.Event()

    class Slow(MemoryProvider):
        def terminate(self, provider_id: str) -> None:
            entered.set()
            release.wait(10)
            super().terminate(provider_id)

    reg = ProviderRegistry()
    reg.add(registration(provider=Slow))
    handle = reg.get("memory")
    made = handle.spawn(_options())
    provider = handle.provider
    assert isinstance(provider, Slow)
    worker = threading.Thread(target=handle.terminate, args=(made.id,))
    worker.start()
    assert entered.wait(10)
    closer = threading.Thread(target=handle.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive(), "close() waits while another thread's call is in progress"
    release.set()
    worker.join(10)
    closer.join(10)
    assert provider.instances[made.id].status == "terminated", "the in-flight terminate really ran"
    assert not handle.built


def test_unhashable_hook_objects_are_rejected_at_registration() -> None:
    from dataclasses import dataclass

    @dataclass
    class Hooks:
        label: str = "x"

    with pytest.raises(ValueError, match="hook object Hooks is not hashable"):
        ProviderRegistry().add(registration(hooks=(Hooks(),)))


def test_direct_hook_calls_reach_only_the_named_provider() -> None:
    reg = _two_providers()
    alpha, beta = reg.get("alpha"), reg.get("beta")
    alpha.list_instances()
    beta.list_instances()
    made = reg.plugin_manager.hook.spawn(provider="alpha", options=_options())
    alpha_provider, beta_provider = alpha.provider, beta.provider
    assert isinstance(alpha_provider, MemoryProvider)
    assert isinstance(beta_provider, MemoryProvider)
    assert list(alpha_provider.instances) == [made.id]
    assert beta_provider.instances == {}, "beta was built last, yet the call named alpha"


def test_an_ungated_optional_call_raises_capability_not_supported_at_run_time() -> None:
    class Plain(MemoryProvider):
        capabilities = provider_core.Capabilities()
        create_snapshot = get_snapshot_status = delete_snapshot = None  # type: ignore[assignment]
        request_spot_instance = cancel_spot_request = get_spot_prices = None  # type: ignore[assignment]

    reg = ProviderRegistry()
    reg.add(registration(provider=Plain, capabilities=provider_core.Capabilities()))
    reg.get("memory").list_instances()
    with pytest.raises(provider_core.CapabilityNotSupported, match="capability 'snapshots' is not supported"):
        reg.plugin_manager.hook.create_snapshot(provider="memory", provider_id="mem-1", name="n")


def test_failing_heartbeat_and_tag_plugins_surface_as_provider_errors(
    handle: provider_core.ProviderHandle,
) -> None:
    class Broken:
        @hookimpl(tryfirst=True)
        def on_heartbeat(self, provider: str, task: object, handle: object) -> None:
            raise KeyError("x")

        @hookimpl
        def spawn_tags(self, provider: str, options: SpawnOptions) -> Mapping[str, str]:
            raise KeyError("cost-centre")

    handle.list_instances()
    handle._board.manager.register(Broken())
    with pytest.raises(ProviderError) as heartbeat:
        handle.health_check()
    with pytest.raises(ProviderError) as spawn:
        handle.spawn(_options())
    assert heartbeat.value.code is ErrorCode.INTERNAL
    assert isinstance(heartbeat.value.__cause__, KeyError)
    assert spawn.value.code is ErrorCode.INTERNAL


def test_unhashable_settings_find_their_handle_again(registry: ProviderRegistry) -> None:
    @frozen
    class ListSettings:
        regions: tuple[str, ...] = setting((), parse=parsers.names)

    registry.add(registration(name="listy", provider=lambda *_: MemoryProvider(), settings=ListSettings))
    assert registry.get("listy", regions=["a", "b"]) is registry.get("listy", regions=["a", "b"])
    assert registry.get("listy", regions=["a"]) is not registry.get("listy", regions=["a", "b"])
