"""The public helpers: sweep, requires, eventually and unknown_id."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from provider_core import (
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderRegistry,
    SpawnOptions,
)
from provider_core.testing import SweepError, eventually, requires, sweep, unknown_id
from provider_core.testing._session import ProviderSession
from provider_core.testing.memory import MemoryProvider, registration
from tests.compliance import providers
from tests.fake_clock import FakeClock


def _handle(reg_factory: object = registration) -> Iterator[ProviderHandle]:
    registry = ProviderRegistry()
    registry.add(reg_factory())  # type: ignore[operator]
    yield registry.get(registry.names()[0])
    registry.close()


@pytest.fixture
def handle() -> Iterator[ProviderHandle]:
    yield from _handle()


def _spawn(handle: ProviderHandle, name: str, **tags: str) -> str:
    return handle.spawn(SpawnOptions(name=name, instance_type="mem.small", tags=tags)).id


def _status(handle: ProviderHandle, provider_id: str) -> InstanceStatus | None:
    found = handle.get_instance(provider_id)
    return None if found is None else found.status


def test_sweep_terminates_only_matching_managed_instances(handle: ProviderHandle) -> None:
    doomed = [_spawn(handle, "cc-old-1", team="a"), _spawn(handle, "cc-old-2", team="a")]
    kept = _spawn(handle, "cc-old-3", team="b")
    assert sorted(sweep(handle, ListFilter(tags={"team": "a"}))) == sorted(doomed)
    assert [_status(handle, i) for i in doomed] == [InstanceStatus.TERMINATED] * 2
    assert _status(handle, kept) == InstanceStatus.RUNNING
    assert sweep(handle, ListFilter(tags={"team": "a"})) == []


def test_sweep_never_trusts_a_provider_that_ignores_the_filter() -> None:
    for handle in _handle(providers.list_ignores_tags):
        doomed, kept = _spawn(handle, "cc-x-1", team="a"), _spawn(handle, "cc-x-2", team="b")
        assert sweep(handle, ListFilter(tags={"team": "a"})) == [doomed]
        assert _status(handle, kept) == InstanceStatus.RUNNING


def test_sweep_leaves_unmanaged_instances_alone(handle: ProviderHandle) -> None:
    provider = handle.provider
    assert isinstance(provider, MemoryProvider)
    foreign = provider.spawn(SpawnOptions(name="cc-foreign", instance_type="mem.small"))  # no management tag
    assert sweep(handle) == []
    assert provider.instances[foreign.id].status == InstanceStatus.RUNNING


class FailsOnce(MemoryProvider):
    name = "memory"

    def terminate(self, provider_id: str) -> None:
        if self.instances[provider_id].name == "cc-stuck":
            raise self._error(ErrorCode.CAPACITY_ERROR, "busy")
        super().terminate(provider_id)


def test_sweep_reports_what_it_could_not_terminate() -> None:
    for handle in _handle(lambda: registration(provider=FailsOnce)):
        stuck, fine = _spawn(handle, "cc-stuck"), _spawn(handle, "cc-fine")
        with pytest.raises(SweepError) as caught:
            sweep(handle, ListFilter(name_prefix="cc-"))
        assert caught.value.terminated == [fine]
        assert list(caught.value.failures) == [stuck]
        assert caught.value.code == ErrorCode.CAPACITY_ERROR
        assert isinstance(caught.value, ProviderError)


def test_requires_rejects_unknown_flags() -> None:
    with pytest.raises(ValueError, match="snaphots"):
        requires("snaphots")
    with pytest.raises(ValueError, match="none given"):
        requires()
    assert requires("spot", "gpu").args == ("spot", "gpu")


def test_eventually_returns_the_last_value_when_it_gives_up() -> None:
    calls = iter(range(1, 100))
    assert eventually(lambda: next(calls), lambda n: n >= 3, timeout=60) == (True, 3)
    assert next(calls) == 4, "eventually kept calling after done"
    assert eventually(lambda: "pending", lambda s: s == "running", timeout=0) == (False, "pending")


@pytest.mark.parametrize(
    ("sample", "shape"),
    [
        ("i-0123456789abcdef0", r"i-[0-9a-f]{17}"),
        ("mem-7", r"mem-[0-9]"),
        ("Ab3xYz9Q", r"[A-Z][a-z][0-9][a-z][A-Z][a-z][0-9][A-Z]"),
    ],
)
def test_unknown_id_keeps_the_shape_and_avoids_known_ids(sample: str, shape: str) -> None:
    taken = {sample}
    for _ in range(5):
        candidate = unknown_id(sample, taken)
        assert re.fullmatch(shape, candidate), candidate
        assert candidate not in taken
        taken.add(candidate)


def test_after_one_wait_runs_out_a_provider_waits_no_more(handle: ProviderHandle) -> None:
    """A provider that never settles costs one timeout in total, however many tests wait on it."""
    clock = FakeClock()
    session = ProviderSession(handle, "run", timeout=30.0, clock=clock, sleep=clock.sleep)
    looks: list[int] = []

    def never() -> str:
        looks.append(1)
        return "terminating"

    for n in range(5):
        assert session.wait(never, lambda s: s == "terminated", f"wait {n}") == (False, "terminating")
    assert sum(clock.sleeps) == pytest.approx(30.0)  # only the first wait slept, up to its deadline
    assert len(looks) == len(clock.sleeps) + 1 + 4  # the first wait's polls, then one look for each other
    assert session.timed_out == "wait 0"
    assert "at one look" in session.waited()
    assert session.wait(lambda: "terminated", lambda s: s == "terminated") == (True, "terminated")
