"""SlurmInstance, the job-state map, instance types, and the translation of a job into an instance.

Parses what is stable across the JSON of `squeue --json` and `sacct --json`: Slurm 22.05 (data parser
v0.0.38: `job_state` a string, times plain integers) and 23.x and later (v0.0.39+: `job_state` a list of
state and flags, times `{"set", "infinite", "number"}` objects). Only 22.05 was run here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

from provider_core import InstanceStatus, ProviderInstance
from provider_slurm._errors import PROVIDER, invalid_spec, unavailable

# Slurm's job states (and state flags, which take precedence) to the core's statuses.
STATUS_MAP: Mapping[str, InstanceStatus] = {
    "PENDING": InstanceStatus.PENDING,
    "CONFIGURING": InstanceStatus.PENDING,
    "REQUEUED": InstanceStatus.PENDING,
    "REQUEUE_HOLD": InstanceStatus.PENDING,
    "REQUEUE_FED": InstanceStatus.PENDING,
    "RUNNING": InstanceStatus.RUNNING,
    "RESIZING": InstanceStatus.RUNNING,
    "SIGNALING": InstanceStatus.RUNNING,
    "SUSPENDED": InstanceStatus.STOPPED,
    "STOPPED": InstanceStatus.STOPPED,
    "COMPLETING": InstanceStatus.TERMINATING,
    "STAGE_OUT": InstanceStatus.TERMINATING,
    "CANCELLED": InstanceStatus.TERMINATED,
    "COMPLETED": InstanceStatus.TERMINATED,
    "FAILED": InstanceStatus.TERMINATED,
    "TIMEOUT": InstanceStatus.TERMINATED,
    "NODE_FAIL": InstanceStatus.TERMINATED,
    "PREEMPTED": InstanceStatus.TERMINATED,
    "BOOT_FAIL": InstanceStatus.TERMINATED,
    "DEADLINE": InstanceStatus.TERMINATED,
    "OUT_OF_MEMORY": InstanceStatus.TERMINATED,
    "REVOKED": InstanceStatus.TERMINATED,
    "SPECIAL_EXIT": InstanceStatus.TERMINATED,
}
# In 23.x+ a job's state is a list: these flags say more than the base state next to them.
_FLAGS_FIRST = ("COMPLETING", "CONFIGURING", "REQUEUED", "RESIZING", "STAGE_OUT", "SIGNALING")
_ENDED_BY_SLURM = {
    "TIMEOUT": "the allocation reached its time limit",
    "NODE_FAIL": "the node failed",
    "PREEMPTED": "preempted by a higher-priority job",
    "BOOT_FAIL": "the node failed to boot",
    "DEADLINE": "the job reached its deadline",
    "OUT_OF_MEMORY": "the job ran out of memory",
    "FAILED": "the allocation's script failed",
}
# Pending reasons that never clear by waiting: the request exceeds what the partition can ever give.
NEVER_REASONS = frozenset(
    {
        "PartitionConfig",
        "BadConstraints",
        "PartitionNodeLimit",
        "PartitionTimeLimit",
        "InvalidQOS",
        "InvalidAccount",
        "ReqNodeNotAvail",
    }
)
# Pending reasons that are QOS or association limits (QOSMaxCpuPerUserLimit, AssocGrpJobsLimit, ...).
LIMIT_REASON = re.compile(r"^(QOS|Assoc).*Limit")
# Where the provider keeps its data in the job's comment: {"provider-core": {"type": ..., "tags": {...}}}.
COMMENT_KEY = "provider-core"


@frozen
class SlurmInstance(ProviderInstance):
    """A ProviderInstance plus what Slurm says about the job; the core projects it back."""

    job_state: str | None = None
    state_reason: str | None = None
    partition: str | None = None
    nodes: str | None = None
    user_name: str | None = None


@frozen
class Shape:
    """An instance type, `PARTITION[:SHAPE]`: SHAPE joins cpuN, memN(m|g), gpuN or TYPExN with '-'."""

    partition: str
    cpus: int = 1
    memory_mb: int | None = None
    gpus: int = 0
    gpu_type: str | None = None

    def sbatch_arguments(self) -> list[str]:
        arguments = [
            f"--partition={self.partition}",
            "--nodes=1",
            "--ntasks=1",
            f"--cpus-per-task={self.cpus}",
        ]
        if self.memory_mb is not None:
            arguments.append(f"--mem={self.memory_mb}M")
        if self.gpus:
            arguments.append(
                f"--gres=gpu:{self.gpu_type}:{self.gpus}" if self.gpu_type else f"--gres=gpu:{self.gpus}"
            )
        return arguments


_PARTITION = re.compile(r"[A-Za-z0-9_.-]+")
_PART = re.compile(
    r"cpu(?P<cpus>\d+)|mem(?P<mem>\d+)(?P<unit>[mg])|gpu(?P<gpus>\d+)|(?P<type>[a-z][a-z0-9]*)x(?P<n>\d+)"
)


def parse_instance_type(instance_type: str, gpu_count: int | None = None) -> Shape:
    partition, _, shape = instance_type.partition(":")
    if not _PARTITION.fullmatch(partition):
        raise invalid_spec(
            f"instance type {instance_type!r}: expected PARTITION[:SHAPE], e.g. debug:cpu4-mem8g"
        )
    values: dict[str, Any] = {}
    for part in shape.split("-") if shape else ():
        match = _PART.fullmatch(part)
        if match is None:
            raise invalid_spec(
                f"instance type {instance_type!r}: {part!r} is none of cpuN, memNm, memNg, gpuN, TYPExN"
            )
        if match["cpus"]:
            values["cpus"] = int(match["cpus"])
        elif match["mem"]:
            values["memory_mb"] = int(match["mem"]) * (1024 if match["unit"] == "g" else 1)
        elif match["gpus"]:
            values["gpus"] = int(match["gpus"])
        else:
            values["gpu_type"], values["gpus"] = match["type"], int(match["n"])
    if values.get("cpus") == 0 or (values.get("memory_mb") == 0):
        raise invalid_spec(f"instance type {instance_type!r}: CPUs and memory must be positive")
    if gpu_count is not None:
        if values.get("gpus", 0) not in (0, gpu_count):
            raise invalid_spec(f"{instance_type} has {values['gpus']} GPU(s), not {gpu_count}")
        values["gpus"] = gpu_count
    return Shape(partition, **values)


def comment_for(instance_type: str, tags: Mapping[str, str]) -> str:
    return json.dumps({COMMENT_KEY: {"type": instance_type, "tags": dict(tags)}}, separators=(",", ":"))


def _ours(comment: object) -> dict[str, Any]:
    """The provider's part of a job comment; {} for a job someone else submitted."""
    if isinstance(comment, dict):  # sacct: {"job": ..., "administrator": ..., "system": ...}
        comment = comment.get("job")
    try:
        data = json.loads(comment) if isinstance(comment, str) and comment.startswith("{") else None
    except ValueError:
        return {}
    ours = data.get(COMMENT_KEY) if isinstance(data, dict) else None
    return ours if isinstance(ours, dict) else {}


def _state(raw: object) -> str:
    if isinstance(raw, dict):  # sacct: {"current": "COMPLETED", "reason": ...}
        raw = raw.get("current")
    if isinstance(raw, list):
        names = [str(s) for s in raw]
        return next((flag for flag in _FLAGS_FIRST if flag in names), names[0] if names else "UNKNOWN")
    return str(raw) if raw else "UNKNOWN"


def _time(raw: object) -> datetime | None:
    if isinstance(raw, dict):  # 23.x+: {"set": true, "infinite": false, "number": 1700000000}
        raw = raw.get("number") if raw.get("set", True) and not raw.get("infinite") else None
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return datetime.fromtimestamp(raw, UTC)
    return None


def _reason(job: Mapping[str, Any], state: str) -> str | None:
    raw = job.get("state_reason")
    if raw is None and isinstance(job.get("state"), dict):
        raw = job["state"].get("reason")
    reason = str(raw) if raw not in (None, "", "None") else None
    if state in _ENDED_BY_SLURM:
        return _ENDED_BY_SLURM[state] + (f" ({reason})" if reason else "")
    if state == "PENDING" and reason:
        return f"pending: {reason}"
    return reason


def instance_from_job(job: Mapping[str, Any]) -> SlurmInstance:
    """Build a SlurmInstance from one job of squeue or sacct JSON; a malformed one is UNAVAILABLE."""
    try:
        state = _state(job.get("job_state", job.get("state")))
        reason = _reason(job, state)
        status = STATUS_MAP.get(state, InstanceStatus.UNKNOWN)
        raw_reason = str(job.get("state_reason") or "")
        if status is InstanceStatus.PENDING and raw_reason in NEVER_REASONS:
            status = InstanceStatus.ERROR
        ours = _ours(job.get("comment"))
        tags = ours.get("tags")
        times = job.get("time")
        submitted = job["submit_time"] if "submit_time" in job else (times or {}).get("submission")
        return SlurmInstance(
            id=str(job["job_id"]),
            status=status,
            provider=PROVIDER,
            name=job.get("name") or None,
            instance_type=ours.get("type") if isinstance(ours.get("type"), str) else None,
            region=job.get("cluster") or None,
            created_at=_time(submitted),
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
            status_reason=reason,
            spot_interrupted=state == "PREEMPTED",
            job_state=state,
            state_reason=raw_reason or None,
            partition=job.get("partition") or None,
            nodes=job.get("nodes") or None,
            user_name=job.get("user_name") or job.get("user") or None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise unavailable(f"Slurm returned a job in an unexpected shape ({exc!r})") from exc
