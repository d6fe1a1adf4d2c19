"""The AWS figures on the provider-aws double (moto behind its middleware): multi-AZ probe against one
launch, with a fixed latency added to every EC2 call, and the DescribeInstances calls a listing makes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import provider_core
from benchmarks._common import Figure, Size, interleaved, ms
from provider_aws import AWSProvider
from provider_aws.testing import REGION, Ec2Control, test_double
from provider_aws.workflows import _probe
from provider_aws.workflows._common import available_zones
from provider_core import ListFilter, ProviderHandle, SpawnOptions
from provider_core.author import MANAGED_TAG

PROBE_GOAL = 1.2
RACE_GOAL = 1.5
PAGE = 1000  # DescribeInstances' largest page
UNMANAGED_BATCH = 200


@contextmanager
def aws(**overrides: Any) -> Iterator[tuple[ProviderHandle, Ec2Control]]:
    with test_double() as settings:
        handle = provider_core.discover().get("aws", **{**settings, "regions": (REGION,), **overrides})
        control = Ec2Control(settings["endpoint_url"])
        control.clear()
        try:
            yield handle, control
        finally:
            handle.close()


def _ec2(handle: ProviderHandle) -> AWSProvider:
    provider = handle.provider
    assert isinstance(provider, AWSProvider)
    return provider


def with_latency(provider: AWSProvider, seconds: float) -> None:
    """Every EC2 call of this provider takes `seconds` longer, as a far region does."""
    access = provider.access
    call = access.call

    def slow(region: str, fn: Callable[[Any], Any]) -> Any:
        time.sleep(seconds)
        return call(region, fn)

    setattr(access, "call", slow)  # noqa: B010 (a method replaced on this one object)


def multi_az(size: Size) -> list[Figure]:
    with aws() as (handle, control):
        provider = _ec2(handle)
        zones = available_zones(provider, REGION)[: size.zones]
        for zone in zones[:-1]:
            control.no_capacity(zone)
        with_latency(provider, size.latency)
        options = SpawnOptions(name="probe", instance_type="t3.micro")
        probe = handle.workflows["multi_az_probe"]
        made: list[str] = []

        def one_call() -> None:
            made.append(handle.spawn(SpawnOptions(name="one", instance_type="t3.micro", zone=zones[-1])).id)

        def first_probe() -> None:
            _probe._MEMORY.clear()  # a probe with nothing remembered
            made.append(probe(options, zones=zones).instance.id)

        def repeated_probe() -> None:
            made.append(probe(options, zones=zones).instance.id)

        def race() -> None:
            result = probe(options, zones=zones, strategy="race")
            made.append(result.instance.id)
            racing.append(result)

        racing: list[Any] = []
        best = interleaved(
            {"one": one_call, "first": first_probe, "repeated": repeated_probe, "race": race}, size.rounds
        )
        for result in racing:
            result.settle()
        for instance_id in made:
            handle.terminate(instance_id)
    floor = f"one `spawn` in the zone with room ({ms(best['one'])})"
    setting = (
        f"{size.zones} zones x {size.latency * 1e3:.0f} ms per EC2 call, {size.zones - 1} without capacity"
    )
    command = command_for("aws")
    return [
        Figure(
            f"multi_az_probe, default strategy, first probe: {setting}",
            None,
            floor,
            best["first"] / best["one"],
            f"{ms(best['first'])}: one launch per zone until the last",
            command,
        ),
        Figure(
            f"multi_az_probe, default strategy, repeated probe: {setting}",
            PROBE_GOAL,
            floor,
            best["repeated"] / best["one"],
            f"{ms(best['repeated'])}: the zones that just refused are tried last",
            command,
        ),
        Figure(
            f"multi_az_probe, strategy='race': {setting}",
            RACE_GOAL,
            floor,
            best["race"] / best["one"],
            f"{ms(best['race'])}: every zone at once, the losers terminated",
            command,
        ),
    ]


def listing(size: Size) -> Figure:
    """moto pages DescribeInstances by reservation, so each managed instance is its own reservation (as
    separate spawns leave them) and a page of 1000 holds 1000 of them; the unmanaged ones share a few."""
    count = size.aws_instances
    # moto answers a filtered DescribeInstances over thousands of instances slowly on a loaded machine.
    with aws(read_timeout=600.0) as (handle, control):
        provider = _ec2(handle)
        image = provider.catalog.default_image(REGION, "x86_64")

        def launch(tags: dict[str, str], instances: int) -> None:
            # Straight to EC2: the figure is about listing them, not launching them.
            params: dict[str, Any] = {
                "ImageId": image,
                "InstanceType": "t3.micro",
                "MinCount": instances,
                "MaxCount": instances,
                "TagSpecifications": [
                    {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                ],
            }
            provider.access.call(REGION, lambda c: c.run_instances(**params))

        managed = {MANAGED_TAG: "true", "bench": "aws-listing"}
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: launch(managed, 1), range(count)))
        for start in range(0, count, UNMANAGED_BATCH):
            launch({"bench": "aws-listing"}, min(UNMANAGED_BATCH, count - start))
        control.clear()
        listed = handle.list_instances(ListFilter(tags={"bench": "aws-listing"}))
        calls = control.calls().count("DescribeInstances")
    floor = math.ceil(count / PAGE)
    return Figure(
        f"AWS: DescribeInstances calls to list {count:,} managed among {count:,} unmanaged",
        1.0,
        f"{floor} page(s) of {PAGE}",
        calls / floor,
        f"{calls} call(s) for {len(listed):,} instances",
        command_for("aws"),
    )


def command_for(name: str) -> str:
    return f"hatch run bench --only {name}"


def figures(size: Size) -> list[Figure]:
    return [*multi_az(size), listing(size)]
