"""multi_az_probe: find an AZ with capacity and spawn there, leaving nothing behind in the others."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Literal

from attrs import evolve, field, frozen

from provider_aws.workflows._common import available_zones, member_key
from provider_core import ErrorCode, ProviderError, ProviderInstance, SpawnOptions

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider
    from provider_core.author import WorkflowContext

log = logging.getLogger("provider_aws")

# A zone that just refused capacity is tried last for this long, so the next probe starts where it worked.
REFUSED_FOR_S = 60.0
# The region's zone list hardly ever changes: read once per provider for this long.
ZONES_FOR_S = 600.0
Strategy = Literal["serial", "race"]


@frozen
class ProbeResult:
    instance: ProviderInstance
    zone: str
    # Every zone that was not chosen, with why: not offered, no capacity, or lost the race.
    losers: dict[str, str]
    probed: tuple[str, ...]
    # race: launches still in flight when the winner returned; each terminates its instance when it lands.
    racing: tuple[Future[None], ...] = field(default=(), eq=False, repr=False)

    def settle(self, timeout: float | None = None) -> None:
        """Wait until every losing launch of a race has ended and its instance was terminated."""
        wait(self.racing, timeout=timeout)


class _ZoneMemory:
    """Per provider: the region's zones, and the zones that refused capacity lately (with when)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.zones: dict[str, tuple[float, list[str]]] = {}
        self.refused: dict[tuple[str, str, str], float] = {}

    def region_zones(self, provider: AWSProvider, region: str) -> list[str]:
        with self.lock:
            found = self.zones.get(region)
            if found is not None and clock() - found[0] < ZONES_FOR_S:
                return found[1]
        zones = available_zones(provider, region)
        with self.lock:
            self.zones[region] = (clock(), zones)
        return zones

    def order(self, region: str, instance_type: str, zones: Sequence[str]) -> list[str]:
        """zones with those that refused lately moved to the back, the most recent refusal last."""
        now = clock()
        with self.lock:
            when = {z: self.refused.get((region, instance_type, z), -REFUSED_FOR_S) for z in zones}
        fresh = [z for z in zones if now - when[z] >= REFUSED_FOR_S]
        return fresh + sorted((z for z in zones if z not in fresh), key=when.__getitem__)

    def note(self, region: str, instance_type: str, zone: str, *, refused: bool) -> None:
        with self.lock:
            if refused:
                self.refused[(region, instance_type, zone)] = clock()
            else:
                self.refused.pop((region, instance_type, zone), None)


_MEMORY: weakref.WeakKeyDictionary[object, _ZoneMemory] = weakref.WeakKeyDictionary()
_MEMORY_LOCK = threading.Lock()
clock: Callable[[], float] = time.monotonic  # replaced in tests


def _memory(provider: AWSProvider) -> _ZoneMemory:
    with _MEMORY_LOCK:
        return _MEMORY.setdefault(provider, _ZoneMemory())


def multi_az_probe(
    ctx: WorkflowContext[AWSProvider],
    options: SpawnOptions,
    *,
    zones: Sequence[str] | None = None,
    strategy: Strategy = "serial",
    race_width: int | None = None,
) -> ProbeResult:
    """Spawn in an AZ with capacity; reports why the others lost.

    Only a launch can find capacity (a DryRun checks permissions and parameters, not capacity), so the
    probe launches through the handle (ctx.spawn). `serial` tries one zone at a time, zones that refused
    capacity lately last. `race` launches in `race_width` zones at once (None: all), keeps the first
    instance that lands and terminates every other one through ctx.terminate. CAPACITY_ERROR when no
    zone has room; any other failure of a launch raises at once.
    """
    provider = ctx.provider
    if strategy not in ("serial", "race") or (race_width is not None and race_width < 1):
        raise ProviderError(
            ErrorCode.INVALID_SPEC,
            f"strategy must be 'serial' or 'race' and race_width at least 1, "
            f"got {strategy!r}, {race_width!r}",
            provider=provider.name,
        )
    region = provider.access.check_region(options.region or provider.region)
    provider.catalog.instance_type(region, options.instance_type)
    memory = _memory(provider)
    candidates = list(zones) if zones else memory.region_zones(provider, region)
    offered = provider.catalog.offered_zones(region, options.instance_type)
    losers = {
        z: f"Unsupported: {options.instance_type} is not offered in {z}"
        for z in candidates
        if z not in offered
    }
    order = memory.order(region, options.instance_type, [z for z in candidates if z in offered])
    probe = _Probe(ctx, options, region, memory, losers)
    width = len(order) if race_width is None else race_width
    for start in range(0, len(order), width if strategy == "race" else 1):
        batch = order[start : start + width] if strategy == "race" else order[start : start + 1]
        won = probe.race(batch) if strategy == "race" else probe.one(batch[0])
        if won is not None:
            instance, zone, racing = won
            log.info("multi_az_probe: %s won in %s; %d zone(s) lost", instance.id, zone, len(losers))
            return ProbeResult(instance, zone, losers, tuple(candidates), racing)
    summary = "; ".join(f"{z}: {why}" for z, why in losers.items()) or "no zones"
    raise ProviderError(
        ErrorCode.CAPACITY_ERROR,
        f"no zone in {region} could take {options.instance_type}: {summary}",
        provider=provider.name,
    )


Won = tuple[ProviderInstance, str, tuple["Future[None]", ...]]


class _Probe:
    def __init__(
        self,
        ctx: WorkflowContext[AWSProvider],
        options: SpawnOptions,
        region: str,
        memory: _ZoneMemory,
        losers: dict[str, str],
    ) -> None:
        self.ctx, self.options, self.region, self.memory, self.losers = ctx, options, region, memory, losers

    def _launch(self, zone: str, options: SpawnOptions) -> ProviderInstance | None:
        """The instance, or None when the zone has no capacity (remembered); other failures raise."""
        try:
            instance = self.ctx.spawn(evolve(options, zone=zone))
        except ProviderError as exc:
            if exc.code is not ErrorCode.CAPACITY_ERROR:
                raise
            self.memory.note(self.region, options.instance_type, zone, refused=True)
            self.losers[zone] = f"{exc.code}: {exc.message}"
            return None
        self.memory.note(self.region, options.instance_type, zone, refused=False)
        return instance

    def one(self, zone: str) -> Won | None:
        instance = self._launch(zone, self.options)
        return None if instance is None else (instance, zone, ())

    def race(self, zones: Sequence[str]) -> Won | None:
        """Launch in every zone at once; the first instance to land wins, every other one is terminated."""
        lock = threading.Lock()
        decided = threading.Event()
        landed: list[tuple[ProviderInstance, str]] = []
        failures: list[Exception] = []
        running = set(zones)
        key = self.options.idempotency_key

        def racer(index: int, zone: str) -> None:
            # Per-zone keys: one key in two zones would be the same launch asked with other parameters.
            options = evolve(self.options, idempotency_key=member_key(key, index)) if key else self.options
            instance = None
            try:
                instance = self._launch(zone, options)
            except Exception as exc:  # re-raised by the caller's thread, never lost in the pool
                with lock:
                    failures.append(exc)
                    self.losers[zone] = (
                        f"{exc.code}: {exc.message}" if isinstance(exc, ProviderError) else type(exc).__name__
                    )
            finally:
                with lock:
                    running.discard(zone)
                    won = instance is not None and not landed
                    if won:
                        landed.append((instance, zone))  # type: ignore[arg-type]
                    elif instance is not None:
                        # A racer landing after the result was returned finds its zone named there already.
                        self.losers.setdefault(zone, f"lost the race: {instance.id} terminated")
                    if won or not running:
                        decided.set()
            if instance is not None and not won:
                self._drop(instance.id)

        pool = ThreadPoolExecutor(max_workers=len(zones), thread_name_prefix="multi-az-race")
        futures = tuple(pool.submit(racer, n, z) for n, z in enumerate(zones))
        # Racers still in flight finish in the pool's threads (joined at interpreter exit, never abandoned).
        pool.shutdown(wait=False)
        decided.wait()
        with lock:
            if landed:
                instance, zone = landed[0]
                for other in running:
                    self.losers[other] = "lost the race: terminated when its launch lands"
                return instance, zone, tuple(f for f in futures if not f.done())
        if failures:
            raise failures[0]
        return None

    def _drop(self, instance_id: str) -> None:
        """Terminate a race's losing instance; a failure is logged with the id, never swallowed quietly."""
        try:
            self.ctx.terminate(instance_id)
        except ProviderError:
            log.exception("multi_az_probe: could not terminate %s, which lost the race", instance_id)
            raise
