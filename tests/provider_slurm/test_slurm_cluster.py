"""provider-slurm against a real one-node Slurm 22.05: shapes, GRES, the bootstrap, errors, pending."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from provider_core import (
    BootstrapConfig,
    ErrorCode,
    InstanceStatus,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    SpawnOptions,
)
from provider_core.testing import eventually
from provider_slurm.testing import Cluster

TIMEOUT = 30.0


def wait_status(handle: ProviderHandle, instance_id: str, status: InstanceStatus) -> ProviderInstance:
    reached, last = eventually(
        lambda: handle.get_instance(instance_id), lambda i: i is not None and i.status is status, TIMEOUT
    )
    assert reached, f"{instance_id} never became {status}: {last}"
    assert last is not None
    return last


def squeue_job(cluster: Cluster, job_id: str) -> dict[str, object]:
    out = subprocess.run(
        ["squeue", "--json"], env={**os.environ, **cluster.env()}, capture_output=True, text=True, check=True
    ).stdout
    return next(j for j in json.loads(out)["jobs"] if str(j["job_id"]) == job_id)


def test_a_gpu_shape_holds_its_gres_and_reads_back(handle: ProviderHandle, cluster: Cluster) -> None:
    vm = handle.spawn(SpawnOptions(name="gpu-1", instance_type="gpu:a100x1", tags={"team": "ml"}))
    try:
        running = wait_status(handle, vm.id, InstanceStatus.RUNNING)
        assert (running.name, running.instance_type, running.region) == (
            "gpu-1",
            "gpu:a100x1",
            cluster.cluster,
        )
        assert running.tags["team"] == "ml"
        assert running.tags["provider-core:managed"] == "true"
        job = squeue_job(cluster, vm.id)
        assert job["partition"] == "gpu"
        assert job["gres_detail"] == ["gpu:a100:1(IDX:0)"]
    finally:
        handle.terminate(vm.id)
    assert wait_status(handle, vm.id, InstanceStatus.TERMINATED).status_reason is None


def test_the_bootstrap_runs_under_the_per_job_root(handle: ProviderHandle, cluster: Cluster) -> None:
    script = handle.generate_bootstrap(BootstrapConfig("http://127.0.0.1:9", instance_token="tok-123"))
    vm = handle.spawn(SpawnOptions(name="boot-1", instance_type="debug:cpu1-mem64m", bootstrap=script))
    try:
        root = cluster.root / "jobs" / vm.id
        env_file = root / "etc" / "provider-core" / "agent.env"
        found, _ = eventually(lambda: (root / "bootstrap.log").exists(), bool, TIMEOUT)
        assert found, f"the bootstrap never ran under {root}"
        assert "PROVIDER_CORE_CONTROL_PLANE_URL=http://127.0.0.1:9" in env_file.read_text()
        assert oct(root.stat().st_mode & 0o777) == "0o700"
        # The agent download fails (nothing listens): logged, and the allocation keeps running.
        eventually(lambda: "bootstrap exited" in (root / "bootstrap.log").read_text(), bool, TIMEOUT)
        assert wait_status(handle, vm.id, InstanceStatus.RUNNING)
    finally:
        handle.terminate(vm.id)
    assert not Path("/etc/provider-core/agent.env").exists()


def test_a_hostname_cannot_be_set_on_a_shared_node(handle: ProviderHandle) -> None:
    with pytest.raises(ProviderError) as caught:
        handle.generate_bootstrap(BootstrapConfig("http://127.0.0.1:9", instance_token="t", hostname="x"))
    assert caught.value.code is ErrorCode.INVALID_SPEC


@pytest.mark.parametrize(
    ("instance_type", "message"),
    [
        ("nopart:cpu1", "Invalid partition name specified"),
        ("debug:mem100g", "Requested node configuration is not available"),
        ("gpu:h100x1", "Requested node configuration is not available"),
        ("gpu:a100x3", "Requested node configuration is not available"),
        ("debug:cpu1-disk9", "none of cpuN"),
    ],
)
def test_impossible_requests_are_invalid_spec(
    handle: ProviderHandle, instance_type: str, message: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SpawnOptions(name="bad", instance_type=instance_type))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert message in caught.value.message


def test_terminate_is_idempotent_and_cancels(handle: ProviderHandle, cluster: Cluster) -> None:
    vm = handle.spawn(SpawnOptions(name="gone-1", instance_type="debug"))
    wait_status(handle, vm.id, InstanceStatus.RUNNING)
    handle.terminate(vm.id)
    handle.terminate(vm.id)
    handle.terminate("999999")
    gone = wait_status(handle, vm.id, InstanceStatus.TERMINATED)
    assert squeue_job(cluster, vm.id)["job_state"] == "CANCELLED"
    assert gone.status_reason is None


def test_a_busy_cluster_is_pending_then_capacity_error(
    make_handle: Callable[..., ProviderHandle], cluster: Cluster
) -> None:
    handle = make_handle()
    holder = handle.spawn(SpawnOptions(name="hold", instance_type="debug:cpu16"))
    try:
        wait_status(handle, holder.id, InstanceStatus.RUNNING)
        queued = handle.spawn(SpawnOptions(name="queued", instance_type="debug:cpu1"))
        # Pending with the scheduler's reason once it has looked at the job (Resources or Priority).
        seen, pending = eventually(
            lambda: handle.get_instance(queued.id),
            lambda i: i is not None and i.status is InstanceStatus.PENDING and i.status_reason is not None,
            TIMEOUT,
        )
        handle.terminate(queued.id)
        assert seen, pending
        assert pending is not None
        assert pending.status_reason in {"pending: Resources", "pending: Priority"}
        impatient = make_handle(pending_timeout=2.0)
        started = time.monotonic()
        with pytest.raises(ProviderError) as caught:
            impatient.spawn(SpawnOptions(name="impatient", instance_type="debug:cpu1"))
        assert caught.value.code is ErrorCode.CAPACITY_ERROR
        assert "still pending after 2s" in caught.value.message
        assert time.monotonic() - started < TIMEOUT
        job_id = caught.value.message.split()[1]
        assert wait_status(handle, job_id, InstanceStatus.TERMINATED)
    finally:
        handle.terminate(holder.id)


def test_a_shape_the_partition_never_fits_is_error_or_invalid_spec(
    make_handle: Callable[..., ProviderHandle],
) -> None:
    handle = make_handle()
    # 64 CPUs on a 16-CPU partition: Slurm accepts the job and holds it with reason PartitionConfig.
    vm = handle.spawn(SpawnOptions(name="huge", instance_type="debug:cpu64"))
    try:
        stuck = wait_status(handle, vm.id, InstanceStatus.ERROR)
        assert stuck.status_reason == "pending: PartitionConfig"
    finally:
        handle.terminate(vm.id)
    with pytest.raises(ProviderError) as caught:
        make_handle(pending_timeout=20.0).spawn(SpawnOptions(name="huge-2", instance_type="debug:cpu64"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "can never start it (PartitionConfig)" in caught.value.message
