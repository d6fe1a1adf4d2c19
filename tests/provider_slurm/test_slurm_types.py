"""Job JSON of Slurm 22.05 (v0.0.38) and of 23.x+ (v0.0.40 shapes, hand-written from the OpenAPI
schemas; not run here) read alike; instance types; the state map."""

from __future__ import annotations

from typing import Any

import pytest

from provider_core import ErrorCode, InstanceStatus, ProviderError
from provider_slurm._types import STATUS_MAP, Shape, comment_for, instance_from_job, parse_instance_type

COMMENT = comment_for("debug:cpu2", {"provider-core:managed": "true", "team": "ml"})
V0038: dict[str, Any] = {
    "job_id": 7,
    "name": "vm-1",
    "job_state": "RUNNING",
    "state_reason": "None",
    "comment": COMMENT,
    "cluster": "pctest",
    "partition": "debug",
    "nodes": "pcnode1",
    "user_name": "root",
    "submit_time": 1796025729,
}
V0040: dict[str, Any] = {
    **V0038,
    "job_state": ["RUNNING"],
    "submit_time": {"set": True, "infinite": False, "number": 1796025729},
}
SACCT: dict[str, Any] = {
    "job_id": 7,
    "name": "vm-1",
    "state": {"current": "PREEMPTED", "reason": "None"},
    "comment": {"job": COMMENT, "administrator": None, "system": None},
    "cluster": "pctest",
    "partition": "debug",
    "nodes": "pcnode1",
    "user": "root",
    "time": {"submission": 1796025729},
}


@pytest.mark.parametrize("job", [V0038, V0040], ids=["v0.0.38", "v0.0.40"])
def test_squeue_jobs_of_both_json_versions_read_alike(job: dict[str, Any]) -> None:
    vm = instance_from_job(job)
    assert (vm.id, vm.name, vm.status, vm.region, vm.instance_type) == (
        "7",
        "vm-1",
        InstanceStatus.RUNNING,
        "pctest",
        "debug:cpu2",
    )
    assert vm.tags == {"provider-core:managed": "true", "team": "ml"}
    assert vm.created_at is not None
    assert vm.created_at.timestamp() == 1796025729


def test_a_completing_flag_wins_over_the_base_state() -> None:
    assert (
        instance_from_job({**V0040, "job_state": ["CANCELLED", "COMPLETING"]}).status
        is InstanceStatus.TERMINATING
    )


def test_preemption_reads_like_a_spot_interruption_also_from_accounting() -> None:
    vm = instance_from_job(SACCT)
    assert (vm.status, vm.spot_interrupted, vm.tags["team"]) == (InstanceStatus.TERMINATED, True, "ml")
    assert vm.status_reason == "preempted by a higher-priority job"


@pytest.mark.parametrize(
    ("state", "status", "reason"),
    [
        ("PENDING", InstanceStatus.PENDING, None),
        ("CONFIGURING", InstanceStatus.PENDING, None),
        ("COMPLETING", InstanceStatus.TERMINATING, None),
        ("CANCELLED", InstanceStatus.TERMINATED, None),
        ("NODE_FAIL", InstanceStatus.TERMINATED, "the node failed"),
        ("TIMEOUT", InstanceStatus.TERMINATED, "the allocation reached its time limit"),
        ("SUSPENDED", InstanceStatus.STOPPED, None),
        ("SOMETHING_NEW", InstanceStatus.UNKNOWN, None),
    ],
)
def test_job_states(state: str, status: InstanceStatus, reason: str | None) -> None:
    vm = instance_from_job({**V0038, "job_state": state})
    assert (vm.status, vm.status_reason, vm.spot_interrupted) == (status, reason, False)


def test_pending_for_ever_is_error_and_a_foreign_comment_is_no_tags() -> None:
    assert instance_from_job({**V0038, "job_state": "PENDING", "state_reason": "PartitionConfig"}).status is (
        InstanceStatus.ERROR
    )
    assert instance_from_job({**V0038, "comment": '{"provider-core": 1}'}).tags == {}
    assert instance_from_job({**V0038, "comment": "{not json"}).tags == {}


def test_a_malformed_job_is_unavailable() -> None:
    with pytest.raises(ProviderError) as caught:
        instance_from_job({"name": "no id"})
    assert caught.value.code is ErrorCode.UNAVAILABLE


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("debug", Shape("debug")),
        ("debug:cpu4-mem8g", Shape("debug", cpus=4, memory_mb=8192)),
        ("gpu:a100x1", Shape("gpu", gpus=1, gpu_type="a100")),
        ("gpu:gpu2-mem512m", Shape("gpu", gpus=2, memory_mb=512)),
    ],
)
def test_instance_types(text: str, shape: Shape) -> None:
    assert parse_instance_type(text) == shape


@pytest.mark.parametrize(
    ("text", "gpus"), [("debug:cpu0", None), ("debug:big", None), ("a b", None), ("gpu:a100x1", 2)]
)
def test_bad_instance_types_are_invalid_spec(text: str, gpus: int | None) -> None:
    with pytest.raises(ProviderError) as caught:
        parse_instance_type(text, gpus)
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_gpu_count_adds_gres_to_a_shape_without_gpus() -> None:
    assert parse_instance_type("gpu:cpu2", 1).sbatch_arguments()[-1] == "--gres=gpu:1"


def test_every_state_the_issue_names_is_mapped() -> None:
    named = {
        "PENDING",
        "CONFIGURING",
        "RUNNING",
        "COMPLETING",
        "CANCELLED",
        "PREEMPTED",
        "NODE_FAIL",
        "TIMEOUT",
    }
    assert named <= set(STATUS_MAP)
