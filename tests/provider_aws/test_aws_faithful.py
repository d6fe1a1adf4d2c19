"""EC2's documented behaviour on the double, and the provider agreeing with it: ClientToken semantics,
hibernation with spot, hibernating an instance not enabled for it, spot launched tagged at creation, and
no creation path that can leave an instance the core cannot see."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError

from provider_aws import AWSProvider
from provider_aws.testing import REGION, Ec2Control
from provider_core import (
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderRegistry,
    SpawnOptions,
    SpotRequestStatus,
    resource_candidates,
    sweep,
)
from provider_core.author import MANAGED_TAG

LIVE_STATES = ["pending", "running", "stopping", "stopped"]


def options(tags: dict[str, str], **fields: Any) -> SpawnOptions:
    return SpawnOptions(**{"name": "faithful", "instance_type": "t3.micro", "tags": tags, **fields})


def _aws(handle: ProviderHandle) -> AWSProvider:
    built = handle.provider
    assert isinstance(built, AWSProvider)
    return built


def _image(provider: AWSProvider) -> str:
    return provider.catalog.default_image(REGION, "x86_64")


def _ec2_code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


# -- ClientToken (issue 15 item 3, issue 13 item 9) ---------------------------------------------------


def test_a_token_retried_in_another_zone_is_the_same_instance(
    handle: ProviderHandle, test_tag: dict[str, str]
) -> None:
    first = handle.spawn(options(test_tag, idempotency_key="az-key", zone="us-east-1a"))
    again = handle.spawn(options(test_tag, idempotency_key="az-key", zone="us-east-1b"))
    assert again.id == first.id
    assert len(handle.list_instances(ListFilter(tags=test_tag))) == 1


def test_a_replayed_token_reports_the_current_state(handle: ProviderHandle, test_tag: dict[str, str]) -> None:
    first = handle.spawn(options(test_tag, idempotency_key="state-key"))
    assert first.status is InstanceStatus.PENDING
    again = handle.spawn(options(test_tag, idempotency_key="state-key"))
    assert (again.id, again.status) == (first.id, InstanceStatus.RUNNING)


def test_the_token_of_a_terminated_instance_is_refused_by_ec2(
    provider: AWSProvider, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    ec2: Any = provider.access.ec2(REGION)
    launch = {"ImageId": _image(provider), "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
    instance_id = ec2.run_instances(ClientToken="gone-key", **launch)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[instance_id])
    assert (
        _ec2_code(lambda: ec2.run_instances(ClientToken="gone-key", **launch))
        == "IdempotentInstanceTerminated"
    )
    found = ec2.describe_instances(Filters=[{"Name": "client-token", "Values": ["gone-key"]}])
    assert [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]] == [instance_id]


def test_a_key_stays_bound_to_its_terminated_instance(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    first = handle.spawn(options(test_tag, idempotency_key="bound-key"))
    handle.terminate(first.id)
    again = handle.spawn(options(test_tag, idempotency_key="bound-key"))
    assert (again.id, again.status) == (first.id, InstanceStatus.TERMINATED)
    alive = handle.list_instances(ListFilter(tags=test_tag, statuses=["pending", "running"]))
    assert alive == []


def test_spot_request_and_fleet_tokens_are_emulated(provider: AWSProvider, test_tag: dict[str, str]) -> None:
    ec2: Any = provider.access.ec2(REGION)
    spec = {"ImageId": _image(provider), "InstanceType": "t3.micro"}
    made = [
        ec2.request_spot_instances(ClientToken="sir-key", SpotPrice="0.05", LaunchSpecification=spec)
        for _ in range(2)
    ]
    ids = {m["SpotInstanceRequests"][0]["SpotInstanceRequestId"] for m in made}
    assert len(ids) == 1
    other = {**spec, "InstanceType": "t3.small"}
    mismatch = _ec2_code(
        lambda: ec2.request_spot_instances(ClientToken="sir-key", SpotPrice="0.05", LaunchSpecification=other)
    )
    assert mismatch == "IdempotentParameterMismatch"
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=list(ids))


def test_a_fleet_retried_with_the_same_key_and_other_zones_launches_nothing_new(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    opts = options(test_tag, idempotency_key="fleet-key")
    fleet = handle.workflows["spot_fleet"]
    first = fleet(opts, instance_types=["t3.micro"], count=2, zones=["us-east-1a"])
    launches = control.calls().count("RunInstances")
    again = fleet(opts, instance_types=["t3.micro"], count=2, zones=["us-east-1b"])
    assert [i.id for i in again.instances] == [i.id for i in first.instances]
    assert len(handle.list_instances(ListFilter(tags=test_tag))) == 2
    assert control.calls().count("RunInstances") == 2 * launches  # replayed, none refused or added
    for instance in first.instances:
        handle.terminate(instance.id)


# -- hibernation (issue 15 items 1 and 4) -------------------------------------------------------------


@pytest.fixture
def hibernating(settings: dict[str, Any]) -> Any:
    registry = ProviderRegistry()
    from provider_aws._registration import registration

    registry.add(registration)
    yield registry.get("aws", **settings, hibernation=True)
    registry.close()


def test_ec2_refuses_hibernation_with_a_spot_instance_terminated_on_interruption(
    provider: AWSProvider,
) -> None:
    ec2: Any = provider.access.ec2(REGION)
    launch: dict[str, Any] = {
        "ImageId": _image(provider),
        "InstanceType": "t3.micro",
        "MinCount": 1,
        "MaxCount": 1,
    }
    for behaviour in ("terminate", "hibernate"):  # hibernate needs a persistent request
        spot = {"SpotInstanceType": "one-time", "InstanceInterruptionBehavior": behaviour}
        market = {"MarketType": "spot", "SpotOptions": spot}
        code = _ec2_code(
            partial(
                ec2.run_instances,
                HibernationOptions={"Configured": True},
                InstanceMarketOptions=market,
                **launch,
            )
        )
        assert code == "InvalidParameterCombination"


def test_with_hibernation_spot_launches_work_and_are_not_hibernation_ready(
    hibernating: ProviderHandle, test_tag: dict[str, str]
) -> None:
    spot = hibernating.spawn(options(test_tag, spot=True))
    assert hibernating.spot is not None
    request = hibernating.spot.request(options(test_tag, name="req"), 0.05)
    on_demand = hibernating.spawn(options(test_tag, name="od"))
    aws = _aws(hibernating)
    states = {i: aws.get_instance(i) for i in (spot.id, request.instance_id or "", on_demand.id)}
    assert [s.hibernation_configured for s in states.values() if s] == [False, False, True]
    for instance_id in states:
        hibernating.terminate(instance_id)


def test_hibernate_refuses_an_instance_not_enabled_for_it_before_calling_ec2(
    hibernating: ProviderHandle, handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    plain = handle.spawn(options(test_tag))
    with pytest.raises(ProviderError) as caught:
        handle.workflows["hibernate"](plain.id)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "StopInstances" not in control.calls()
    ready = hibernating.spawn(options(test_tag, name="ready"))
    stopped = hibernating.workflows["hibernate"](ready.id)
    assert stopped.status in (InstanceStatus.STOPPING, InstanceStatus.STOPPED)
    for instance_id in (plain.id, ready.id):
        handle.terminate(instance_id)


# -- spot requests tagged at creation, no invisible leak (issue 13 item 3) ---------------------------


def test_a_spot_request_is_one_tagged_launch(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    assert handle.spot is not None
    request = handle.spot.request(options(test_tag), 0.05)
    calls = control.calls()
    assert "RequestSpotInstances" not in calls
    assert "CreateTags" not in calls
    assert request.status is SpotRequestStatus.ACTIVE
    assert request.instance_id is not None
    listed = handle.list_instances(ListFilter(tags=test_tag))
    assert [(i.id, i.spot) for i in listed] == [(request.instance_id, True)]
    handle.spot.cancel(request.id)  # cancels the request only
    assert handle.get_instance(request.instance_id) is not None
    assert "TerminateInstances" not in control.calls()
    handle.terminate(request.instance_id)


def _live_ids(provider: AWSProvider) -> set[str]:
    found = set()
    for region in provider.regions:
        reservations = provider.access.ec2(region).describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": LIVE_STATES}]
        )["Reservations"]
        found |= {i["InstanceId"] for r in reservations for i in r["Instances"]}
    return found


def _paths(handle: ProviderHandle, tags: dict[str, str], snapshot: str) -> dict[str, Callable[[], object]]:
    spot = handle.spot
    assert spot is not None
    return {
        "spawn": lambda: handle.spawn(options(tags, idempotency_key="p-spawn")),
        "spot request": lambda: spot.request(options(tags), 0.05),
        "fleet": lambda: handle.workflows["spot_fleet"](options(tags), instance_types=["t3.micro"], count=2),
        "warm volumes": lambda: handle.workflows["warm_volumes"](
            snapshot, zone="us-east-1a", size=1, tags=tags
        ).spawn(options(tags)),
    }


@pytest.mark.parametrize("path", ["spawn", "spot request", "fleet", "warm volumes"])
def test_failing_any_step_of_a_creation_path_leaves_nothing_the_core_cannot_see(
    path: str,
    registry: ProviderRegistry,
    settings: dict[str, Any],
    control: Ec2Control,
    test_tag: dict[str, str],
) -> None:
    # One region, so each check describes one: the paths all launch in the default region.
    handle = registry.get("aws", **{**settings, "regions": ()})
    aws = _aws(handle)
    seed = handle.spawn(options(test_tag, name="seed"))
    assert handle.snapshots is not None
    snapshot = handle.snapshots.create(seed.id, "seed").id
    handle.terminate(seed.id)
    before = _live_ids(aws)
    control.clear()
    _paths(handle, test_tag, snapshot)[path]()
    steps = control.calls()
    sweep(handle, ListFilter(tags=test_tag))
    for index, action in enumerate(steps):
        for lost in (False, True):
            control.clear()
            earlier = Counter(steps[:index])[action]
            control.inject(action, "InternalError", status=500, skip=earlier, lost=lost)
            with contextlib.suppress(ProviderError):
                _paths(handle, test_tag, snapshot)[path]()
            control.clear()
            for instance_id in _live_ids(aws) - before:
                found = handle.get_instance(instance_id)
                assert found is not None, (
                    f"{path}: {action} #{earlier} failing (lost={lost}) left {instance_id} unseen"
                )
            sweep(handle, ListFilter(tags=test_tag))
            assert _live_ids(aws) - before == set()
            assert resource_candidates(handle, ListFilter(tags=test_tag)) == []


# -- sweeping covers snapshots, open spot requests and warm volumes (issue 13 item 11) ---------------


def test_sweep_removes_snapshots_open_spot_requests_and_spare_warm_volumes(
    handle: ProviderHandle, test_tag: dict[str, str]
) -> None:
    aws = _aws(handle)
    ec2: Any = aws.access.ec2(REGION)
    instance = handle.spawn(options(test_tag))
    assert handle.snapshots is not None
    snapshot = handle.snapshots.create(instance.id, "kept")
    pool = handle.workflows["warm_volumes"](snapshot.id, zone="us-east-1a", size=2, tags=test_tag)
    tags = [{"Key": MANAGED_TAG, "Value": "true"}, *({"Key": k, "Value": v} for k, v in test_tag.items())]
    request = ec2.request_spot_instances(
        SpotPrice="0.05",
        LaunchSpecification={"ImageId": _image(aws), "InstanceType": "t3.micro"},
        TagSpecifications=[{"ResourceType": "spot-instances-request", "Tags": tags}],
    )["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    found = {(r.kind, r.id) for r in resource_candidates(handle, ListFilter(tags=test_tag))}
    open_request = ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[request])
    expected = {("snapshot", snapshot.id), *(("volume", v) for v in pool.available())}
    if open_request["SpotInstanceRequests"][0]["State"] == "open":
        expected.add(("spot-request", request))
    assert found == expected
    removed = sweep(handle, ListFilter(tags=test_tag))
    assert set(removed) == {instance.id} | {rid for _, rid in expected}
    assert resource_candidates(handle, ListFilter(tags=test_tag)) == []
    assert resource_candidates(handle, ListFilter(tags={"test-id": "someone-else"})) == []
