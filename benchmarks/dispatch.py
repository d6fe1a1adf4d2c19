"""Dispatch: the microseconds a handle adds over calling the same provider object directly.

The shipped memory provider in the registry discover() returns, with one pass-through downstream wrapper
registered, as a control plane runs it; retries and the journal are off for the goal's figures, and the
cost of the default retry policy (on: a call that succeeds at once still passes the retry loop) is
recorded apart.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import provider_core
from benchmarks._common import Figure, Size, interleaved
from provider_core import ProviderInstance, RetryPolicy, SpawnOptions
from provider_core.author import MANAGED_TAG
from provider_core.hooks import hookimpl
from provider_core.testing.memory import registration

GOAL_US = 5.0


class PassThrough:
    """A downstream wrapper that does nothing but be there."""

    @hookimpl(wrapper=True)
    def get_instance(self, provider: str, provider_id: str) -> Generator[None, Any, Any]:
        return (yield)

    @hookimpl(wrapper=True)
    def spawn(self, provider: str, options: SpawnOptions) -> Generator[None, Any, Any]:
        return (yield)


def _per_call(call: Callable[[], object], calls: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(calls):
            call()

    return run


def _with_policy(handle: Any, policy: RetryPolicy, call: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        handle.retry_policy = policy
        try:
            return call()
        finally:
            handle.retry_policy = None

    return run


def figures(size: Size) -> list[Figure]:
    registry = provider_core.discover()
    if "memory" not in registry.names():
        registry.add(registration(), source="benchmarks")
    wrapper = PassThrough()
    registry.plugin_manager.register(wrapper, name="benchmarks.pass-through")
    handle = registry.get("memory")
    default_policy = handle.retry_policy
    handle.retry_policy = None
    try:
        direct = handle.provider
        options = SpawnOptions(name="bench", instance_type="mem.small")
        made: ProviderInstance = handle.spawn(options)
        retried = _with_policy(handle, default_policy or RetryPolicy(), lambda: handle.get_instance(made.id))
        # What the provider receives through the handle: the options with the core's tag added.
        spawn_options = SpawnOptions(name="bench", instance_type="mem.small", tags={MANAGED_TAG: "true"})
        best = interleaved(
            {
                "handle get": _per_call(lambda: handle.get_instance(made.id), size.calls),
                "direct get": _per_call(lambda: direct.get_instance(made.id), size.calls),
                "handle spawn": _per_call(lambda: handle.spawn(options), size.calls // 4),
                "direct spawn": _per_call(lambda: direct.spawn(spawn_options), size.calls // 4),
                "handle get, retries on": _per_call(retried, size.calls),
            },
            size.rounds,
        )
    finally:
        registry.plugin_manager.unregister(wrapper)
        handle.close()
    get_added = (best["handle get"] - best["direct get"]) / size.calls * 1e6
    spawn_added = (best["handle spawn"] - best["direct spawn"]) / (size.calls // 4) * 1e6
    direct_get = best["direct get"] / size.calls * 1e6
    retried_added = (best["handle get, retries on"] - best["direct get"]) / size.calls * 1e6
    direct_spawn = best["direct spawn"] / (size.calls // 4) * 1e6
    command = "hatch run bench --only dispatch"
    return [
        Figure(
            "dispatch: µs a handle adds to `get_instance` (memory provider, one pass-through wrapper)",
            GOAL_US,
            f"direct call on the same provider object ({direct_get:.1f} µs)",
            get_added,
            f"+{get_added:.1f} µs over {direct_get:.1f} µs, best of {size.rounds} x {size.calls} calls",
            command,
            unit="µs",
        ),
        Figure(
            "dispatch: µs a handle adds to `spawn` (same setting)",
            2 * GOAL_US,
            f"direct call on the same provider object ({direct_spawn:.1f} µs)",
            spawn_added,
            f"+{spawn_added:.1f} µs over {direct_spawn:.1f} µs, "
            f"best of {size.rounds} x {size.calls // 4} calls",
            command,
            unit="µs",
        ),
        Figure(
            "dispatch: µs a handle adds to `get_instance` with the default retry policy on",
            None,
            f"direct call on the same provider object ({direct_get:.1f} µs)",
            retried_added,
            f"+{retried_added:.1f} µs over {direct_get:.1f} µs (the goal's figure is with retries off)",
            command,
            unit="µs",
        ),
    ]
