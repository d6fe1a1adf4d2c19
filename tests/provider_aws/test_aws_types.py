"""Enhanced types: materialized from EC2 data, projected back to exactly the generic types."""

from __future__ import annotations

from datetime import UTC, datetime

from provider_aws import AWSInstance, AWSSnapshot, AWSVolume
from provider_aws._types import instance_from_ec2, snapshot_from_ec2
from provider_core import InstanceStatus, ProviderInstance, ProviderSnapshot, SnapshotStatus
from provider_core.author import project

LAUNCHED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
EC2_INSTANCE = {
    "InstanceId": "i-0abc",
    "InstanceType": "m7g.large",
    "State": {"Code": 48, "Name": "terminated"},
    "StateReason": {"Code": "Server.SpotInstanceTermination", "Message": "reclaimed"},
    "InstanceLifecycle": "spot",
    "Placement": {"AvailabilityZone": "eu-west-1b"},
    "SubnetId": "subnet-1",
    "VpcId": "vpc-1",
    "ImageId": "ami-1",
    "RootDeviceName": "/dev/xvda",
    "BlockDeviceMappings": [
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeId": "vol-data", "DeleteOnTermination": False}},
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeId": "vol-root", "DeleteOnTermination": True}},
    ],
    "LaunchTime": LAUNCHED,
    "PrivateIpAddress": "10.0.0.5",
    "Tags": [{"Key": "Name", "Value": "gpu-7"}, {"Key": "provider-core:managed", "Value": "true"}],
}


def test_an_ec2_instance_materializes_with_every_aws_field() -> None:
    instance = instance_from_ec2(EC2_INSTANCE, "eu-west-1")
    assert isinstance(instance, AWSInstance)
    assert instance.status is InstanceStatus.TERMINATED
    assert (instance.name, instance.region, instance.spot) == ("gpu-7", "eu-west-1", True)
    assert instance.status_reason == "Server.SpotInstanceTermination"
    assert instance.state_reason_message == "reclaimed"
    assert (instance.availability_zone, instance.subnet_id, instance.vpc_id) == (
        "eu-west-1b",
        "subnet-1",
        "vpc-1",
    )
    assert instance.volumes == (
        AWSVolume("vol-data", "/dev/sdf", False),
        AWSVolume("vol-root", "/dev/xvda", True),
    )
    assert instance.root_volume_id == "vol-root"
    assert instance.launch_time == LAUNCHED
    assert instance.lifecycle == "spot"


def test_projection_drops_exactly_the_aws_fields() -> None:
    instance = instance_from_ec2(EC2_INSTANCE, "eu-west-1")
    generic = project(instance, ProviderInstance)
    assert type(generic) is ProviderInstance
    assert generic == ProviderInstance(
        id="i-0abc",
        status=InstanceStatus.TERMINATED,
        provider="aws",
        name="gpu-7",
        instance_type="m7g.large",
        region="eu-west-1",
        private_ip="10.0.0.5",
        created_at=LAUNCHED,
        tags={"Name": "gpu-7", "provider-core:managed": "true"},
        spot=True,
        status_reason="Server.SpotInstanceTermination",
        spot_interrupted=True,
    )


def test_only_the_spot_termination_reason_marks_an_interruption() -> None:
    assert instance_from_ec2(EC2_INSTANCE, "eu-west-1").spot_interrupted
    for reason in ({"Code": "Client.UserInitiatedShutdown"}, {"Code": "Server.InternalError"}, None):
        stopped = {**EC2_INSTANCE, "StateReason": reason}
        assert not instance_from_ec2(stopped, "eu-west-1").spot_interrupted


def test_unknown_states_are_unknown_not_errors() -> None:
    odd = {**EC2_INSTANCE, "State": {"Name": "rebooting-somehow"}, "BlockDeviceMappings": []}
    instance = instance_from_ec2(odd, "eu-west-1")
    assert instance.status is InstanceStatus.UNKNOWN
    assert instance.root_volume_id is None


def test_a_snapshot_materializes_and_projects() -> None:
    data = {
        "SnapshotId": "snap-1",
        "State": "pending",
        "VolumeId": "vol-root",
        "VolumeSize": 8,
        "Progress": "40%",
        "StartTime": LAUNCHED,
        "Tags": [
            {"Key": "Name", "Value": "nightly"},
            {"Key": "provider-core:source-instance", "Value": "i-0abc"},
        ],
    }
    snapshot = snapshot_from_ec2(data, "eu-west-1")
    assert isinstance(snapshot, AWSSnapshot)
    assert (snapshot.status, snapshot.progress, snapshot.region) == (
        SnapshotStatus.PENDING,
        "40%",
        "eu-west-1",
    )
    generic = project(snapshot, ProviderSnapshot)
    assert type(generic) is ProviderSnapshot
    assert (generic.name, generic.source_instance_id, generic.size_gb) == ("nightly", "i-0abc", 8)
