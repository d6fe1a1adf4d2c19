"""Opt-in checks against the real RunPod API: RUNPOD_API_KEY and PROVIDER_RUNPOD_LIVE=1.

Creates one small on-demand pod (RUNPOD_LIVE_GPU, default NVIDIA RTX A4000) tagged with a run id,
and sweeps every pod carrying that run id afterwards, whatever happened.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

import provider_core
from provider_core import ErrorCode, ListFilter, ProviderError, ProviderHandle, SpawnOptions
from provider_core.author import MANAGED_TAG

pytestmark = pytest.mark.skipif(
    not (os.environ.get("RUNPOD_API_KEY") and os.environ.get("PROVIDER_RUNPOD_LIVE") == "1"),
    reason="live RunPod tests need RUNPOD_API_KEY and PROVIDER_RUNPOD_LIVE=1",
)
GPU = os.environ.get("RUNPOD_LIVE_GPU", "NVIDIA RTX A4000")
RUN_TAG = "provider-core-live-run"


@pytest.fixture
def live() -> Iterator[tuple[ProviderHandle, str]]:
    # Through the core: settings from the environment, the contract's rules applied.
    provider = provider_core.discover().get("runpod")
    run_id = uuid.uuid4().hex[:12]
    try:
        yield provider, run_id
    finally:
        for pod in provider.list_instances(ListFilter(tags={RUN_TAG: run_id})):
            provider.terminate(pod.id)
        provider.close()


def test_live_pod_lifecycle(live: tuple[ProviderHandle, str]) -> None:
    provider, run_id = live
    tags = {RUN_TAG: run_id}
    try:
        pod = provider.spawn(SpawnOptions(name=f"pc-live-{run_id}", instance_type=GPU, tags=tags, disk_gb=10))
    except ProviderError as exc:
        if exc.code is ErrorCode.CAPACITY_ERROR:
            pytest.skip(f"no {GPU} capacity right now")
        raise
    assert pod.tags[MANAGED_TAG] == "true"
    assert provider.get_instance(pod.id) is not None
    assert pod.id in [p.id for p in provider.list_instances(ListFilter(tags={RUN_TAG: run_id}))]
    provider.terminate(pod.id)
    provider.terminate(pod.id)


def test_live_spot_prices(live: tuple[ProviderHandle, str]) -> None:
    provider, _ = live
    assert provider.spot is not None
    for price in provider.spot.prices(GPU):
        assert price.price_per_hour > 0
