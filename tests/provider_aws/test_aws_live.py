"""Against a real AWS account: opt-in with PROVIDER_AWS_LIVE=1 (standard boto3 credentials and region).

Costs a few cents: one t3.micro (or PROVIDER_AWS_LIVE_TYPE) for a minute. Everything created carries a
per-run tag and is swept at the end, including after a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from provider_aws._registration import registration
from provider_core import InstanceStatus, ListFilter, ProviderHandle, ProviderRegistry, SpawnOptions

pytestmark = pytest.mark.skipif(
    os.environ.get("PROVIDER_AWS_LIVE") != "1", reason="live AWS test: set PROVIDER_AWS_LIVE=1 to run"
)
RUN_TAG = {"provider-core-live": uuid.uuid4().hex[:12]}


@pytest.fixture(scope="module")
def live() -> Iterator[ProviderHandle]:
    registry = ProviderRegistry()
    registry.add(registration)
    handle = registry.get("aws")
    try:
        yield handle
    finally:
        for instance in handle.list_instances(ListFilter(tags=RUN_TAG)):
            handle.terminate(instance.id)
        registry.close()


def test_spawn_list_get_terminate_on_real_ec2(live: ProviderHandle) -> None:
    instance_type = os.environ.get("PROVIDER_AWS_LIVE_TYPE", "t3.micro")
    options = SpawnOptions(
        name=f"provider-core-live-{RUN_TAG['provider-core-live']}",
        instance_type=instance_type,
        tags=RUN_TAG,
        idempotency_key=f"live-{RUN_TAG['provider-core-live']}",
    )
    first = live.spawn(options)
    assert live.spawn(options).id == first.id
    assert [i.id for i in live.list_instances(ListFilter(tags=RUN_TAG))] == [first.id]
    live.terminate(first.id)
    live.terminate(first.id)
    found = live.get_instance(first.id)
    assert found is not None
    assert found.status in (InstanceStatus.TERMINATING, InstanceStatus.TERMINATED)


def test_health_check_on_real_ec2(live: ProviderHandle) -> None:
    assert live.health_check().healthy
