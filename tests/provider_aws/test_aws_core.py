"""The core contract on moto: spawn parameters, idempotency, listing, lookups and terminate."""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber

from provider_aws import AWSInstance, AWSProvider
from provider_aws.testing import ALT_REGION, REGION, Ec2Control
from provider_core import (
    BootstrapConfig,
    DriftKind,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    NetworkConfig,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    SpawnOptions,
)
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG


def options(tags: dict[str, str], **fields: Any) -> SpawnOptions:
    return SpawnOptions(**{"name": "web-1", "instance_type": "t3.micro", "tags": tags, **fields})


def raw(provider: AWSProvider, instance_id: str, region: str = REGION) -> dict[str, Any]:
    found = provider.access.ec2(region).describe_instances(InstanceIds=[instance_id])
    return dict(found["Reservations"][0]["Instances"][0])


def test_spawn_tags_names_and_passes_the_bootstrap_as_user_data(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    script = handle.generate_bootstrap(BootstrapConfig("https://cp.example", "token-123"))
    instance = handle.spawn(options({**test_tag, "team": "ml"}, bootstrap=script, idempotency_key="key-1"))
    ec2 = raw(provider, instance.id)
    tags = {t["Key"]: t["Value"] for t in ec2["Tags"]}
    assert tags[MANAGED_TAG] == "true"
    assert tags[IDEMPOTENCY_TAG] == "key-1"
    assert tags["team"] == "ml"
    assert tags["Name"] == "web-1"
    assert ec2["ClientToken"] == "key-1"
    user_data = provider.access.ec2(REGION).describe_instance_attribute(
        InstanceId=instance.id, Attribute="userData"
    )["UserData"]["Value"]
    assert base64.b64decode(user_data).decode() == script.content
    assert script.content.startswith("#cloud-config")


def test_the_same_idempotency_key_returns_the_same_instance(
    handle: ProviderHandle, test_tag: dict[str, str]
) -> None:
    first = handle.spawn(options(test_tag, idempotency_key="same-key"))
    again = handle.spawn(options(test_tag, idempotency_key="same-key"))
    assert again.id == first.id
    assert [i.id for i in handle.list_instances(ListFilter(tags=test_tag))] == [first.id]


def test_reusing_a_key_with_other_parameters_is_invalid(
    handle: ProviderHandle, test_tag: dict[str, str]
) -> None:
    handle.spawn(options(test_tag, idempotency_key="reused-key"))
    with pytest.raises(ProviderError) as caught:
        handle.spawn(options(test_tag, idempotency_key="reused-key", instance_type="t3.small"))
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_spot_spawn_uses_instance_market_options(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    instance = handle.spawn(options(test_tag, spot=True, max_price_per_hour=0.02))
    assert instance.spot
    assert raw(provider, instance.id)["InstanceLifecycle"] == "spot"


def test_the_handle_gives_generic_instances_and_the_provider_enhanced_ones(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    spawned = handle.spawn(options(test_tag))
    assert type(spawned) is ProviderInstance
    assert all(type(i) is ProviderInstance for i in handle.list_instances(ListFilter(tags=test_tag)))
    assert type(handle.get_instance(spawned.id)) is ProviderInstance
    enhanced = provider.get_instance(spawned.id)
    assert isinstance(enhanced, AWSInstance)
    assert enhanced.availability_zone is not None
    assert enhanced.availability_zone.startswith(REGION)
    assert enhanced.subnet_id
    assert enhanced.vpc_id
    assert enhanced.launch_time is not None
    assert enhanced.lifecycle == "on-demand"
    assert enhanced.root_volume_id is not None
    assert enhanced.volumes[0].delete_on_termination


def test_unknown_instance_type_is_invalid_spec_and_launches_nothing(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    with pytest.raises(ProviderError) as caught:
        handle.spawn(options(test_tag, instance_type="zz.nonexistent"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "RunInstances" not in control.calls()


@pytest.mark.parametrize(
    "fields",
    [
        {"instance_type": "t3.micro", "gpu_count": 1},
        {"ssh_key_names": ("a", "b")},
        {"region": "mars-north-1"},
    ],
    ids=["gpu-on-a-cpu-type", "two-key-pairs", "unknown-region"],
)
def test_specs_ec2_cannot_honour_are_invalid(
    handle: ProviderHandle, test_tag: dict[str, str], fields: dict[str, Any]
) -> None:
    with pytest.raises(ProviderError) as caught:
        handle.spawn(options(test_tag, **fields))
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_gpu_and_custom_network_are_honoured(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    ec2 = provider.access.ec2(REGION)
    subnet = ec2.describe_subnets()["Subnets"][0]
    group = ec2.create_security_group(GroupName=f"sg-{test_tag['test-id']}", Description="t")["GroupId"]
    instance = handle.spawn(
        options(
            test_tag,
            instance_type="g5.xlarge",
            gpu_count=1,
            network=NetworkConfig(subnet_id=subnet["SubnetId"], security_group_ids=(group,)),
        )
    )
    ec2_instance = raw(provider, instance.id)
    assert ec2_instance["SubnetId"] == subnet["SubnetId"]
    interface = ec2_instance["NetworkInterfaces"][0]
    assert group in [g["GroupId"] for g in interface["Groups"]]


def test_list_uses_server_side_filters(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    seen: list[dict[str, Any]] = []
    provider.access.ec2(REGION).meta.events.register(
        "provide-client-params.ec2.DescribeInstances", lambda params, **_: seen.append(dict(params))
    )
    wanted = ListFilter(statuses=["running", "terminating"], tags=test_tag, name_prefix="web")
    provider.list_instances(
        ListFilter(region=REGION, statuses=wanted.statuses, tags=test_tag, name_prefix="web")
    )
    filters = {f["Name"]: f["Values"] for f in seen[0]["Filters"]}
    assert filters[f"tag:{MANAGED_TAG}"] == ["true"]
    assert filters["instance-state-name"] == ["running", "shutting-down"]
    assert filters["tag:test-id"] == [test_tag["test-id"]]
    assert filters["tag:Name"] == ["web*"]
    assert seen[0]["MaxResults"] == 1000
    assert "InstanceIds" not in seen[0]


def test_list_filters_match_and_unmanaged_instances_stay_invisible(
    handle: ProviderHandle, provider: AWSProvider, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    web = handle.spawn(options({**test_tag, "role": "web"}, name="web-a"))
    db = handle.spawn(options({**test_tag, "role": "db"}, name="db-a"))
    stray = provider.access.ec2(REGION).run_instances(
        ImageId=raw(provider, web.id)["ImageId"],
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "test-id", "Value": test_tag["test-id"]}]}
        ],
    )["Instances"][0]["InstanceId"]
    assert {i.id for i in handle.list_instances(ListFilter(tags=test_tag))} == {web.id, db.id}
    assert [i.id for i in handle.list_instances(ListFilter(tags={**test_tag, "role": "db"}))] == [db.id]
    assert [i.id for i in handle.list_instances(ListFilter(tags=test_tag, name_prefix="web"))] == [web.id]
    assert handle.list_instances(ListFilter(tags=test_tag, statuses=["stopped"])) == []
    assert handle.list_instances(ListFilter(tags=test_tag, statuses=["error"])) == []
    assert handle.get_instance(stray) is None
    # The provider reports what EC2 has; the core hides what provider-core does not manage.
    reported = provider.get_instance(stray)
    assert reported is not None
    assert not reported.managed
    # Unknown to provider-core, so terminating it through a handle succeeds and leaves it alone.
    handle.terminate(stray)
    assert "TerminateInstances" not in control.calls()
    assert raw(provider, stray)["State"]["Name"] in ("pending", "running")
    provider.access.ec2(REGION).terminate_instances(InstanceIds=[stray])


def test_list_reads_every_page(provider: AWSProvider) -> None:
    ec2 = provider.access.ec2(REGION)

    def page(instance_id: str) -> dict[str, Any]:
        return {
            "Instances": [
                {
                    "InstanceId": instance_id,
                    "State": {"Name": "running"},
                    "Tags": [{"Key": MANAGED_TAG, "Value": "true"}],
                }
            ]
        }

    with Stubber(ec2) as stub:
        stub.add_response("describe_instances", {"Reservations": [page("i-1")], "NextToken": "t2"})
        stub.add_response(
            "describe_instances",
            {"Reservations": [page("i-2")]},
            expected_params={
                "Filters": [{"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}],
                "MaxResults": 1000,
                "NextToken": "t2",
            },
        )
        listed = provider.list_instances(ListFilter(region=REGION))
        stub.assert_no_pending_responses()
    assert [i.id for i in listed] == ["i-1", "i-2"]


def test_list_spans_the_configured_regions_concurrently(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    east = handle.spawn(options(test_tag))
    west = handle.spawn(options(test_tag, region=ALT_REGION))
    threads: list[str] = []
    for region in (REGION, ALT_REGION):
        provider.access.ec2(region).meta.events.register(
            "provide-client-params.ec2.DescribeInstances",
            lambda **_: threads.append(threading.current_thread().name),
        )
    listed = {i.id: i.region for i in provider.list_instances(ListFilter(tags=test_tag))}
    assert listed == {east.id: REGION, west.id: ALT_REGION}
    assert all(name.startswith("provider-aws") for name in threads)
    assert len(threads) == 2
    only_west = handle.list_instances(ListFilter(tags=test_tag, region=ALT_REGION))
    assert [i.id for i in only_west] == [west.id]
    assert handle.get_instance(west.id) is not None


def test_terminate_is_idempotent(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    instance = handle.spawn(options(test_tag))
    handle.terminate(instance.id)
    handle.terminate(instance.id)
    handle.terminate("i-0123456789abcdef0")
    handle.terminate("not-an-instance-id")
    found = handle.get_instance(instance.id)
    assert found is not None
    assert found.status is InstanceStatus.TERMINATED
    other = handle.spawn(options(test_tag))
    control.inject("TerminateInstances", "InvalidInstanceID.NotFound")
    handle.terminate(other.id)  # gone between the lookup and the call: still success


def test_spawn_places_in_the_zone_asked_for(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    assert type(provider).placement_zones
    instance = handle.spawn(options(test_tag, zone="us-east-1c"))
    assert raw(provider, instance.id)["Placement"]["AvailabilityZone"] == "us-east-1c"


def test_terminate_just_deletes_what_the_core_asks_it_to(
    handle: ProviderHandle, provider: AWSProvider, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    instance = handle.spawn(options(test_tag))
    control.clear()
    handle.terminate(instance.id)
    # One lookup by the core, one TerminateInstances: the provider checks nothing again.
    assert control.calls() == ["DescribeInstances", "TerminateInstances"]


def test_get_instance_of_an_unknown_id_is_none(handle: ProviderHandle) -> None:
    assert handle.get_instance("i-0123456789abcdef0") is None


def test_clients_are_built_once_per_region_and_shared_across_threads(provider: AWSProvider) -> None:
    seen: list[object] = []
    workers = [
        threading.Thread(target=lambda: seen.append(provider.access.ec2(ALT_REGION))) for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len({id(client) for client in seen}) == 1
    assert provider.access.ec2(REGION) is provider.access.ec2(REGION)


def test_spot_interruption_is_reported_by_reconcile(
    handle: ProviderHandle, control: Ec2Control, test_tag: dict[str, str]
) -> None:
    spot = handle.spawn(options(test_tag, spot=True))
    steady = handle.spawn(options(test_tag))
    control.interrupt(spot.id)
    report = handle.reconcile({spot.id: InstanceStatus.RUNNING, steady.id: InstanceStatus.RUNNING})
    drift = {d.instance_id: d for d in report.drift}
    reclaimed = handle.get_instance(spot.id)
    assert reclaimed is not None
    assert reclaimed.spot_interrupted
    assert drift[spot.id].code is ErrorCode.SPOT_INTERRUPTED
    assert drift[spot.id].detail == "Server.SpotInstanceTermination"
    assert steady.id not in drift


def test_terminating_your_own_spot_instance_is_a_plain_status_change(
    handle: ProviderHandle, test_tag: dict[str, str]
) -> None:
    spot = handle.spawn(options(test_tag, spot=True))
    handle.terminate(spot.id)
    found = handle.get_instance(spot.id)
    assert found is not None
    assert found.spot
    assert not found.spot_interrupted
    report = handle.reconcile({spot.id: InstanceStatus.RUNNING})
    # Other tests' instances share moto and show up as unexpected; only this one's drift matters.
    drift = next(d for d in report.drift if d.instance_id == spot.id)
    assert (drift.kind, drift.actual) == (DriftKind.STATUS_CHANGED, InstanceStatus.TERMINATED)
    assert drift.code is None


def test_health_check_asks_every_region(handle: ProviderHandle, control: Ec2Control) -> None:
    report = handle.health_check()
    assert report.healthy
    assert REGION in report.message
    assert ALT_REGION in report.message
    control.inject("DescribeAvailabilityZones", "AuthFailure", times=None)
    failing = handle.health_check()
    assert not failing.healthy
    assert "AUTH_ERROR" in failing.message


def test_discovery_imports_no_sdk() -> None:
    code = (
        "import sys, provider_core\n"
        "r = provider_core.discover(refresh=True)\n"
        "assert r.registration('aws').capabilities.snapshots\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto', 'werkzeug')]\n"
        "assert not heavy, heavy\n"
        "deferred = ['provider_aws._provider', 'provider_aws._client', 'provider_aws.workflows._fleet',\n"
        "            'provider_aws.workflows._probe', 'provider_aws.workflows._warm']\n"
        "loaded = [m for m in deferred if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_image_and_disk_size(
    handle: ProviderHandle, provider: AWSProvider, test_tag: dict[str, str]
) -> None:
    instance = handle.spawn(options(test_tag, disk_gb=40))
    ec2 = raw(provider, instance.id)
    latest = provider.access.client(REGION, "ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )["Parameter"]["Value"]
    assert ec2["ImageId"] == latest
    root = next(m for m in ec2["BlockDeviceMappings"] if m["DeviceName"] == ec2["RootDeviceName"])
    volume = provider.access.ec2(REGION).describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"][0]
    assert volume["Size"] == 40


def test_string_settings_from_the_cli_are_parsed(
    make_provider: Callable[..., AWSProvider], settings: dict[str, Any], test_tag: dict[str, str]
) -> None:
    built = make_provider(
        **{**settings, "regions": "us-west-2, us-east-1", "hibernation": "false", "read_timeout": "9"}
    )
    assert built.regions == (REGION, ALT_REGION)
    assert built.settings.read_timeout == 9.0
    instance = built.spawn(options({**test_tag, MANAGED_TAG: "true"}))
    assert not raw(built, instance.id).get("HibernationOptions", {}).get("Configured", False)


def test_concurrent_spawns_with_one_key_make_one_instance(
    handle: ProviderHandle, test_tag: dict[str, str]
) -> None:
    results: list[str] = []

    def spawn_once() -> None:
        results.append(handle.spawn(options(test_tag, idempotency_key="race-key")).id)

    workers = [threading.Thread(target=spawn_once) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(results) == 4
    assert len(set(results)) == 1
    assert [i.id for i in handle.list_instances(ListFilter(tags=test_tag))] == results[:1]
