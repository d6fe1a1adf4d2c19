"""Waiting for asynchronous state: one bounded poller for callers, the CLI and the compliance suite."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from provider_core._errors import ErrorCode, ProviderError
from provider_core._handle import ProviderHandle
from provider_core._types import InstanceStatus, ProviderInstance

T = TypeVar("T")

# Statuses an instance does not leave on its own: waiting longer for anything else is pointless.
SETTLED = frozenset({InstanceStatus.STOPPED, InstanceStatus.TERMINATED, InstanceStatus.ERROR})


def poll(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    timeout: float,
    *,
    first_delay: float = 0.01,
    max_delay: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
) -> tuple[bool, T]:
    """Call fetch until done(value) or timeout seconds pass; return (done, last value).

    fetch runs at least once; the delay between calls doubles from first_delay up to max_delay and never
    runs past the deadline.
    """
    deadline = clock() + timeout
    delay = first_delay
    while True:
        value = fetch()
        if done(value):
            return True, value
        remaining = deadline - clock()
        if remaining <= 0:
            return False, value
        sleep(min(delay, remaining))
        delay = min(delay * 2, max_delay)


class WaitTimeout(ProviderError):
    """The instance did not reach the wanted status in time (UNAVAILABLE: waiting longer may help).

    `instance` is what the last poll saw (None when the provider no longer reports it).
    """

    def __init__(self, provider: str, instance_id: str, instance: ProviderInstance | None, timeout: float):
        self.instance_id = instance_id
        self.instance = instance
        self.timeout = timeout
        seen = instance.status.value if instance is not None else "gone"
        super().__init__(
            ErrorCode.UNAVAILABLE,
            f"instance {instance_id} is still {seen} after {timeout:g}s",
            provider=provider,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (WaitTimeout, (self.provider, self.instance_id, self.instance, self.timeout))


def _settled(instance: ProviderInstance | None, wanted: frozenset[InstanceStatus]) -> bool:
    if instance is None or instance.status in wanted or instance.status in SETTLED:
        return True
    # Terminating only ever ends terminated: settled unless that is what the caller waits for.
    return instance.status is InstanceStatus.TERMINATING and InstanceStatus.TERMINATED not in wanted


def wait_for(
    handle: ProviderHandle,
    instance_id: str,
    statuses: Collection[InstanceStatus | str] = (InstanceStatus.RUNNING,),
    timeout: float = 600.0,
    *,
    on_change: Callable[[ProviderInstance | None], None] | None = None,
    interval: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
) -> ProviderInstance | None:
    """Poll `handle.get_instance` until the instance is in one of `statuses`, or can no longer get there.

    Returns the last instance seen: in a wanted status, or settled elsewhere (stopped, terminated, error,
    terminating when terminated is not wanted), or None when the provider no longer reports it. Check
    `status` before using it. Raises `WaitTimeout` (an UNAVAILABLE `ProviderError`) when `timeout`
    seconds pass first, and any `ProviderError` of `get_instance`. `on_change` sees every change of
    status (and the first observation): a progress line, a log entry. Polls start fast and back off to
    `interval` seconds.
    """
    wanted = frozenset(InstanceStatus(s) for s in statuses)
    if not wanted:
        raise ValueError("wait_for needs at least one status to wait for")
    if timeout < 0:
        raise ValueError(f"wait_for timeout must be >= 0, got {timeout!r}")
    seen: list[InstanceStatus | None] = []

    def fetch() -> ProviderInstance | None:
        instance = handle.get_instance(instance_id)
        status = instance.status if instance is not None else None
        if on_change is not None and (not seen or seen[-1] != status):
            on_change(instance)
        seen.append(status)
        return instance

    settled, last = poll(
        fetch,
        lambda i: _settled(i, wanted),
        timeout,
        first_delay=min(0.25, interval),
        max_delay=interval,
        clock=clock,
        sleep=sleep,
    )
    if not settled:
        raise WaitTimeout(handle.name, instance_id, last, timeout)
    return last
