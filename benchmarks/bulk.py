"""Bulk spawn: N spawns through the handle, with bounded concurrency, against each HTTP emulator limited to
`rate` requests per second, against the floor N / rate; 429s answered after the first second counted."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import provider_core
from benchmarks._common import Figure, Size
from provider_core import ProviderError, SpawnOptions

GOAL = 1.15


@contextmanager
def lambda_api(rate: float) -> Iterator[tuple[dict[str, Any], Callable[[], int]]]:
    from provider_lambda.testing import LambdaEmulator, settings_for

    with LambdaEmulator() as emulator:
        emulator.enforce_limits(request_interval=1 / rate, launch_interval=1 / rate)
        # The provider is told the documented limits, as a user configures it.
        yield (
            settings_for(emulator, request_interval=1 / rate, launch_interval=1 / rate),
            lambda: emulator.throttled,
        )


@contextmanager
def runpod_api(rate: float) -> Iterator[tuple[dict[str, Any], Callable[[], int]]]:
    from provider_runpod.testing import Emulator

    with Emulator(boot_reads=0) as emulator:
        emulator.account.capacity["NVIDIA RTX A4000"] = 100_000
        # RunPod announces its limits in RateLimit headers: the provider learns them from the first answers.
        emulator.set_rate_limit(int(rate), 1.0)
        yield dict(emulator.settings), lambda: sum(e.status == 429 for e in emulator.exchanges)


APIS = {
    "lambda": (lambda_api, "gpu_1x_a10", "us-west-1"),
    "runpod": (runpod_api, "NVIDIA RTX A4000", None),
}


def bulk_spawn(name: str, size: Size) -> Figure:
    api, instance_type, region = APIS[name]
    with api(size.rate) as (settings, throttled):
        handle = provider_core.discover().get(name, **settings)
        # Built before the clock starts (imports, no request): "the first second" is the spawns' own, and
        # the first answers' 429s must not fall after it because a loaded machine imported httpx slowly.
        assert handle.provider is not None
        failures: list[str] = []
        early = [0]

        def spawn(n: int) -> None:
            try:
                handle.spawn(SpawnOptions(name=f"bulk-{n}", instance_type=instance_type, region=region))
            except ProviderError as exc:
                failures.append(str(exc.code))

        mark = threading.Timer(1.0, lambda: early.__setitem__(0, throttled()))
        started = time.perf_counter()
        mark.start()
        with ThreadPoolExecutor(max_workers=size.workers) as pool:
            list(pool.map(spawn, range(size.spawns)))
        elapsed = time.perf_counter() - started
        mark.cancel()
        late = throttled() - early[0] if elapsed > 1.0 else 0
        handle.close()
    floor = size.spawns / size.rate
    return Figure(
        f"bulk spawn: {size.spawns} spawns, {name} emulator at {size.rate:g} req/s, {size.workers} threads",
        GOAL,
        f"N / rate = {floor:.2f} s",
        elapsed / floor,
        f"{elapsed:.2f} s; 429s: {throttled()} in all, {late} after the first second; "
        f"{len(failures)} spawn(s) failed" + (f" ({', '.join(sorted(set(failures)))})" if failures else ""),
        "hatch run bench --only bulk",
        also_missed=f"{late} 429s after the first second" if late else "",
    )


def figures(size: Size) -> list[Figure]:
    return [bulk_spawn(name, size) for name in APIS]
