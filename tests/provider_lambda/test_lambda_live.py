"""Against the real Lambda Cloud API: opt-in, costs money, and sweeps everything it created.

Run with LAMBDA_API_KEY, LAMBDA_SSH_KEY_NAME and PROVIDER_LAMBDA_LIVE=1. Optional:
LAMBDA_LIVE_INSTANCE_TYPE (default gpu_1x_a10) and LAMBDA_REGION.
"""

from __future__ import annotations

import os
import time
import uuid
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
from provider_lambda import registration

pytestmark = pytest.mark.skipif(
    not (os.environ.get("LAMBDA_API_KEY") and os.environ.get("PROVIDER_LAMBDA_LIVE") == "1"),
    reason="live Lambda test: set LAMBDA_API_KEY and PROVIDER_LAMBDA_LIVE=1 (it launches a billed instance)",
)

RUN_TAG = "provider-lambda-live-run"


@pytest.fixture
def live() -> Iterator[tuple[ProviderHandle, str]]:
    # A handle, built from the environment: the core adds the tags idempotency and listing rely on.
    registry = ProviderRegistry()
    registry.add(registration)
    provider = registry.get("lambda")
    run = uuid.uuid4().hex[:12]
    try:
        yield provider, run
    finally:
        # Sweep: whatever this run created goes, even when the test failed half-way.
        for instance in provider.list_instances(ListFilter(tags={RUN_TAG: run})):
            provider.terminate(instance.id)
        registry.close()


def test_live_lifecycle(live: tuple[ProviderHandle, str]) -> None:
    provider, run = live
    instance_type = os.environ.get("LAMBDA_LIVE_INSTANCE_TYPE", "gpu_1x_a10")
    options = SpawnOptions(
        name=f"provider-lambda-live-{run}",
        instance_type=instance_type,
        tags={RUN_TAG: run},
        idempotency_key=f"live-{run}",
    )
    try:
        instance = provider.spawn(options)
    except ProviderError as exc:
        if exc.code is ErrorCode.CAPACITY_ERROR:
            pytest.skip(f"no capacity right now: {exc.message}")
        raise
    assert provider.spawn(options).id == instance.id
    found = provider.get_instance(instance.id)
    assert found is not None
    assert found.tags[RUN_TAG] == run
    assert [i.id for i in provider.list_instances(ListFilter(tags={RUN_TAG: run}))] == [instance.id]
    provider.terminate(instance.id)
    provider.terminate(instance.id)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        current = provider.get_instance(instance.id)
        if current is None or current.status in (InstanceStatus.TERMINATING, InstanceStatus.TERMINATED):
            break
        time.sleep(15)
    else:
        pytest.fail(f"{instance.id} was not terminating after 10 minutes")
