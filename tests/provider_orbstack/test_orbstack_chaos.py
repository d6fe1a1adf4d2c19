"""Chaos faults and constraints: each surfaces as the right ProviderError; retries recover retryable ones."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from provider_core import (
    TAXONOMY,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderRegistry,
    RetryPolicy,
    SpawnOptions,
    call_with_timeout,
    retry,
)
from provider_core.testing.memory import registration as memory_registration
from provider_orbstack.chaos import (
    ChaosConfig,
    Constraints,
    Fault,
    ProviderChaos,
    enable_chaos,
)

SMALL = SpawnOptions(name="web", instance_type="small")


def chaos(*faults: Fault, **kw: object) -> ProviderChaos:
    return ProviderChaos(faults=faults, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_taxonomy_code_surfaces_as_itself(
    registry: ProviderRegistry, handle: ProviderHandle, code: ErrorCode
) -> None:
    with (
        enable_chaos(
            registry, chaos(Fault("spawn", code=code, retry_after=0.5)), provider="orbstack"
        ) as plugin,
        pytest.raises(ProviderError) as caught,
    ):
        handle.spawn(SMALL)
    assert caught.value.code is code
    assert caught.value.provider == "orbstack"
    assert caught.value.retryable is TAXONOMY[code].retryable
    assert caught.value.retry_after == 0.5
    assert [(e.kind, e.method, e.code) for e in plugin.events()] == [("fault", "spawn", code)]
    assert handle.list_instances() == []  # the call never reached the provider


def test_retry_helper_recovers_retryable_faults(registry: ProviderRegistry, handle: ProviderHandle) -> None:
    faults = chaos(
        Fault("spawn", code=ErrorCode.RATE_LIMIT_ERROR, retry_after=0.05, times=2),
        Fault("spawn", code=ErrorCode.CAPACITY_ERROR, times=1),
    )
    slept: list[float] = []
    with enable_chaos(registry, faults, provider="orbstack") as plugin:
        instance = retry(
            lambda: handle.spawn(SMALL), RetryPolicy(max_attempts=5, base_delay=0.01), sleep=slept.append
        )
    assert instance.id
    assert len(slept) == 3
    assert all(d >= 0.05 for d in slept[:2])  # retry_after is a floor on the backoff
    assert [e.code for e in plugin.events()] == [ErrorCode.RATE_LIMIT_ERROR] * 2 + [ErrorCode.CAPACITY_ERROR]


def test_retry_helper_gives_up_at_once_on_non_retryable(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    slept: list[float] = []
    with (
        enable_chaos(registry, chaos(Fault("spawn", code=ErrorCode.AUTH_ERROR)), provider="orbstack"),
        pytest.raises(ProviderError) as caught,
    ):
        retry(lambda: handle.spawn(SMALL), RetryPolicy(), sleep=slept.append)
    assert caught.value.code is ErrorCode.AUTH_ERROR
    assert slept == []


def test_times_limits_injections_then_passes_through(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    with enable_chaos(registry, chaos(Fault("*", code=ErrorCode.UNAVAILABLE, times=1)), provider="orbstack"):
        with pytest.raises(ProviderError):
            handle.list_instances()
        assert handle.spawn(SMALL).id
        assert len(handle.list_instances()) == 1


def test_latency_only_fault_delays_and_passes_through(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    with enable_chaos(
        registry, chaos(Fault("spawn", latency_s=0.01, jitter_s=0.01)), provider="orbstack"
    ) as plugin:
        assert handle.spawn(SMALL).id
        with pytest.raises(ProviderError) as caught:  # the provider's own errors pass through the wrapper
            handle.spawn(SpawnOptions(name="x", instance_type="huge"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert [e.kind for e in plugin.events()] == ["latency", "latency"]


def test_chaos_wraps_another_provider(registry: ProviderRegistry, handle: ProviderHandle) -> None:
    registry.add(memory_registration())
    memory = registry.get("memory")
    config = ChaosConfig(
        seed=1, providers={"memory": chaos(Fault("spawn", code=ErrorCode.CAPACITY_ERROR, times=1))}
    )
    with enable_chaos(registry, config):
        with pytest.raises(ProviderError) as caught:
            memory.spawn(SpawnOptions(name="m", instance_type="mem.small"))
        assert caught.value.provider == "memory"
        assert caught.value.code is ErrorCode.CAPACITY_ERROR
        assert memory.spawn(SpawnOptions(name="m", instance_type="mem.small")).id
        assert handle.spawn(SMALL).id  # orbstack is not in this config: untouched


def test_same_seed_same_faults_other_seed_other_faults(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    def pattern(seed: int) -> list[bool]:
        config = ChaosConfig(
            seed=seed, providers={"orbstack": chaos(Fault("get_spot_prices", 0.5, "UNAVAILABLE"))}
        )
        outcomes = []
        with enable_chaos(registry, config):
            assert handle.spot is not None
            for _ in range(40):
                try:
                    handle.spot.prices("small")
                    outcomes.append(False)
                except ProviderError:
                    outcomes.append(True)
        return outcomes

    first = pattern(7)
    assert first == pattern(7)
    assert 0 < sum(first) < 40
    assert first != pattern(8)


def test_hang_is_cut_by_call_with_timeout_and_released(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    handle.list_instances()  # build the provider outside the timed call
    with enable_chaos(registry, chaos(Fault("list_instances", hang_s=60)), provider="orbstack"):
        with pytest.raises(ProviderError) as caught:
            call_with_timeout(handle.list_instances, 0.2, provider="orbstack")
        assert caught.value.code is ErrorCode.UNAVAILABLE
        assert "timed out" in caught.value.message
        stuck = [t for t in threading.enumerate() if t.name == "provider-call-orbstack"]
        assert stuck  # the abandoned call is still hanging inside chaos
    for thread in stuck:  # leaving the block released the hang
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_hang_without_timeout_ends_as_unavailable(registry: ProviderRegistry, handle: ProviderHandle) -> None:
    with (
        enable_chaos(registry, chaos(Fault("get_instance", hang_s=0.01)), provider="orbstack"),
        pytest.raises(ProviderError) as caught,
    ):
        handle.get_instance("orb-x")
    assert caught.value.code is ErrorCode.UNAVAILABLE


def test_partial_failure_leaks_a_machine_the_caller_can_find_and_clean(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    fault = Fault("spawn", code=ErrorCode.UNAVAILABLE, partial=True, times=1)
    with enable_chaos(registry, chaos(fault), provider="orbstack") as plugin:
        with pytest.raises(ProviderError) as caught:
            handle.spawn(SpawnOptions(name="leaky", instance_type="small", tags={"job": "42"}))
        assert caught.value.retryable
        leaked = handle.list_instances(ListFilter(tags={"job": "42"}))
        assert len(leaked) == 1
        assert leaked[0].id in caught.value.message
        for instance in leaked:
            handle.terminate(instance.id)
    assert [e.kind for e in plugin.events()] == ["partial"]
    assert (
        handle.list_instances(
            ListFilter(
                tags={"job": "42"}, statuses=frozenset({InstanceStatus.PENDING, InstanceStatus.RUNNING})
            )
        )
        == []
    )


def test_partial_failure_with_idempotency_key_retries_to_the_same_machine(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    fault = Fault("spawn", code=ErrorCode.UNAVAILABLE, partial=True, times=1)
    options = SpawnOptions(name="safe", instance_type="small", idempotency_key="job-7")
    with enable_chaos(registry, chaos(fault), provider="orbstack"):
        instance = retry(lambda: handle.spawn(options), RetryPolicy(base_delay=0.01), sleep=lambda _: None)
    assert [i.id for i in handle.list_instances()] == [instance.id]


def test_constraints_raise_quota_and_capacity(registry: ProviderRegistry, handle: ProviderHandle) -> None:
    limits = Constraints(max_instances=2, max_vcpus=5, max_gpus=0, exhausted_regions=["local-2"])

    def code_of(options: SpawnOptions) -> ErrorCode:
        with pytest.raises(ProviderError) as caught:
            handle.spawn(options)
        return caught.value.code

    with enable_chaos(registry, ProviderChaos(constraints=limits), provider="orbstack") as plugin:
        assert (
            code_of(SpawnOptions(name="x", instance_type="small", region="local-2"))
            is ErrorCode.CAPACITY_ERROR
        )
        assert code_of(SpawnOptions(name="g", instance_type="gpu.small")) is ErrorCode.QUOTA_EXCEEDED
        big = handle.spawn(SpawnOptions(name="big", instance_type="large"))
        assert code_of(SpawnOptions(name="m", instance_type="medium")) is ErrorCode.QUOTA_EXCEEDED  # 6 vCPUs
        handle.spawn(SMALL)
        assert code_of(SMALL) is ErrorCode.QUOTA_EXCEEDED  # 3 instances
        handle.terminate(big.id)
        assert handle.spawn(SMALL).id
    assert [e.detail for e in plugin.events() if e.kind == "constraint"] == [
        "region local-2",
        "GPUs",
        "vCPUs",
        "instances",
    ]


def test_exhausted_everywhere_also_blocks_spot_requests(
    registry: ProviderRegistry, handle: ProviderHandle
) -> None:
    assert handle.spot is not None
    with (
        enable_chaos(
            registry, ProviderChaos(constraints=Constraints(exhausted_regions=["*"])), provider="orbstack"
        ),
        pytest.raises(ProviderError) as caught,
    ):
        handle.spot.request(SMALL, 1.0)
    assert caught.value.code is ErrorCode.CAPACITY_ERROR


def test_config_validation() -> None:
    bad: list[dict[str, Any]] = [
        {"seed": 1, "providers": {"x": {"faults": [{"method": "spwan"}]}}},
        {"providers": {"x": {"faults": [{"method": "spawn", "probability": 2}]}}},
        {"providers": {"x": {"faults": [{"method": "spawn", "code": "OOPS"}]}}},
        {"providers": {"x": {"drift": {"status": {"running": 1}}}}},
        {"providers": {"x": {"constraints": {"max_cpus": 1}}}},
        {"providers": {"x": {"fault": []}}},
        {"sed": 1},
        {"providers": {"x": {"drift": {"status": ["error"]}}}},
        {"providers": {"x": {"constraints": {"sizes": {"big": 4}}}}},
        {"providers": {"x": {"constraints": {"sizes": [["big", 4]]}}}},
    ]
    for data in bad:
        with pytest.raises(ValueError):  # noqa: PT011
            ChaosConfig.from_dict(data)
    for regions in ("local", ["local", 2], 3):
        with pytest.raises(ValueError, match="exhausted_regions"):
            ChaosConfig.from_dict({"providers": {"x": {"constraints": {"exhausted_regions": regions}}}})
    with pytest.raises(ValueError, match="exhausted_regions"):
        Constraints(exhausted_regions="local")
    parsed = ChaosConfig.from_dict({"providers": {"x": {"constraints": {"exhausted_regions": ["local"]}}}})
    assert parsed.providers["x"].constraints.exhausted_regions == {"local"}
    with pytest.raises(ValueError, match="provider="), enable_chaos(ProviderRegistry(), ProviderChaos()):
        pass
